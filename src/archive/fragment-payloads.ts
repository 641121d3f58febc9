import type { FragmentRecord } from '../domain/fragment.js';
import type { BlobStore, ReadOptions } from '../storage/blob-store.js';

/** The frame payloads wanted from one fragment: [offset, size] pairs relative to its first byte. */
export interface PayloadRead {
  readonly fragment: FragmentRecord;
  /** Ascending and not overlapping, as the frame index lists frames in storage order. */
  readonly ranges: Uint32Array;
}

/**
 * Frame payloads of stored fragments, straight from the blob store, in the order asked. Fragments
 * that lie back to back in one blob object (a stream's segment file holds its fragments in arrival
 * order) are read with one ranged read, from their first payload to the end of their last; each
 * chunk read yields the views of it that are payload bytes (Matroska block headers between them
 * skipped). Nothing is copied; a payload that straddles two chunks comes out as two views.
 * With `options.reuseChunks`, the views of one batch are valid until the next batch is asked for.
 */
export async function* storedPayloads(blobs: BlobStore, reads: readonly PayloadRead[], options: ReadOptions = {}): AsyncGenerator<Uint8Array[]> {
  for (const run of adjacentRuns(reads)) {
    const ranges = absoluteRanges(run);
    if (ranges.length === 0) continue;
    yield* payloadsOfObject(blobs, run[0]!.fragment.location.key, ranges, options);
  }
}

/** Consecutive reads whose fragments follow each other in the same blob object. */
function adjacentRuns(reads: readonly PayloadRead[]): PayloadRead[][] {
  const runs: PayloadRead[][] = [];
  let previous: FragmentRecord | undefined;
  for (const read of reads) {
    const { location } = read.fragment;
    const follows = previous !== undefined && previous.location.key === location.key && previous.location.offset + previous.size === location.offset;
    if (follows) runs[runs.length - 1]!.push(read);
    else runs.push([read]);
    previous = read.fragment;
  }
  return runs;
}

/** [start, end) pairs of every payload of a run, as offsets in its blob object. */
function absoluteRanges(run: readonly PayloadRead[]): Float64Array {
  const out: number[] = [];
  for (const { fragment, ranges } of run) {
    if (ranges.length % 2 !== 0) throw new RangeError('payload ranges come in [offset, size] pairs');
    for (let i = 0; i < ranges.length; i += 2) {
      const start = ranges[i]!;
      const end = start + ranges[i + 1]!;
      if (end > fragment.size || (i > 0 && start < ranges[i - 2]! + ranges[i - 1]!)) {
        throw new RangeError(`fragment ${fragment.fragmentNumber}: payload ranges must ascend inside its ${fragment.size} bytes`);
      }
      out.push(fragment.location.offset + start, fragment.location.offset + end);
    }
  }
  return Float64Array.from(out);
}

/** One ranged read of `key` covering `ranges` ([start, end) pairs, ascending); yields the payload views of each chunk. */
async function* payloadsOfObject(blobs: BlobStore, key: string, ranges: Float64Array, options: ReadOptions): AsyncGenerator<Uint8Array[]> {
  const first = ranges[0]!;
  let chunkStart = first;
  let k = 0; // index into ranges (pairs)
  let next = first; // first byte of range k not yet yielded
  for await (const chunk of await blobs.get(key, { start: first, end: ranges[ranges.length - 1]! }, options)) {
    const chunkEnd = chunkStart + chunk.byteLength;
    const views: Uint8Array[] = [];
    while (k < ranges.length) {
      const to = ranges[k + 1]!;
      if (next >= chunkEnd) break;
      const take = Math.min(to, chunkEnd);
      if (take > next) views.push(chunk.subarray(next - chunkStart, take - chunkStart));
      if (take < to) {
        next = take;
        break;
      }
      k += 2;
      next = ranges[k] ?? 0;
    }
    chunkStart = chunkEnd;
    if (views.length > 0) yield views;
  }
  if (k < ranges.length) throw new Error(`blob ${key} ended before the payloads asked of it`);
}
