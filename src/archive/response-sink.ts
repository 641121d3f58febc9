import type { ServerResponse } from 'node:http';

/**
 * A streamed response body written with backpressure: `write` waits while the socket's buffer is
 * full, so a slow reader holds the server to at most one buffer's worth (plus the chunk being
 * written) instead of letting it queue the whole answer in memory. It stops, returning false,
 * as soon as the client goes away.
 */
export class ResponseSink {
  private gone = false;
  private readonly closeWaiters = new Set<() => void>();

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      // 'close' after a complete response is the normal end; before it, the client went away.
      if (!res.writableFinished) this.gone = true;
      for (const wake of this.closeWaiters) wake();
      this.closeWaiters.clear();
    });
  }

  /** True once the client has disconnected (or the response was destroyed). */
  get closed(): boolean {
    return this.gone || this.res.destroyed;
  }

  /** Writes one chunk; resolves true once the socket can take more, false if the client is gone. */
  async write(chunk: Uint8Array): Promise<boolean> {
    if (this.closed) return false;
    if (this.res.write(chunk)) return true;
    return this.drained();
  }

  /** Writes several chunks as one corked batch (one writev, not a write each), then waits as write does. */
  async writeBatch(chunks: readonly Uint8Array[]): Promise<boolean> {
    if (this.closed) return false;
    this.res.cork();
    let room = true;
    for (const chunk of chunks) room = this.res.write(chunk);
    this.res.uncork();
    return room || this.drained();
  }

  /**
   * Writes several chunks as one corked batch and resolves once the socket has taken all of them
   * (true), or the client is gone (false). Only then may the caller reuse their memory: a write
   * that returns true can still hold a tail of its chunk, waiting for the socket.
   */
  async writeBatchFlushed(chunks: readonly Uint8Array[]): Promise<boolean> {
    if (this.closed || chunks.length === 0) return !this.closed;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.closeWaiters.delete(done);
        resolve();
      };
      this.closeWaiters.add(done);
      this.res.cork();
      chunks.forEach((chunk, i) => (i === chunks.length - 1 ? this.res.write(chunk, done) : this.res.write(chunk)));
      this.res.uncork();
    });
    return !this.closed;
  }

  private async drained(): Promise<boolean> {
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.closeWaiters.delete(done);
        resolve();
      };
      this.res.once('drain', done);
      this.closeWaiters.add(done);
    });
    return !this.closed;
  }

  /** Writes every chunk of `chunks` in order; false (and the source is released) if the client left. */
  async pipe(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<boolean> {
    for await (const chunk of chunks) {
      // Leaving the loop early closes the source (e.g. a file read stream) through return().
      if (!(await this.write(chunk))) return false;
    }
    return true;
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
