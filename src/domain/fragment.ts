/**
 * The fragment: one Matroska Cluster received through PutMedia, the unit of everything the
 * archive stores and serves (DESIGN §3).
 */

/** One frame of a fragment, as the frame index records it at ingest. */
export interface FrameEntry {
  /** Matroska TrackNumber. */
  readonly track: number;
  /** Presentation time relative to the cluster Timecode, in TimecodeScale ticks (laced frames get their derived time). */
  readonly timecode: number;
  /** Duration in TimecodeScale ticks; 0 when neither the block nor the track says. */
  readonly duration: number;
  readonly key: boolean;
  /** Payload byte range within the fragment's stored bytes. */
  readonly offset: number;
  readonly size: number;
}

/** A producer-supplied metadata item (MKV SimpleTag after the cluster). */
export interface FragmentTag {
  readonly name: string;
  readonly value: string;
}

/** Where a fragment's bytes live in the blob store. */
export interface BlobLocation {
  readonly key: string;
  readonly offset: number;
}

/** A fragment ready to be indexed, once its bytes are durable at `location`. */
export interface NewFragment {
  readonly streamId: number;
  /** Fixed-width decimal string; string order is numeric order. */
  readonly fragmentNumber: string;
  /** The cluster Timecode exactly as sent (echoed in acks as FragmentTimecode). */
  readonly clusterTimecode: number;
  readonly producerTimestampMs: number;
  readonly serverTimestampMs: number;
  readonly durationMs: number;
  /** Stored byte length (the cluster as received). */
  readonly size: number;
  /** Id of the stored track header (Info + Tracks) this fragment was sent under. */
  readonly headerId: number;
  readonly location: BlobLocation;
  /** The frame index, encoded by domain/frame-index.ts. */
  readonly frameIndex: Uint8Array;
  readonly tags: readonly FragmentTag[];
}

export type FragmentRecord = NewFragment;

/** What a listing shows of a fragment (ListFragments): its number, timestamps, duration and size. */
export type FragmentSummary = Pick<FragmentRecord, 'fragmentNumber' | 'producerTimestampMs' | 'serverTimestampMs' | 'durationMs' | 'size'>;

/** Fragment numbers: 47 decimal digits like AWS's, '9' followed by a zero-padded sequence. */
export const FRAGMENT_NUMBER_DIGITS = 47;

export function formatFragmentNumber(sequence: bigint): string {
  return `9${sequence.toString().padStart(FRAGMENT_NUMBER_DIGITS - 1, '0')}`;
}

export function parseFragmentNumber(fragmentNumber: string): bigint | undefined {
  if (fragmentNumber.length !== FRAGMENT_NUMBER_DIGITS || !/^9\d+$/.test(fragmentNumber)) return undefined;
  return BigInt(fragmentNumber.slice(1));
}
