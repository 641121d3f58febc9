import type { BlobLocation } from '../domain/fragment.js';

/**
 * The blob port: byte objects by key (fragment bytes).
 * Adapters: storage/fs (embedded default), later storage/s3. Every adapter passes
 * test/contract/blob-store.contract.ts.
 *
 * Keys are relative, '/'-separated paths of [A-Za-z0-9._-] segments (no '.' or '..' segments);
 * adapters reject anything else with InvalidBlobKeyError. Keys whose last segment is digits
 * followed by '.seg' (`streams/12/0000000001.seg`) belong to append: put rejects them with
 * InvalidBlobKeyError, and trimAppended manages them.
 */
export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, exclusive. */
  readonly end: number;
}

export interface ReadOptions {
  /**
   * The caller is done with each chunk when it asks for the next one (it copies it or writes it
   * out and waits until the write has completed): the adapter may then reuse the chunk's memory
   * for a later chunk. Long reads (GetClip's 80 MB) then allocate two buffers, not one per chunk;
   * allocating one per chunk had V8 run a full garbage collection for every 64 MB read.
   */
  readonly reuseChunks?: boolean;
}

export interface BlobStore {
  /** Stores the object; resolves only once the bytes are on stable storage. Replaces an existing object. */
  put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Streams the object, or a byte range of it; rejects with BlobNotFoundError for a missing key.
   * What the read holds open is let go when the chunks are read to the end or their iterator's
   * return() is called, even before the first chunk (releasing-chunks.ts).
   */
  get(key: string, range?: ByteRange, options?: ReadOptions): Promise<AsyncIterable<Uint8Array>>;
  /** The object's size in bytes, or undefined when it does not exist. */
  size(key: string): Promise<number | undefined>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Appends bytes to a series (one per stream) and resolves once they are on stable storage, with
   * where they start. Callers never run two appends on one series at once. How a series maps to
   * objects is the adapter's business (files: append-only segment files rotated by size; object
   * stores: one object per append); the returned location is readable with get(key, range).
   * An append into the object the series' previous append went to starts where that one ended;
   * an append into a new object starts at 0. Once the object a series appends to is deleted, the
   * series goes on in a new object (deleting it while an append to it runs loses that append).
   */
  append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation>;
  /**
   * Readies a series for appends about to come: does now what its next append would otherwise do
   * before writing (files: create the segment and make its directory entry durable), so that
   * appends are not slowed by it. Counts as an append for the rule above.
   */
  prepareAppend(series: string): Promise<void>;
  /**
   * Crash recovery, once, before any append: cuts every object written by append down to the
   * extent `referenced` gives for its key, and deletes those it does not mention; objects no longer
   * than their extent, and keys that do not exist, are left alone. Returns what it removed: bytes
   * cut off the objects it kept, and how many objects it deleted.
   */
  trimAppended(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }>;
  /**
   * Storage reclaim (retention): deletes `key`, an object written by append that no index entry
   * references any more, unless bytes in it may still be on their way into the index. The caller
   * passes `indexedEnd`, the end of the furthest byte of `key` it knows was indexed (and has now
   * been unindexed). The object is kept, and false returned, when an append into it may be running
   * or may still come and it could hold bytes beyond `indexedEnd`, or when it holds bytes beyond
   * `indexedEnd` at all: those may belong to an append whose index entries are not committed yet.
   * Otherwise it is deleted, further appends of its series go to a new object, and true is
   * returned (also when the object no longer exists).
   *
   * Callers index an append's location only after it resolves, and index a series' appends in
   * order (the group committer does): so bytes still waiting for their index entries always lie
   * past every indexed byte of their object, beyond `indexedEnd`. Adapters that put each append in
   * an object of its own may delete any object whose size is within `indexedEnd`.
   *
   * Neither this nor deleteSeries needs to be durable at once: an object a crash brings back is
   * referenced by nothing, and start-up recovery (trimAppended) deletes it.
   */
  retireAppended(key: string, indexedEnd: number): Promise<boolean>;
  /**
   * Deletes every object of a series (a deleted stream's) and whatever the adapter keeps for it (a
   * folder). Appends to the series running meanwhile, or coming later, do not fail: their bytes go
   * to objects of the series that a later deleteSeries removes. Returns how many objects it deleted.
   */
  deleteSeries(series: string): Promise<number>;
  /** Keys under a prefix (a '/'-terminated folder or ''), in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * The folders directly under a prefix (a '/'-terminated folder or '') that hold keys, each as a
   * '/'-terminated prefix (`streams/12/`), in no particular order: the series there, without
   * listing their objects. Adapters with real folders may list empty ones too.
   */
  listFolders(prefix: string): AsyncIterable<string>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob at key ${key}`);
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid blob key ${JSON.stringify(key)}`);
  }
}

const KEY_SEGMENT = /^[A-Za-z0-9._-]+$/;

export function isValidBlobKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  return key.split('/').every((seg) => KEY_SEGMENT.test(seg) && seg !== '.' && seg !== '..');
}
