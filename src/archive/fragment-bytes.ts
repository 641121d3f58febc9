import type { FragmentRecord } from '../domain/fragment.js';
import type { BlobStore, ByteRange } from '../storage/blob-store.js';

/**
 * Reading a fragment's stored bytes (the Matroska Cluster exactly as received) back from the blob
 * store. Offsets in `range` and in the frame index are relative to the fragment's first byte.
 */
export function streamFragmentBytes(
  blobs: BlobStore,
  fragment: FragmentRecord,
  range: ByteRange = { start: 0, end: fragment.size },
): Promise<AsyncIterable<Uint8Array>> {
  if (range.start < 0 || range.end > fragment.size || range.start > range.end) {
    throw new RangeError(`range ${range.start}-${range.end} is outside fragment ${fragment.fragmentNumber} of ${fragment.size} bytes`);
  }
  const base = fragment.location.offset;
  return blobs.get(fragment.location.key, { start: base + range.start, end: base + range.end });
}

/**
 * The whole fragment in one buffer. A fragment is at most 50 MB (and a 2-s camera fragment about
 * 500 KB), so readers that cut frame payloads out of fragments hold one at a time this way
 * rather than issuing a read per frame.
 */
export async function readFragmentBytes(blobs: BlobStore, fragment: FragmentRecord): Promise<Uint8Array> {
  const bytes = new Uint8Array(fragment.size);
  let at = 0;
  for await (const chunk of await streamFragmentBytes(blobs, fragment)) {
    if (at + chunk.byteLength > bytes.byteLength) throw new Error(`fragment ${fragment.fragmentNumber} read past its ${fragment.size} bytes`);
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== bytes.byteLength) throw new Error(`fragment ${fragment.fragmentNumber}: read ${at} of ${fragment.size} bytes`);
  return bytes;
}
