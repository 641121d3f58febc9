import { formatFragmentNumber } from '../domain/fragment.js';
import type { IndexStore } from '../storage/index-store.js';

interface Block {
  next: bigint;
  readonly end: bigint;
}

/** Where a PutMedia session gets each fragment's number. */
export interface FragmentNumbers {
  allocate(): Promise<string>;
}

/**
 * Hands out fragment numbers in arrival order. Numbers come from blocks reserved durably in the
 * index, so none is ever handed out twice, across restarts and crashes (a crash only leaves a
 * gap). The next block is reserved in the background when the current one runs low, so a
 * BUFFERING ack almost never waits for the index.
 */
export class FragmentNumberAllocator implements FragmentNumbers {
  private readonly blocks: Block[] = [];
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly index: IndexStore,
    private readonly blockSize = 1000,
  ) {}

  async allocate(): Promise<string> {
    for (;;) {
      const block = this.blocks[0];
      if (block && block.next < block.end) {
        const sequence = block.next++;
        if (this.remaining() < this.blockSize / 4) this.refill().catch(() => {});
        return formatFragmentNumber(sequence);
      }
      if (block) this.blocks.shift();
      else await this.refill();
    }
  }

  private remaining(): number {
    return this.blocks.reduce((sum, b) => sum + Number(b.end - b.next), 0);
  }

  private refill(): Promise<void> {
    this.refilling ??= this.index
      .reserveFragmentSequence(this.blockSize)
      .then((first) => {
        this.blocks.push({ next: first, end: first + BigInt(this.blockSize) });
      })
      .finally(() => {
        this.refilling = undefined;
      });
    return this.refilling;
  }
}
