import { GET_MEDIA_CONNECTIONS_PER_STREAM } from '../api/media/get-media.js';
import { ConnectionSlots, type ReleaseSlot, type StreamSlots } from '../archive/connection-slots.js';
import type { CallTarget, RpcClient } from './rpc.js';
import { TARGET } from './storage-calls.js';

/**
 * GetMedia's connections per stream counted in the primary for all workers, so the limit holds
 * for the box (kvs-api.md §6.2), not per worker. Each worker names its slots by a number, so a
 * dead worker's are given back.
 */
export class BoxSlots {
  private readonly slots = new ConnectionSlots(GET_MEDIA_CONNECTIONS_PER_STREAM);
  private readonly held = new Map<object, Map<number, ReleaseSlot>>();

  /** The calls one worker takes and gives back its slots with. */
  callsOf(worker: object): CallTarget {
    const held = new Map<number, ReleaseSlot>();
    this.held.set(worker, held);
    let next = 1;
    return {
      acquire: (streamId: number) => {
        const release = this.slots.acquire(streamId);
        if (!release) return undefined;
        held.set(next, release);
        return next++;
      },
      release: (slot: number) => {
        held.get(slot)?.();
        held.delete(slot);
      },
    };
  }

  /** The worker is gone, and so are its connections: their slots are free again. */
  releaseAll(worker: object): void {
    for (const release of this.held.get(worker)?.values() ?? []) release();
    this.held.delete(worker);
  }
}

/** A worker's side: slots taken from the primary's BoxSlots. */
export function remoteSlots(rpc: RpcClient): StreamSlots {
  return {
    acquire: async (streamId) => {
      const slot = await rpc.call<number | undefined>(TARGET.slots, 'acquire', [streamId]);
      if (slot === undefined) return undefined;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        void rpc.call(TARGET.slots, 'release', [slot]).catch(() => {});
      };
    },
  };
}
