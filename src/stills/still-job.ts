/**
 * What the GetImages operation sends a still worker, and what comes back: one GOP's packets
 * (from its key frame to the last frame a sample needs) and the frames to turn into images.
 * Plain data only, so it crosses postMessage (the payload buffer is transferred, not copied).
 */

export type StillFormat = 'JPEG' | 'PNG';

export interface StillOutput {
  readonly format: StillFormat;
  /** JPEGQuality 1–100 (FormatConfig); unused for PNG. */
  readonly quality: number;
  /** Both, only height (aspect kept), or neither (source size): AWS's WidthPixels/HeightPixels rules. */
  readonly width?: number;
  readonly height?: number;
}

export interface StillJob {
  readonly codec: 'avc' | 'hevc';
  /** The avcC / hvcC record (the track's CodecPrivate). */
  readonly extradata: Uint8Array;
  /** Length-prefix size of the NAL units in each packet. */
  readonly nalLengthSize: number;
  /** Every packet's bytes back to back, decode order. */
  readonly payload: Uint8Array;
  readonly sizes: readonly number[];
  /** A distinct presentation time per packet (frame-index ticks), to recognise decoded frames. */
  readonly pts: readonly number[];
  /** Packet positions whose pictures are wanted, distinct. */
  readonly targets: readonly number[];
  readonly output: StillOutput;
}

/** Per target, in `targets` order: the encoded image, or null when that picture did not decode. */
export interface StillResult {
  readonly images: (Uint8Array | null)[];
}
