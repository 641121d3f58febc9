import type { NewFragment } from '../domain/fragment.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Logger } from '../util/logger.js';

/** A complete fragment: its index row (without location) and its bytes as received. */
export interface FragmentToCommit {
  readonly row: Omit<NewFragment, 'location'>;
  readonly bytes: readonly Uint8Array[];
}

export type CommitOutcome = 'indexed' | 'stream-gone';

interface Pending extends FragmentToCommit {
  resolve(outcome: CommitOutcome): void;
  reject(err: unknown): void;
}

/** A fragment whose bytes are durable, waiting for its index row. */
interface Located {
  readonly pending: Pending;
  readonly row: NewFragment;
}

/** The blob series a stream's fragment bytes are appended to. */
export function seriesOf(streamId: number): string {
  return `streams/${streamId}`;
}

/**
 * Group commit (DESIGN §4), in two independent stages so that no fragment waits for another
 * stream's disk writes:
 *
 * 1. Bytes: each stream appends on its own as soon as a fragment is complete (one `writev` +
 *    `fdatasync`); fragments of that stream that complete meanwhile go together in its next append.
 *    A stream's appends never overlap, so its segment file stays in arrival order.
 * 2. Index: fragments whose bytes are durable join the next index transaction; one runs at a time
 *    and takes everything that became durable while the previous one ran.
 *
 * A fragment's promise resolves only once both its bytes and its index row are on stable storage,
 * which is what PERSISTED promises; an index row is never written before its bytes are durable, so
 * a crash leaves at worst unreferenced bytes (start-up recovery trims them). An earlier version
 * ran both stages per batch — every fragment waited for the slowest fsync of the batch before it
 * and of its own — which made the tail at 500 cameras several times the typical fsync.
 */
export class GroupCommitter {
  /** Per stream with an append running: the fragments that will go in its next append. */
  private readonly waitingBytes = new Map<number, Pending[]>();
  private waitingIndex: Located[] = [];
  private indexing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
  ) {}

  commit(fragment: FragmentToCommit): Promise<CommitOutcome> {
    const done = new Promise<CommitOutcome>((resolve, reject) => {
      const pending: Pending = { ...fragment, resolve, reject };
      const queued = this.waitingBytes.get(fragment.row.streamId);
      if (queued) queued.push(pending);
      else this.startAppends(fragment.row.streamId, [pending]);
    });
    const tracked: Promise<unknown> = done.then(
      () => this.inFlight.delete(tracked),
      () => this.inFlight.delete(tracked),
    );
    this.inFlight.add(tracked);
    return done;
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Appends `first`, then whatever the stream completed meanwhile, until nothing waits. */
  private startAppends(streamId: number, first: Pending[]): void {
    this.waitingBytes.set(streamId, []);
    void (async () => {
      let batch = first;
      while (batch.length > 0) {
        await this.appendStream(streamId, batch);
        batch = this.waitingBytes.get(streamId) ?? [];
        this.waitingBytes.set(streamId, []);
      }
      this.waitingBytes.delete(streamId);
    })();
  }

  /** One durable append of a stream's fragments, then they queue for the index. */
  private async appendStream(streamId: number, fragments: Pending[]): Promise<void> {
    try {
      const start = await this.blobs.append(seriesOf(streamId), fragments.flatMap((f) => f.bytes));
      let offset = start.offset;
      for (const pending of fragments) {
        this.waitingIndex.push({ pending, row: { ...pending.row, location: { key: start.key, offset } } });
        offset += pending.row.size;
      }
      this.indexing ??= this.runIndexCommits();
    } catch (err) {
      this.log.error({ err, streamId, fragments: fragments.length }, 'fragment append failed');
      for (const p of fragments) p.reject(err);
    }
  }

  private async runIndexCommits(): Promise<void> {
    // Let appends that finish in the same turn of the event loop join the first transaction.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.waitingIndex.length > 0) {
      const batch = this.waitingIndex;
      this.waitingIndex = [];
      await this.commitIndex(batch);
    }
    this.indexing = undefined;
  }

  private async commitIndex(batch: readonly Located[]): Promise<void> {
    try {
      const indexed = await this.index.commitFragments(batch.map((l) => l.row));
      batch.forEach((l, i) => l.pending.resolve(indexed[i] ? 'indexed' : 'stream-gone'));
    } catch (err) {
      this.log.error({ err, fragments: batch.length }, 'fragment index commit failed');
      for (const l of batch) l.pending.reject(err);
    }
  }
}
