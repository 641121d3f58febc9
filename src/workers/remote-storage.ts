import type { StreamRecord } from '../domain/stream.js';
import type { ProvidedStorage, Sweeper } from '../server.js';
import { InvalidBlobKeyError, isValidBlobKey, type BlobStore, type ByteRange, type ReadOptions } from '../storage/blob-store.js';
import { LocalFragmentFeed, type FeedEvent, type FeedListener, type FragmentFeed } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import type { MessageEnd, RpcClient } from './rpc.js';
import { INDEX_CALLS, TARGET } from './storage-calls.js';
import { FEED_NOTE } from './storage-host.js';
import type { BlobLocation } from '../domain/fragment.js';

/**
 * A worker's storage ports. Fragment bytes never cross to the storage process: the worker appends
 * them to segment series of its own (`workerSeries`) and reads every segment file itself; index
 * calls and the blob writes of other series go to the storage process
 * (storage-host.ts). Sending the bytes there instead (each fragment copied through the IPC pipe
 * and appended by the one writer) was slower than one process: at 500 cameras the messages
 * waited seconds in the channel (docs/architecture.md, "Ingest across cores").
 */
export function remoteStorage(rpc: RpcClient, end: MessageEnd, files: BlobStore, slot: number): ProvidedStorage {
  return {
    index: remoteIndex(rpc),
    blobs: new WorkerBlobStore(rpc, files, slot),
    feed: new WorkerFeed(end),
    sweeper: remoteSweeper(rpc),
  };
}

/**
 * The series worker `slot` appends a series' fragments to: a series nested in it
 * (`streams/12/w0`), so that one segment file has one writer, and deleting the stream's series
 * deletes it too. Retention retires its final segments from the storage process: a segment it
 * has no appender state for is final once a newer one exists in its folder (SegmentAppender.retire).
 */
function workerSeries(series: string, slot: number): string {
  return `${series}/w${slot}`;
}

function remoteIndex(rpc: RpcClient): IndexStore {
  const calls = Object.fromEntries(INDEX_CALLS.map((name) => [name, (...args: unknown[]) => rpc.call(TARGET.index, name, args)]));
  // The storage process closes the index; a worker only stops calling it.
  return { ...calls, close: async () => {} } as unknown as IndexStore;
}

function remoteSweeper(rpc: RpcClient): Sweeper {
  return {
    enforce: (stream: StreamRecord) => rpc.call(TARGET.retention, 'enforce', [stream]),
    streamDeleted: (streamId: number) => void rpc.call(TARGET.retention, 'streamDeleted', [streamId]).catch(() => {}),
    sweep: () => rpc.call(TARGET.retention, 'sweep', []),
    // The sweeps run in the primary, on its own schedule.
    start: () => {},
    stop: async () => {},
  };
}

/** Reads from the files here and appends to this worker's series here; other writes in the storage process. */
class WorkerBlobStore implements BlobStore {
  constructor(
    private readonly rpc: RpcClient,
    private readonly files: BlobStore,
    private readonly slot: number,
  ) {}

  get(key: string, range?: ByteRange, options?: ReadOptions): Promise<AsyncIterable<Uint8Array>> {
    return this.files.get(key, range, options);
  }
  size(key: string): Promise<number | undefined> {
    return this.files.size(key);
  }
  list(prefix: string): AsyncIterable<string> {
    return this.files.list(prefix);
  }
  listFolders(prefix: string): AsyncIterable<string> {
    return this.files.listFolders(prefix);
  }
  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    // One message: a stream of chunks is gathered first (nothing a worker runs puts large objects).
    let bytes: Uint8Array;
    if (data instanceof Uint8Array) bytes = data;
    else {
      const chunks: Uint8Array[] = [];
      for await (const chunk of data) chunks.push(chunk);
      bytes = Buffer.concat(chunks);
    }
    return this.rpc.call(TARGET.blobs, 'put', [key, bytes]);
  }
  delete(key: string): Promise<void> {
    // Its own by its appender, which must not append to a deleted segment again.
    if (this.owns(key)) return this.files.delete(key);
    return this.rpc.call(TARGET.blobs, 'delete', [key]);
  }
  async append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
    return this.files.append(this.ownSeries(series), data);
  }
  async prepareAppend(series: string): Promise<void> {
    return this.files.prepareAppend(this.ownSeries(series));
  }
  trimAppended(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }> {
    return this.rpc.call(TARGET.blobs, 'trimAppended', [referenced]);
  }
  retireAppended(key: string, indexedEnd: number): Promise<boolean> {
    // This worker's own segments by its appender, which knows the one it is filling.
    if (this.owns(key)) return this.files.retireAppended(key, indexedEnd);
    return this.rpc.call(TARGET.blobs, 'retireAppended', [key, indexedEnd]);
  }
  async deleteSeries(series: string): Promise<number> {
    // This worker's nested series first, after its running append: its next one starts over.
    const own = await this.files.deleteSeries(this.ownSeries(series));
    return own + (await this.rpc.call<number>(TARGET.blobs, 'deleteSeries', [series]));
  }
  /** The series nested in `series` that this worker appends to (workerSeries). */
  private ownSeries(series: string): string {
    if (!isValidBlobKey(series)) throw new InvalidBlobKeyError(series);
    return workerSeries(series, this.slot);
  }
  private owns(key: string): boolean {
    return key.slice(0, key.lastIndexOf('/')).endsWith(`/w${this.slot}`);
  }
  close(): Promise<void> {
    return this.files.close();
  }
}

/**
 * Live readers subscribe here; every event, this worker's own included, comes back from the
 * storage process, which sends it to all workers (a DeleteStream on one wakes GetMedia on another).
 */
class WorkerFeed implements FragmentFeed {
  private readonly local = new LocalFragmentFeed();

  constructor(private readonly end: MessageEnd) {
    end.onMessage((message) => {
      if (message.kind === 'note' && message.note === FEED_NOTE) this.local.publish(message.body as FeedEvent);
    });
  }

  publish(event: FeedEvent): void {
    this.end.send({ kind: 'note', note: FEED_NOTE, body: event });
  }
  subscribe(streamId: number, listener: FeedListener): () => void {
    return this.local.subscribe(streamId, listener);
  }
  close(): Promise<void> {
    return this.local.close();
  }
}
