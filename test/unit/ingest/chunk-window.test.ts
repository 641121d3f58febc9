import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkWindow, SlabPool } from '../../../src/ingest/chunk-window.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const joined = (views: Uint8Array[]) => [...Buffer.concat(views)];

/** A pool of 4-byte slabs that remembers what it handed out and got back. */
class TracingPool extends SlabPool {
  readonly given: Uint8Array[] = [];
  constructor() {
    super(4);
  }
  override give(slab: Uint8Array): void {
    this.given.push(slab);
    super.give(slab);
  }
}

test('slices across chunk and slab borders by absolute offset', () => {
  const window = new ChunkWindow(new TracingPool());
  window.append(bytes(0, 1, 2));
  window.append(bytes(3, 4));
  window.append(bytes(5, 6, 7, 8, 9, 10));
  assert.equal(window.end, 11);
  assert.deepEqual(joined(window.slice(2, 6).views), [2, 3, 4, 5]);
  assert.deepEqual(joined(window.slice(3, 5).views), [3, 4]);
  assert.deepEqual(joined(window.slice(0, 11).views), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(window.slice(4, 4).views, []);
});

test('the window owns copies: the caller may reuse its chunk buffer', () => {
  const window = new ChunkWindow(new TracingPool());
  const chunk = bytes(1, 2, 3);
  window.append(chunk);
  chunk.fill(9);
  assert.deepEqual(joined(window.slice(0, 3).views), [1, 2, 3]);
});

test('forgets whole slabs before an offset and refuses slices into them', () => {
  const window = new ChunkWindow(new TracingPool());
  window.append(bytes(0, 1, 2, 3, 4, 5));
  window.discardBefore(5); // the first slab holds 0..3 and ends at 4 <= 5; the second holds 4..5
  assert.deepEqual(joined(window.slice(4, 6).views), [4, 5]);
  assert.throws(() => window.slice(3, 5), /no longer held/);
  assert.throws(() => window.slice(4, 7), /no longer held/);
});

test('a slab goes back to the pool only once the window dropped it and every slice of it is released', () => {
  const pool = new TracingPool();
  const window = new ChunkWindow(pool);
  window.append(bytes(0, 1, 2, 3, 4, 5, 6, 7, 8));
  const fragment = window.slice(2, 6);
  const other = window.slice(0, 1);
  window.discardBefore(8);
  assert.equal(pool.given.length, 0, 'both dropped slabs still have slices out');
  other.release();
  assert.equal(pool.given.length, 0, 'the first slab is still pinned by the fragment');
  fragment.release();
  fragment.release(); // twice is harmless
  assert.equal(pool.given.length, 2);
  const last = window.slice(8, 9);
  assert.deepEqual(joined(last.views), [8], 'the slab being filled stays');
  window.close();
  assert.equal(pool.given.length, 2, 'closed, but its slab still has a slice out');
  last.release();
  assert.equal(pool.given.length, 3);
});

test('a reused slab never changes bytes still pinned', () => {
  const pool = new SlabPool(4);
  const window = new ChunkWindow(pool);
  window.append(bytes(0, 1, 2, 3, 4));
  const held = window.slice(0, 4);
  window.discardBefore(4);
  const next = new ChunkWindow(pool);
  next.append(bytes(9, 9, 9, 9, 9, 9, 9, 9)); // takes new slabs: the pinned one is not free
  assert.deepEqual(joined(held.views), [0, 1, 2, 3]);
  held.release();
  const reuse = new ChunkWindow(pool);
  reuse.append(bytes(7, 7, 7, 7));
  assert.deepEqual(joined(reuse.slice(0, 4).views), [7, 7, 7, 7]);
});
