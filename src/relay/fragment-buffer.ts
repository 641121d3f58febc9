/**
 * Fragments between the source and PutMedia, like the producer SDK's content store: a fragment
 * stays until openkvs (or KVS) acks it PERSISTED, so a session that fails is followed by one that
 * sends what was not persisted, in order, before anything newer. Bounded by duration (`--buffer`):
 * while the server is unreachable the oldest fragments are dropped first, as the SDK's
 * content store drops its oldest when it is full.
 */
import type { SourceHeader } from './cluster-splitter.js';

export interface Fragment {
  readonly header: SourceHeader;
  /** The Cluster with its ABSOLUTE Timestamp, plus its metadata Tags. */
  readonly bytes: Uint8Array;
  readonly timestampMs: number;
  readonly durationMs: number;
  /** Sent in some session (a resend after a failure is still allowed until PERSISTED). */
  sent: boolean;
}

export class FragmentBuffer {
  private items: Fragment[] = [];
  private waiters: Array<() => void> = [];
  dropped = 0;

  constructor(private readonly maxMs: number) {}

  get length(): number {
    return this.items.length;
  }

  get durationMs(): number {
    return this.items.reduce((n, f) => n + f.durationMs, 0);
  }

  push(fragment: Fragment): void {
    this.items.push(fragment);
    while (this.items.length > 1 && this.durationMs > this.maxMs) {
      this.items.shift();
      this.dropped++;
    }
    this.wake();
  }

  /** The fragment at position `i` of the unpersisted ones, or undefined. */
  at(i: number): Fragment | undefined {
    return this.items[i];
  }

  indexOf(fragment: Fragment): number {
    return this.items.indexOf(fragment);
  }

  /** PERSISTED for the fragment starting at `timestampMs`: it (and anything older) leaves. */
  persisted(timestampMs: number): number {
    let removed = 0;
    while (this.items.length > 0 && this.items[0]!.timestampMs <= timestampMs) {
      this.items.shift();
      removed++;
    }
    return removed;
  }

  /** Resolves when something is pushed (or `wakeAll` is called), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.waiters = self.waiters.filter((w) => w !== done);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  wakeAll(): void {
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
