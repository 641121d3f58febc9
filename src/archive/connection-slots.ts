/**
 * Per-stream caps on concurrent long-lived readers (GetMedia allows 3 per stream, kvs-api.md §6.2).
 * Counts are per server process: behind a load balancer each node enforces its own.
 */
export class ConnectionSlots {
  private readonly open = new Map<number, number>();

  constructor(readonly perStream: number) {}

  /** Takes a slot; returns its release function (idempotent), or undefined when the stream is full. */
  acquire(streamId: number): (() => void) | undefined {
    const count = this.open.get(streamId) ?? 0;
    if (count >= this.perStream) return undefined;
    this.open.set(streamId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(streamId) ?? 1) - 1;
      if (left > 0) this.open.set(streamId, left);
      else this.open.delete(streamId);
    };
  }

  /** Open connections on a stream (for tests and metrics). */
  count(streamId: number): number {
    return this.open.get(streamId) ?? 0;
  }
}
