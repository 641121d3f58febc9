/**
 * Buffers events between a producer that never waits (the socket) and one async-iterating
 * consumer. Acks are few and small, so nothing is dropped; a consumer that never iterates costs
 * only their memory.
 */
export class EventQueue<T> {
  private readonly buffered: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  push(event: T): void {
    if (this.ended) return;
    if (this.waiting) {
      this.takeWaiting().resolve({ value: event, done: false });
    } else {
      this.buffered.push(event);
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiting) this.takeWaiting().resolve({ value: undefined, done: true });
  }

  /** Ends the iteration with `error` once the buffered events have been consumed. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = { error };
    if (this.waiting) this.takeWaiting().reject(error);
  }

  iterator(): AsyncIterator<T> {
    return {
      next: () => this.next(),
      // Leaving a for-await loop early stops the iteration only; the upload goes on (abort it with the signal).
      return: async () => {
        this.buffered.length = 0;
        this.ended = true;
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined; // thrown once, like a failed stream
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiting) return Promise.reject(new Error('PutMediaSession supports one consumer at a time'));
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private takeWaiting() {
    const waiting = this.waiting!;
    this.waiting = undefined;
    return waiting;
  }
}
