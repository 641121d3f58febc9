/**
 * What the incremental Matroska parser reports while a PutMedia body streams through it.
 * Offsets are absolute positions in the whole body (the first byte of the EBML header is 0), so
 * the ingest can cut a fragment's bytes and frame ranges out of the chunks it kept.
 */

export interface TrackInfo {
  /** TrackNumber (as blocks reference it). */
  readonly number: number;
  readonly uid: bigint | undefined;
  /** TrackType: 1 video, 2 audio, 17 subtitle, ... */
  readonly type: number;
  readonly codecId: string;
  readonly codecPrivate: Uint8Array | undefined;
  readonly defaultDurationNs: number | undefined;
  readonly name: string | undefined;
  readonly video: { readonly pixelWidth: number; readonly pixelHeight: number } | undefined;
  readonly audio: { readonly samplingFrequency: number; readonly channels: number; readonly bitDepth: number | undefined } | undefined;
}

export interface MkvTag {
  /** TagName of a SimpleTag. */
  readonly name: string;
  /** TagString of a SimpleTag ('' when absent, e.g. AWS_KINESISVIDEO_END_OF_FRAGMENT). */
  readonly value: string;
}

export type MkvEvent =
  | { readonly kind: 'ebml-header'; readonly docType: string }
  | { readonly kind: 'segment-start'; readonly offset: number; readonly size: number | undefined }
  /** `bytes`: the whole Info element as received, header included (a copy, safe to keep). */
  | { readonly kind: 'info'; readonly timecodeScaleNs: number; readonly bytes: Uint8Array }
  /** `bytes`: the whole Tracks element as received, header included (a copy, safe to keep). */
  | { readonly kind: 'tracks'; readonly tracks: readonly TrackInfo[]; readonly bytes: Uint8Array }
  /** `offset`: first byte of the Cluster's ID. `size`: the data size, undefined when unknown. */
  | { readonly kind: 'cluster-start'; readonly offset: number; readonly size: number | undefined }
  | { readonly kind: 'cluster-timecode'; readonly timecode: number }
  /**
   * One frame (one lace of a laced block). `timecode`: the block's signed 16-bit timecode,
   * relative to the cluster's, in TimecodeScale ticks. `duration`: BlockDuration when a
   * BlockGroup gives one. `offset`/`size`: the frame's payload bytes in the body.
   */
  | {
      readonly kind: 'frame';
      readonly track: number;
      readonly timecode: number;
      readonly key: boolean;
      readonly duration: number | undefined;
      readonly laceIndex: number;
      readonly offset: number;
      readonly size: number;
    }
  /** `offset`: one past the cluster's last byte (for an unknown-size cluster: where the next element starts). */
  | { readonly kind: 'cluster-end'; readonly offset: number }
  /** A level-1 Tags element, complete, with its SimpleTags flattened in order. */
  | { readonly kind: 'tags'; readonly tags: readonly MkvTag[]; readonly offset: number; readonly end: number }
  /** The Segment ended (known size reached, or end() on an unknown-size segment). */
  | { readonly kind: 'segment-end'; readonly offset: number };

/** The body is not Matroska KVS can take (KVS ack 4006 INVALID_MKV_DATA). */
export class MkvFormatError extends Error {
  constructor(
    message: string,
    /** Body offset where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}
