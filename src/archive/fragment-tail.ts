import type { FragmentRecord } from '../domain/fragment.js';
import type { FragmentFeed } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import type { StartPoint } from './get-media-start.js';

export type TailItem = { readonly kind: 'fragment'; readonly fragment: FragmentRecord } | { readonly kind: 'stream-deleted' };

export interface TailOptions {
  readonly index: IndexStore;
  readonly feed: FragmentFeed;
  readonly streamId: number;
  /** To notice a stream deleted before the tail subscribed (no event will come for it). */
  readonly streamArn: string;
  readonly start: StartPoint;
  /** Ends the tail (client gone, session too long); the tail then returns at its next step. */
  readonly signal: AbortSignal;
  /** Fragments read from the index at a time. */
  readonly batchSize?: number;
}

const DEFAULT_BATCH = 16;

/**
 * A stream's fragments in fragment-number order from a start point on, archived ones first, then
 * each new one as soon as the feed says it is indexed; it never ends on its own unless the stream
 * is deleted. Feed events only wake the tail up: it always reads the index after the last
 * fragment it yielded, so a missed or repeated event can delay it but never make it skip or
 * repeat a fragment. While the consumer is busy (a slow reader), events just mark it as woken.
 */
export async function* tailFragments(options: TailOptions): AsyncGenerator<TailItem> {
  const { index, feed, streamId, signal } = options;
  const wake = new Wakeup();
  let deleted = false;
  const unsubscribe = feed.subscribe(streamId, (event) => {
    if (event.type === 'stream-deleted') deleted = true;
    wake.notify();
  });
  const onAbort = () => wake.notify();
  signal.addEventListener('abort', onAbort);
  try {
    let after = 'after' in options.start ? options.start.after : options.start.first.fragmentNumber;
    if ('first' in options.start) yield { kind: 'fragment', fragment: options.start.first };
    // Subscribed first, checked second: a deletion is either seen here or announced to us.
    if (!(await index.getStreamByArn(options.streamArn))) deleted = true;
    const limit = options.batchSize ?? DEFAULT_BATCH;
    while (!signal.aborted) {
      // Reset before reading: an event that lands during the read wakes the next wait at once.
      wake.reset();
      const batch = deleted ? [] : await index.listFragments(streamId, { afterNumber: after || undefined, limit });
      for (const fragment of batch) {
        if (signal.aborted) return;
        yield { kind: 'fragment', fragment };
        after = fragment.fragmentNumber;
      }
      if (deleted) {
        yield { kind: 'stream-deleted' };
        return;
      }
      if (batch.length < limit) await wake.wait();
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}

/** A level-triggered wake-up: notify() before wait() is not lost. */
class Wakeup {
  private pending = false;
  private waiter: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  reset(): void {
    this.pending = false;
  }

  wait(): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }
}
