/**
 * Segments as HTTP bodies: the planned header, then the frame payloads read from storage. A
 * fragment is read once, in one buffer (readFragmentBytes), and payloads leave as views of it:
 * the bytes are copied once on their way from storage to the socket for fMP4; MPEG-TS adds the
 * muxer's one copy into transport packets.
 */
import type { FragmentRecord } from '../../domain/fragment.js';
import { readFragmentBytes } from '../../archive/fragment-bytes.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { planMediaSegment } from './fmp4-segments.js';
import type { TrackSelection } from './segment-tracks.js';
import type { SegmentTiming } from './timeline.js';
import { muxFragmentTs } from './ts-segments.js';

export const MP4_CONTENT_TYPE = 'video/mp4';
export const TS_CONTENT_TYPE = 'video/mp2t';

export interface SegmentBody {
  readonly contentType: string;
  /** Content-Length. */
  readonly byteLength: number;
  /**
   * The bytes, in batches to write in order (a batch is worth corking: many small views). Read
   * lazily: storage errors surface while iterating, after the caller may have sent headers.
   */
  readonly batches: AsyncIterable<readonly Uint8Array[]>;
}

/**
 * An fMP4 media segment (getMP4MediaFragment.mp4) of one fragment's selected tracks. The header
 * comes from the frame index alone, so the length is known before storage is read.
 */
export async function mediaSegment(
  blobs: BlobStore,
  fragment: FragmentRecord,
  trackHeader: Uint8Array,
  selection: TrackSelection,
  timing: SegmentTiming,
): Promise<SegmentBody> {
  const plan = planMediaSegment(fragment, trackHeader, selection, timing);
  async function* batches(): AsyncGenerator<readonly Uint8Array[]> {
    yield [plan.header];
    const bytes = await readFragmentBytes(blobs, fragment);
    const ranges = plan.payloadRanges;
    const views: Uint8Array[] = [];
    for (let i = 0; i < ranges.length; i += 2) views.push(bytes.subarray(ranges[i]!, ranges[i]! + ranges[i + 1]!));
    yield views;
  }
  return { contentType: MP4_CONTENT_TYPE, byteLength: plan.byteLength, batches: batches() };
}

/** An MPEG-TS segment (getTSFragment.ts) muxing every playable track of one fragment. */
export async function tsSegment(blobs: BlobStore, fragment: FragmentRecord, trackHeader: Uint8Array, timing: SegmentTiming): Promise<SegmentBody> {
  const bytes = await readFragmentBytes(blobs, fragment);
  const packets = muxFragmentTs(fragment, trackHeader, bytes, timing);
  const byteLength = packets.reduce((sum, chunk) => sum + chunk.length, 0);
  async function* batches(): AsyncGenerator<readonly Uint8Array[]> {
    yield packets;
  }
  return { contentType: TS_CONTENT_TYPE, byteLength, batches: batches() };
}
