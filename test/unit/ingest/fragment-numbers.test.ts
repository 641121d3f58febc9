import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAGMENT_NUMBER_DIGITS, parseFragmentNumber } from '../../../src/domain/fragment.js';
import { FragmentNumberAllocator } from '../../../src/ingest/fragment-numbers.js';
import type { IndexStore } from '../../../src/storage/index-store.js';

/** Just the reservation part of an index, recording what was asked. */
function reservingIndex() {
  let next = 1n;
  const calls: number[] = [];
  const index = {
    async reserveFragmentSequence(count: number) {
      calls.push(count);
      const first = next;
      next += BigInt(count);
      return first;
    },
  } as unknown as IndexStore;
  return { index, calls };
}

test('numbers are fixed-width, strictly increasing and unique under concurrent allocation', async () => {
  const { index } = reservingIndex();
  const allocator = new FragmentNumberAllocator(index, 8);
  const numbers = await Promise.all(Array.from({ length: 50 }, () => allocator.allocate()));
  assert.ok(numbers.every((n) => n.length === FRAGMENT_NUMBER_DIGITS));
  assert.equal(new Set(numbers).size, 50);
  const sorted = [...numbers].sort();
  assert.deepEqual(sorted.map((n) => parseFragmentNumber(n)), sorted.map((_, i) => BigInt(i + 1)));
});

test('reserves blocks ahead, not one number at a time', async () => {
  const { index, calls } = reservingIndex();
  const allocator = new FragmentNumberAllocator(index, 100);
  for (let i = 0; i < 250; i++) await allocator.allocate();
  assert.ok(calls.length >= 3 && calls.length <= 4, `${calls.length} reservations`);
  assert.ok(calls.every((c) => c === 100));
});
