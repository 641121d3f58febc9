import type { FragmentRecord } from '../domain/fragment.js';
import { kvsDocumentPrefix, kvsDocumentSuffix, type ReaderPosition } from '../formats/matroska/kvs-document.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';
import { streamFragmentBytes } from './fragment-bytes.js';

/**
 * Track headers by id for one reader: a camera's fragments all point at the same header, so a
 * reader fetches it once, not once per fragment.
 */
export class TrackHeaderCache {
  private readonly headers = new Map<number, Promise<Uint8Array>>();

  constructor(private readonly index: IndexStore) {}

  get(headerId: number): Promise<Uint8Array> {
    let header = this.headers.get(headerId);
    if (!header) {
      header = this.index.getTrackHeader(headerId).then((bytes) => {
        if (!bytes) throw new Error(`track header ${headerId} is referenced by a fragment but missing from the index`);
        return bytes;
      });
      header.catch(() => this.headers.delete(headerId));
      this.headers.set(headerId, header);
    }
    return header;
  }
}

export interface DocumentSource {
  readonly blobs: BlobStore;
  readonly headers: TrackHeaderCache;
}

/**
 * One fragment as the Matroska document KVS readers return (formats/matroska/kvs-document.ts),
 * as chunks: the prefix, the Cluster streamed straight from storage, the suffix. The fragment's
 * bytes are opened before anything is yielded, so a fragment that cannot be read fails before its
 * document has started. `position` is asked for only once the Cluster has gone out, so GetMedia's
 * MILLIS_BEHIND_NOW is measured when the reader gets it.
 */
export async function fragmentDocument(
  source: DocumentSource,
  fragment: FragmentRecord,
  position?: () => ReaderPosition,
): Promise<AsyncIterable<Uint8Array>> {
  const header = await source.headers.get(fragment.headerId);
  const cluster = await streamFragmentBytes(source.blobs, fragment);
  return new DocumentChunks(kvsDocumentPrefix(header, fragment), cluster[Symbol.asyncIterator](), () =>
    kvsDocumentSuffix(fragment.tags, position?.()),
  );
}

/**
 * Prefix, Cluster chunks, suffix. Not a generator: a generator that is dropped before its first
 * step never runs its cleanup, and the Cluster's file is open from the start; return() here
 * always closes it, whether the reader left before, during or after the Cluster.
 */
class DocumentChunks implements AsyncIterableIterator<Uint8Array> {
  private stage: 'prefix' | 'cluster' | 'suffix' | 'done' = 'prefix';

  constructor(
    private readonly prefix: Uint8Array,
    private readonly cluster: AsyncIterator<Uint8Array>,
    private readonly suffix: () => Uint8Array,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.stage === 'prefix') {
      this.stage = 'cluster';
      return { done: false, value: this.prefix };
    }
    if (this.stage === 'cluster') {
      const chunk = await this.cluster.next();
      if (!chunk.done) return chunk;
      this.stage = 'suffix';
    }
    if (this.stage === 'suffix') {
      this.stage = 'done';
      return { done: false, value: this.suffix() };
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.stage = 'done';
    await this.cluster.return?.();
    return { done: true, value: undefined };
  }
}
