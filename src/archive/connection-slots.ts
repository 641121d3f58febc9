/** Gives back a slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * The slots as a server takes them: from a table in this process, or (`serve --workers`) from the
 * storage process's, so the cap holds for the whole box, not per worker.
 */
export interface StreamSlots {
  /** Takes a slot; undefined when the stream is full. */
  acquire(streamId: number): Promise<ReleaseSlot | undefined>;
}

/**
 * Per-stream caps on concurrent long-lived readers (GetMedia allows 3 per stream, kvs-api.md §6.2).
 * Counts are per server (one process, or the workers of one): behind a load balancer each node
 * enforces its own.
 */
export class ConnectionSlots {
  private readonly open = new Map<number, number>();

  constructor(readonly perStream: number) {}

  /** Takes a slot; returns its release function (idempotent), or undefined when the stream is full. */
  acquire(streamId: number): ReleaseSlot | undefined {
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

/** The slots of this process. */
export function localSlots(slots: ConnectionSlots): StreamSlots {
  return { acquire: async (streamId) => slots.acquire(streamId) };
}
