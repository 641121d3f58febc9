/**
 * Waiting for a live stream to gain fragments, for requests that hold until the fragment they ask
 * for exists (an HLS blocking playlist reload). Subscribe first, then read the index, then wait:
 * an event that lands between the read and the wait is remembered, so none is missed.
 */
import type { FragmentFeed } from '../storage/fragment-feed.js';

export type WakeReason = 'fragments' | 'deleted' | 'timeout';

export class FragmentWaiter {
  private pending: WakeReason | undefined;
  private wake: ((reason: WakeReason) => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(feed: FragmentFeed, streamId: number) {
    this.unsubscribe = feed.subscribe(streamId, (event) => {
      const reason: WakeReason = event.type === 'stream-deleted' ? 'deleted' : 'fragments';
      if (this.wake) this.wake(reason);
      // A deletion outranks a fragment event seen earlier.
      else if (this.pending !== 'deleted') this.pending = reason;
    });
  }

  /** Resolves at the first event since the previous call (at once if one came meanwhile), or after `timeoutMs`. */
  next(timeoutMs: number): Promise<WakeReason> {
    if (this.pending !== undefined) {
      const reason = this.pending;
      this.pending = undefined;
      return Promise.resolve(reason);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
      const done = (reason: WakeReason) => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(reason);
      };
      this.wake = done;
    });
  }

  close(): void {
    this.unsubscribe();
    this.wake?.('timeout');
  }
}
