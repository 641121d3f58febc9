/**
 * Fixed-size byte slabs that PutMedia sessions copy request bodies into, given back and reused
 * once nothing needs their bytes.
 *
 * Why not keep the socket's chunks: each is a new off-heap allocation (or a view pinning a 64 KiB
 * one), and at 500 cameras they arrive at 125 MB/s and live for the seconds a fragment lasts. V8
 * counts such memory and starts a full garbage collection each time it grows by tens of MB, which
 * ran every half second and stalled every session each time. Reused slabs keep that count flat.
 */
export class SlabPool {
  private readonly free: Uint8Array[] = [];

  constructor(
    readonly slabBytes = 64 * 1024,
    /** Slabs kept for reuse at most; more are left to the garbage collector. */
    private readonly maxFree = 1024,
  ) {}

  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.slabBytes);
  }

  give(slab: Uint8Array): void {
    if (this.free.length < this.maxFree) this.free.push(slab);
  }
}

interface Slab {
  /** Body offset of the slab's first byte. */
  readonly start: number;
  readonly bytes: Uint8Array;
  /** Bytes of the slab filled so far. */
  fill: number;
  /** Slices taken from it and not yet released. */
  pins: number;
  /** The window no longer holds it: it goes back to the pool once unpinned. */
  dropped: boolean;
}

/** Where a window reports the slab bytes it holds (a session's share of the ingest memory budget). */
export interface HeldBytesMeter {
  add(bytes: number): void;
  remove(bytes: number): void;
}

/** Views of a fragment's bytes, valid until `release` (their slabs may then be reused). */
export interface HeldBytes {
  readonly views: Uint8Array[];
  release(): void;
}

/**
 * The request-body bytes the ingest still needs, addressed by absolute body offset and copied
 * into pooled slabs: a fragment's bytes are cut out of them as views once its Cluster is complete.
 */
export class ChunkWindow {
  private slabs: Slab[] = [];
  private total = 0;

  constructor(
    private readonly pool: SlabPool,
    /** Told of every slab taken and given back, until its last slice is released. */
    private readonly meter?: HeldBytesMeter,
  ) {}

  /** Body bytes seen so far. */
  get end(): number {
    return this.total;
  }

  append(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.byteLength) {
      let slab = this.slabs.at(-1);
      if (slab === undefined || slab.fill === slab.bytes.byteLength) {
        slab = { start: this.total, bytes: this.pool.take(), fill: 0, pins: 0, dropped: false };
        this.meter?.add(slab.bytes.byteLength);
        this.slabs.push(slab);
      }
      const count = Math.min(bytes.byteLength - from, slab.bytes.byteLength - slab.fill);
      slab.bytes.set(bytes.subarray(from, from + count), slab.fill);
      slab.fill += count;
      from += count;
      this.total += count;
    }
  }

  /** Forgets slabs that end at or before `offset` (the one being filled stays). */
  discardBefore(offset: number): void {
    let drop = 0;
    while (drop < this.slabs.length - 1 && this.slabs[drop]!.start + this.slabs[drop]!.fill <= offset) drop++;
    if (drop === 0) return;
    for (const slab of this.slabs.slice(0, drop)) this.drop(slab);
    this.slabs = this.slabs.slice(drop);
  }

  /** The bytes in [start, end), which must still be held, pinned until the result's release. */
  slice(start: number, end: number): HeldBytes {
    const first = this.slabs[0];
    if (!first || start < first.start || end > this.total) {
      throw new Error(`bytes ${start}..${end} are no longer held (window ${first?.start ?? this.total}..${this.total})`);
    }
    const views: Uint8Array[] = [];
    const pinned: Slab[] = [];
    for (const slab of this.slabs) {
      const from = Math.max(start, slab.start);
      const to = Math.min(end, slab.start + slab.fill);
      if (from < to) {
        views.push(slab.bytes.subarray(from - slab.start, to - slab.start));
        slab.pins += 1;
        pinned.push(slab);
      }
      if (slab.start + slab.fill >= end) break;
    }
    let released = false;
    return {
      views,
      release: () => {
        if (released) return;
        released = true;
        for (const slab of pinned) {
          slab.pins -= 1;
          this.giveBackIfFree(slab);
        }
      },
    };
  }

  /** The session is over: every slab goes back to the pool once its slices are released. */
  close(): void {
    for (const slab of this.slabs) this.drop(slab);
    this.slabs = [];
  }

  private drop(slab: Slab): void {
    slab.dropped = true;
    this.giveBackIfFree(slab);
  }

  private giveBackIfFree(slab: Slab): void {
    if (!slab.dropped || slab.pins !== 0) return;
    this.meter?.remove(slab.bytes.byteLength);
    this.pool.give(slab.bytes);
  }
}
