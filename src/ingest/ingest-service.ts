import { createHash } from 'node:crypto';
import type { NewFragment } from '../domain/fragment.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { FragmentFeed } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Logger } from '../util/logger.js';
import { SlabPool } from './chunk-window.js';
import { FragmentNumberAllocator, type FragmentNumbers } from './fragment-numbers.js';
import { GroupCommitter } from './group-commit.js';
import { IDLE_ACK_INTERVAL_MS, IDLE_TIMEOUT_MS, THROTTLE_TIMEOUT_MS, WIND_DOWN } from './limits.js';
import { IngestBudget } from './memory-budget.js';
import { OpenSessions } from './open-sessions.js';

/**
 * Distinct track headers remembered (a few hundred bytes of key each): every camera's current one
 * and then some, while a server fed endless distinct headers (each resolution change is one) stays
 * bounded.
 */
const TRACK_HEADER_CACHE_SIZE = 4096;

/** How a PutMedia session treats a producer that stops sending (tests shorten these). */
export interface IdleTimings {
  readonly ackIntervalMs: number;
  readonly timeoutMs: number;
  /** How the rest of a body the session stopped reading is dealt with (default WIND_DOWN). */
  readonly windDown?: WindDownBudget;
}

/**
 * After an ERROR ack (or an idle timeout) the producer may still be sending. The body is read and
 * thrown away until the producer ends it or pauses, within a time and byte budget; then the
 * response ends, and a connection whose body did not end is half-closed and dropped at most
 * `lingerMs` later. Closing a socket with unread bytes makes the kernel answer with a reset: the
 * producer's next write fails, and a client that then drops the connection never reads the acks
 * still queued for it — the ERROR ack included.
 */
export interface WindDownBudget {
  /** Longest time the body is read after the session stopped using it. */
  readonly drainMs: number;
  /** Most bytes read then. */
  readonly drainBytes: number;
  /** A pause this long in the producer's sending counts as it having stopped. */
  readonly quietMs: number;
  /** After the response ended: longest wait for the producer to close its side. */
  readonly lingerMs: number;
}

/** Used where no budget is configured (tests, benches of the ingest alone). */
const UNCONFIGURED_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * What every PutMedia session shares: fragment numbers, the group committer, the slabs bodies are
 * copied into, the memory budget they hold them under, the track headers already stored (a
 * camera reconnecting every 40 minutes sends the same header again), and the list of open
 * sessions a server stop ends one by one.
 */
export class IngestService {
  readonly committer: GroupCommitter;
  readonly slabs = new SlabPool();
  readonly sessions = new OpenSessions();
  /** Content hash → header id, most recently used last; at most `headerCacheSize` entries. */
  private readonly headerIds = new Map<string, Promise<number>>();

  constructor(
    private readonly index: IndexStore,
    blobs: BlobStore,
    log: Logger,
    feed: FragmentFeed,
    readonly idle: IdleTimings = { ackIntervalMs: IDLE_ACK_INTERVAL_MS, timeoutMs: IDLE_TIMEOUT_MS, windDown: WIND_DOWN },
    private readonly headerCacheSize = TRACK_HEADER_CACHE_SIZE,
    readonly budget = new IngestBudget({ limitBytes: UNCONFIGURED_BUDGET_BYTES, throttleTimeoutMs: THROTTLE_TIMEOUT_MS }, log),
    /** Another process's allocator with `serve --workers`, so that numbers increase across workers. */
    readonly numbers: FragmentNumbers = new FragmentNumberAllocator(index),
  ) {
    this.committer = new GroupCommitter(index, blobs, log, (fragments) => announce(feed, fragments));
  }

  /** Stores the Info + Tracks bytes once per distinct content; returns the header id. */
  trackHeaderId(info: Uint8Array, tracks: Uint8Array): Promise<number> {
    const bytes = Buffer.concat([info, tracks]);
    const hash = createHash('sha256').update(bytes).digest('hex');
    let id = this.headerIds.get(hash);
    if (id) this.headerIds.delete(hash);
    else {
      id = this.index.putTrackHeader(hash, bytes);
      const stored = id;
      stored.catch(() => {
        if (this.headerIds.get(hash) === stored) this.headerIds.delete(hash);
      });
    }
    this.headerIds.set(hash, id);
    // A header that falls out is only looked up again: putTrackHeader is idempotent per hash.
    if (this.headerIds.size > this.headerCacheSize) this.headerIds.delete(this.headerIds.keys().next().value!);
    return id;
  }

  /** Waits for every fragment handed to the committer so far. */
  drain(): Promise<void> {
    return this.committer.idle();
  }
}

/** One event per stream with the batch's highest fragment number: readers catch up from the index. */
function announce(feed: FragmentFeed, fragments: readonly NewFragment[]): void {
  const last = new Map<number, string>();
  for (const f of fragments) {
    const seen = last.get(f.streamId);
    if (seen === undefined || f.fragmentNumber > seen) last.set(f.streamId, f.fragmentNumber);
  }
  for (const [streamId, lastFragmentNumber] of last) feed.publish({ type: 'fragments-indexed', streamId, lastFragmentNumber });
}
