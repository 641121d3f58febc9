/**
 * The chunks of a stored object whose reading holds something open (a file, an HTTP connection)
 * until it is read to the end or given up. Readers give up with return() (as `for await` does on
 * break), often before the first chunk: a client that leaves while a document's prefix is being
 * written. The iterator of a Readable or of an async generator that has not started ignores
 * return() and leaves its cleanup to the garbage collector, so `release` frees it then.
 */
export function releasingChunks(source: AsyncIterable<Uint8Array>, release: () => unknown): AsyncIterableIterator<Uint8Array> {
  return new ReleasingChunks(source, release);
}

class ReleasingChunks implements AsyncIterableIterator<Uint8Array> {
  /** Created on the first next(), which starts it: from then on its own return() cleans up. */
  private started: AsyncIterator<Uint8Array> | undefined;
  private finished = false;

  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    private readonly release: () => unknown,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    this.started ??= this.source[Symbol.asyncIterator]();
    return this.started.next();
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.finished) {
      this.finished = true;
      if (this.started) await this.started.return?.();
      else await this.release();
    }
    return { done: true, value: undefined };
  }
}
