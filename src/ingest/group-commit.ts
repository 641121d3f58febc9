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

/** Three quarters of libuv's thread pool (bin/openkvs.cjs makes it 16; Node's default is 4). */
function defaultMaxAppends(): number {
  const poolSize = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
  return Math.max(2, Math.floor((poolSize * 3) / 4));
}

/** The blob series a stream's fragment bytes are appended to. */
export function seriesOf(streamId: number): string {
  return `streams/${streamId}`;
}

/**
 * Group commit (DESIGN §4), in two independent stages so that no fragment waits for another
 * stream's disk writes:
 *
 * 1. Bytes: each stream appends on its own as soon as a fragment is complete and an append slot
 *    is free (one `writev` + `fdatasync`); fragments of that stream that complete meanwhile go
 *    together in its next append. A stream's appends never overlap, so its segment file stays in
 *    arrival order.
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
  /** Per stream: fragments not yet in an append (the stream waits for a slot, or its append runs). */
  private readonly waitingBytes = new Map<number, Pending[]>();
  /** Streams whose append runs now. */
  private readonly appending = new Set<number>();
  /** Streams waiting for an append slot, oldest first; each at most once. */
  private readonly ready: number[] = [];
  private waitingIndex: Located[] = [];
  private indexing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * `maxAppends` bounds the appends running at once. Each is a writev then an fdatasync on
   * libuv's thread pool, whose queue is first in, first out: unbounded, a burst of appends queues
   * the index commit's WAL sync behind all of them, and every fragment then waits for the whole
   * queue twice. Bounded below the pool size, the WAL sync (and other file I/O) finds a thread.
   */
  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
    /** Told of every index transaction's fragments, right after it commits. */
    private readonly onIndexed: (fragments: readonly NewFragment[]) => void = () => {},
    private readonly maxAppends = defaultMaxAppends(),
  ) {}

  /**
   * A session for the stream started: its storage is readied now (BlobStore.prepareAppend), in
   * the stream's turn like an append, so its first fragment does not wait for that. With 500 new
   * cameras, creating their segment files while their first fragments waited for PERSISTED (a
   * dozen trips through the thread pool each, all in the same two seconds) took seconds.
   */
  prepare(streamId: number): void {
    if (this.waitingBytes.has(streamId) || this.appending.has(streamId)) return;
    // An empty list: a fragment completing before the turn comes joins it and is appended instead.
    this.waitingBytes.set(streamId, []);
    this.ready.push(streamId);
    this.startAppends();
  }

  commit(fragment: FragmentToCommit): Promise<CommitOutcome> {
    const streamId = fragment.row.streamId;
    const done = new Promise<CommitOutcome>((resolve, reject) => {
      const pending: Pending = { ...fragment, resolve, reject };
      const waiting = this.waitingBytes.get(streamId);
      if (waiting) waiting.push(pending);
      else {
        this.waitingBytes.set(streamId, [pending]);
        // A stream whose append runs queues again when it finishes.
        if (!this.appending.has(streamId)) this.ready.push(streamId);
      }
    });
    const tracked: Promise<unknown> = done.then(
      () => this.inFlight.delete(tracked),
      () => this.inFlight.delete(tracked),
    );
    this.inFlight.add(tracked);
    this.startAppends();
    return done;
  }

  /** Resolves when everything submitted so far is committed (or failed), and every prepare has run. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Starts appends for waiting streams while slots are free. */
  private startAppends(): void {
    while (this.appending.size < this.maxAppends && this.ready.length > 0) {
      const streamId = this.ready.shift()!;
      const fragments = this.waitingBytes.get(streamId)!;
      this.waitingBytes.delete(streamId);
      this.appending.add(streamId);
      const run = fragments.length === 0 ? this.prepareStream(streamId) : this.appendStream(streamId, fragments);
      void run.then(() => {
        this.appending.delete(streamId);
        if (this.waitingBytes.has(streamId)) this.ready.push(streamId);
        this.startAppends();
      });
    }
  }

  private async prepareStream(streamId: number): Promise<void> {
    const done = this.blobs.prepareAppend(seriesOf(streamId)).catch((err: unknown) => {
      // Only an optimisation: the next append does the same work and reports its failure.
      this.log.warn({ err, streamId }, 'readying fragment storage failed');
    });
    const tracked: Promise<unknown> = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    await done;
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
      const rows = batch.map((l) => l.row);
      const indexed = await this.index.commitFragments(rows);
      batch.forEach((l, i) => l.pending.resolve(indexed[i] ? 'indexed' : 'stream-gone'));
      this.onIndexed(rows.filter((_, i) => indexed[i]));
    } catch (err) {
      this.log.error({ err, fragments: batch.length }, 'fragment index commit failed');
      for (const l of batch) l.pending.reject(err);
    }
  }
}
