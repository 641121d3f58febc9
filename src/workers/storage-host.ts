import { RetentionSweeper, type RetentionOptions } from '../archive/retention-sweeper.js';
import type { StreamRecord } from '../domain/stream.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { FeedEvent } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { serveCalls, type CallTarget, type MessageEnd } from './rpc.js';
import { BLOB_WRITE_CALLS, INDEX_CALLS, TARGET } from './storage-calls.js';

/** The note a storage process sends every worker for each feed event, and a worker sends it to publish one. */
export const FEED_NOTE = 'feed';

/**
 * The storage process's side of `serve --workers` on the embedded backend: the one writer of the
 * SQLite index. It indexes the fragments each worker appended to its own segment series, runs the
 * retention sweeper, and tells every worker of each indexed batch so its live readers wake at once.
 */
export class StorageHost {
  private readonly workers = new Set<MessageEnd>();
  readonly sweeper: RetentionSweeper;
  private readonly targets: Map<string, CallTarget>;

  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
    log: Logger,
    clock: Clock,
    retention: Partial<RetentionOptions> = {},
  ) {
    this.sweeper = new RetentionSweeper(index, blobs, clock, log, retention);
    this.targets = new Map<string, CallTarget>([
      [TARGET.index, methodsOf(index, INDEX_CALLS)],
      [TARGET.blobs, methodsOf(blobs, BLOB_WRITE_CALLS)],
      [
        TARGET.retention,
        {
          enforce: (stream: StreamRecord) => this.sweeper.enforce(stream),
          streamDeleted: (streamId: number) => this.sweeper.streamDeleted(streamId),
          sweep: () => this.sweeper.sweep(),
        },
      ],
    ]);
  }

  /** Serves a worker's calls (`more`: the primary's own) and feeds it every event from now on. */
  attach(worker: MessageEnd, more: ReadonlyMap<string, CallTarget>): void {
    this.workers.add(worker);
    serveCalls(worker, new Map([...this.targets, ...more]));
    worker.onMessage((message) => {
      if (message.kind === 'note' && message.note === FEED_NOTE) this.broadcast(message.body as FeedEvent);
    });
  }

  /** The worker is gone. */
  detach(worker: MessageEnd): void {
    this.workers.delete(worker);
  }

  start(): void {
    this.sweeper.start();
  }

  /** After the workers are gone (their fragments committed): the sweep stops, the stores close. */
  async close(): Promise<void> {
    await this.sweeper.stop();
    await Promise.all([this.index.close(), this.blobs.close()]);
  }

  private broadcast(event: FeedEvent): void {
    for (const worker of this.workers) worker.send({ kind: 'note', note: FEED_NOTE, body: event });
  }
}

/** The listed methods of `store`, bound to it. */
function methodsOf<T extends object>(store: T, names: readonly (keyof T & string)[]): CallTarget {
  return Object.fromEntries(names.map((name) => [name, (store[name] as (...args: unknown[]) => unknown).bind(store)]));
}
