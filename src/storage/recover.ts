import type { BlobStore } from './blob-store.js';
import type { IndexStore } from './index-store.js';

/**
 * Start-up recovery of the append path (DESIGN §4). The ingest appends a fragment's bytes
 * (durable when append resolves) and only then commits its index row, so a crash can leave bytes
 * that no row points at, never a row without its bytes. Those bytes are cut off here: every
 * appended object is trimmed to the furthest byte the index references in it, and objects the
 * index does not reference at all (a crash before the first commit into them, or a deleted
 * stream's segments) are deleted.
 *
 * Run it once at start-up, after opening both stores and before the first append, and before the
 * retention sweeper starts: both remove only bytes the index does not reference, so they agree,
 * but the filesystem adapter refuses to retire segments while it trims them.
 */
export interface RecoveryReport {
  /** Appended objects the index references (kept, possibly trimmed). */
  readonly referencedObjects: number;
  /** Bytes cut off the tails of referenced objects. */
  readonly trimmedBytes: number;
  /** Appended objects deleted because nothing references them. */
  readonly deletedObjects: number;
}

export async function recoverUnreferencedBytes(index: IndexStore, blobs: BlobStore): Promise<RecoveryReport> {
  const referenced = await index.referencedBlobExtents();
  const { trimmedBytes, deletedObjects } = await blobs.trimAppended(referenced);
  return { referencedObjects: referenced.size, trimmedBytes, deletedObjects };
}
