/**
 * Segments as HTTP bodies: the planned header, then the frame payloads read from storage. A
 * fragment is read once, in one buffer (readFragmentBytes), and payloads leave as views of it:
 * the bytes are copied once on their way from storage to the socket for fMP4; MPEG-TS adds the
 * muxer's one copy into transport packets. The fragment is read before the body is returned, so
 * a storage failure is an error response, never a cut-off body.
 */
import { readFragmentBytes } from '../../archive/fragment-bytes.js';
import { ResourceNotFoundException } from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { BlobNotFoundError, type BlobStore } from '../../storage/blob-store.js';
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
  /** The bytes, in batches to write in order (a batch is many small views: worth corking). Iterate once. */
  readonly batches: AsyncIterable<readonly Uint8Array[]>;
}

/**
 * An fMP4 media segment (getMP4MediaFragment.mp4) of one fragment's selected tracks: the header
 * planned from the frame index, the payloads views of the fragment's bytes.
 */
export async function mediaSegment(
  blobs: BlobStore,
  fragment: FragmentRecord,
  trackHeader: Uint8Array,
  selection: TrackSelection,
  timing: SegmentTiming,
): Promise<SegmentBody> {
  const plan = planMediaSegment(fragment, trackHeader, selection, timing);
  const bytes = await storedBytes(blobs, fragment);
  const ranges = plan.payloadRanges;
  const views: Uint8Array[] = [plan.header];
  for (let i = 0; i < ranges.length; i += 2) views.push(bytes.subarray(ranges[i]!, ranges[i]! + ranges[i + 1]!));
  return { contentType: MP4_CONTENT_TYPE, byteLength: plan.byteLength, batches: once(views) };
}

/** An MPEG-TS segment (getTSFragment.ts) muxing every playable track of one fragment. */
export async function tsSegment(blobs: BlobStore, fragment: FragmentRecord, trackHeader: Uint8Array, timing: SegmentTiming): Promise<SegmentBody> {
  const bytes = await storedBytes(blobs, fragment);
  const packets = muxFragmentTs(fragment, trackHeader, bytes, timing);
  const byteLength = packets.reduce((sum, chunk) => sum + chunk.length, 0);
  return { contentType: TS_CONTENT_TYPE, byteLength, batches: once(packets) };
}

/** The fragment's bytes; a fragment whose bytes are gone (retention got there first) is not found. */
async function storedBytes(blobs: BlobStore, fragment: FragmentRecord): Promise<Uint8Array> {
  try {
    return await readFragmentBytes(blobs, fragment);
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw new ResourceNotFoundException(`Fragment ${fragment.fragmentNumber} is no longer stored.`);
    throw err;
  }
}

async function* once(batch: readonly Uint8Array[]): AsyncGenerator<readonly Uint8Array[]> {
  yield batch;
}
