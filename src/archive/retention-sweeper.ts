import type { StreamRecord } from '../domain/stream.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { LIVE_WINDOW_MS, retentionCutoffMs } from './retention-policy.js';
import { StorageReclaimer } from './storage-reclaim.js';
import { yieldToEventLoop } from './yield.js';

export interface RetentionOptions {
  /** Time between the end of one sweep and the start of the next. */
  readonly intervalMs: number;
  /** What streams with DataRetentionInHours 0 keep (retention-policy.ts). */
  readonly liveWindowMs: number;
  /** Fragments deleted per index transaction, so a large expiry never holds the index for long. */
  readonly deleteBatch: number;
}

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = {
  intervalMs: 60_000,
  liveWindowMs: LIVE_WINDOW_MS,
  deleteBatch: 1000,
};

/** What the API operations ask of retention. */
export interface Retention {
  /**
   * Applies the stream's retention now (after UpdateDataRetention decreased it): when this
   * resolves its expired fragments are no longer listed; their storage is freed in the background.
   * Returns how many fragments expired.
   */
  enforce(stream: StreamRecord): Promise<number>;
  /** The stream was deleted (its fragments are already unlisted): free its storage in the background. */
  streamDeleted(streamId: number): void;
}

export interface SweepReport {
  readonly streams: number;
  readonly expiredFragments: number;
  readonly deletedObjects: number;
  readonly keptObjects: number;
  readonly deletedSeries: number;
  readonly deletedSeriesObjects: number;
}

const STREAM_PAGE = 500;

/**
 * The background retention task (DESIGN §4): every `intervalMs` it deletes each stream's fragments
 * older than its retention, frees the blob objects nothing references any more, and removes the
 * series of deleted streams (StorageReclaimer says which objects it may touch and why). Its work
 * runs one piece at a time, in order; stop() waits for the piece running.
 */
export class RetentionSweeper implements Retention {
  private readonly options: RetentionOptions;
  private readonly reclaimer: StorageReclaimer;
  private work: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reclaimQueued = false;

  constructor(
    private readonly index: IndexStore,
    blobs: BlobStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: Partial<RetentionOptions> = {},
  ) {
    this.options = { ...DEFAULT_RETENTION_OPTIONS, ...options };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`retention ${name} must be a positive integer, got ${value}`);
    }
    this.reclaimer = new StorageReclaimer(index, blobs);
  }

  /** Starts the periodic sweeps; the first one runs after one interval. */
  start(): void {
    if (!this.stopped && this.timer === undefined) this.schedule();
  }

  /** Stops the timer and waits for the piece of work running (which stops early); nothing runs afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.work;
  }

  /** One whole sweep now, after the work already queued (tests and operators call it; so does the timer). */
  sweep(): Promise<SweepReport> {
    return this.enqueue(() => this.sweepNow());
  }

  async enforce(stream: StreamRecord): Promise<number> {
    const expired = await this.expire(stream, this.clock.nowMs());
    if (expired > 0) this.reclaimSoon();
    return expired;
  }

  streamDeleted(streamId: number): void {
    // Once stopped, the start-up recovery or the next run's sweep frees it.
    if (this.stopped) return;
    void this.enqueue(() => this.reclaimer.reclaimStream(streamId)).catch((err: unknown) =>
      this.log.error({ err, streamId }, 'retention: freeing a deleted stream\'s storage failed; the next sweep retries'),
    );
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep()
        .catch((err: unknown) => {
          if (!this.stopped) this.log.error({ err }, 'retention sweep failed; the next one retries');
        })
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.options.intervalMs);
    // The server's socket keeps the process alive, not this timer.
    this.timer.unref();
  }

  /** Runs `task` after every task queued before it, unless stopped by then. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.work.then(() => {
      if (this.stopped) throw new Error('retention sweeper stopped');
      return task();
    });
    this.work = run.catch(() => undefined);
    return run;
  }

  private reclaimSoon(): void {
    if (this.reclaimQueued || this.stopped) return;
    this.reclaimQueued = true;
    void this.enqueue(() => {
      this.reclaimQueued = false;
      return this.reclaimer.reclaimNoted(() => this.stopped);
    }).catch((err: unknown) => this.log.error({ err }, 'retention: freeing expired storage failed; the next sweep retries'));
  }

  private async sweepNow(): Promise<SweepReport> {
    const startedMs = this.clock.nowMs();
    const listed = new Set<number>();
    let expiredFragments = 0;
    let afterName: string | undefined;
    for (;;) {
      const page = await this.index.listStreams({ limit: STREAM_PAGE, ...(afterName === undefined ? {} : { afterName }) });
      for (const stream of page) {
        if (this.stopped) break;
        expiredFragments += await this.expire(stream, startedMs);
        listed.add(stream.streamId);
        await yieldToEventLoop();
      }
      afterName = page.at(-1)?.name;
      if (page.length < STREAM_PAGE || this.stopped) break;
    }
    const noted = await this.reclaimer.reclaimNoted(() => this.stopped);
    const orphans = await this.reclaimer.reclaimOrphanSeries(listed, () => this.stopped);
    const report: SweepReport = { streams: listed.size, expiredFragments, ...noted, ...orphans };
    if (expiredFragments > 0 || noted.deletedObjects > 0 || orphans.deletedSeries > 0) this.log.info(report, 'retention sweep');
    return report;
  }

  /** Deletes the stream's expired fragments, a batch per transaction; returns how many. */
  private async expire(stream: StreamRecord, nowMs: number): Promise<number> {
    const cutoffMs = retentionCutoffMs(stream.dataRetentionInHours, nowMs, this.options.liveWindowMs);
    let expired = 0;
    for (;;) {
      const deleted = await this.index.deleteFragmentsBefore(stream.streamId, cutoffMs, this.options.deleteBatch);
      this.reclaimer.noteDeleted(deleted.blobEnds);
      expired += deleted.count;
      if (deleted.count < this.options.deleteBatch) return expired;
      await yieldToEventLoop();
    }
  }
}
