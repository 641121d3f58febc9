/**
 * Segments as HTTP bodies: the planned header, then the frame payloads read from storage.
 *
 * - fMP4, one track (what HLS and DASH ask for): the payloads are in storage order, so they are
 *   streamed with storedPayloads, one ranged read from the track's first payload to its last,
 *   each storage chunk leaving as views of itself: nothing copied, a chunk held at a time.
 * - fMP4, every track: the mdat holds one track's payloads after the other's, out of storage
 *   order, so the fragment is read into one buffer (readFragmentBytes) and sent as views of it.
 * - MPEG-TS: the muxer needs each frame whole; the fragment is read into one buffer and the muxer
 *   copies each payload once, into transport packets.
 *
 * Storage is opened before the body is returned, so a fragment whose bytes are gone is an error
 * response, never a cut-off body.
 */
import { readFragmentBytes } from '../../archive/fragment-bytes.js';
import { storedPayloads } from '../../archive/fragment-payloads.js';
import { ResourceNotFoundException } from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { BlobNotFoundError, type BlobStore } from '../../storage/blob-store.js';
import { planMediaSegment, type MediaSegmentPlan } from './fmp4-segments.js';
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
  /**
   * Closes the storage read when `batches` will not be iterated to its end (the client went
   * away, a write failed). Idempotent; a no-op once the body was fully iterated.
   */
  release(): Promise<void>;
}

interface BodyParts {
  readonly batches: AsyncIterable<readonly Uint8Array[]>;
  release(): Promise<void>;
}

/** An fMP4 media segment (getMP4MediaFragment.mp4) of one fragment's selected tracks. */
export async function mediaSegment(
  blobs: BlobStore,
  fragment: FragmentRecord,
  trackHeader: Uint8Array,
  selection: TrackSelection,
  timing: SegmentTiming,
): Promise<SegmentBody> {
  const plan = planMediaSegment(fragment, trackHeader, selection, timing);
  const parts = selection === 'all' ? await fromFragmentBuffer(blobs, fragment, plan) : await streamed(blobs, fragment, plan);
  return { contentType: MP4_CONTENT_TYPE, byteLength: plan.byteLength, ...parts };
}

/** The header, then the payloads as storage delivers them; the read is opened before returning. */
async function streamed(blobs: BlobStore, fragment: FragmentRecord, plan: MediaSegmentPlan): Promise<BodyParts> {
  const payloads = storedPayloads(blobs, [{ fragment, ranges: plan.payloadRanges }]);
  const first = await notFoundIfGone(fragment, () => payloads.next());
  // Returning the payload generator ends its storage read, whether or not `batches` ever started.
  const release = async () => void (await payloads.return(undefined));
  async function* batches(): AsyncGenerator<readonly Uint8Array[]> {
    try {
      yield first.done === true ? [plan.header] : [plan.header, ...first.value];
      yield* payloads;
    } finally {
      await release();
    }
  }
  return { batches: batches(), release };
}

async function fromFragmentBuffer(blobs: BlobStore, fragment: FragmentRecord, plan: MediaSegmentPlan): Promise<BodyParts> {
  const bytes = await notFoundIfGone(fragment, () => readFragmentBytes(blobs, fragment));
  const ranges = plan.payloadRanges;
  const views: Uint8Array[] = [plan.header];
  for (let i = 0; i < ranges.length; i += 2) views.push(bytes.subarray(ranges[i]!, ranges[i]! + ranges[i + 1]!));
  return once(views);
}

/** An MPEG-TS segment (getTSFragment.ts) muxing every playable track of one fragment. */
export async function tsSegment(blobs: BlobStore, fragment: FragmentRecord, trackHeader: Uint8Array, timing: SegmentTiming): Promise<SegmentBody> {
  const bytes = await notFoundIfGone(fragment, () => readFragmentBytes(blobs, fragment));
  const packets = muxFragmentTs(fragment, trackHeader, bytes, timing);
  const byteLength = packets.reduce((sum, chunk) => sum + chunk.length, 0);
  return { contentType: TS_CONTENT_TYPE, byteLength, ...once(packets) };
}

/** Runs a storage read; a fragment whose bytes are gone (retention got there first) is not found. */
async function notFoundIfGone<T>(fragment: FragmentRecord, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw new ResourceNotFoundException(`Fragment ${fragment.fragmentNumber} is no longer stored.`);
    throw err;
  }
}

/** A body already in memory: nothing to release. */
function once(batch: readonly Uint8Array[]): BodyParts {
  async function* batches(): AsyncGenerator<readonly Uint8Array[]> {
    yield batch;
  }
  return { batches: batches(), release: async () => {} };
}
