import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkWindow } from '../../../src/ingest/chunk-window.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const joined = (views: Uint8Array[]) => [...Buffer.concat(views)];

test('slices across chunk borders by absolute offset, without copying', () => {
  const window = new ChunkWindow();
  const first = bytes(0, 1, 2);
  window.append(first);
  window.append(bytes(3, 4));
  window.append(bytes(5, 6, 7));
  assert.equal(window.end, 8);
  assert.deepEqual(joined(window.slice(2, 6)), [2, 3, 4, 5]);
  assert.deepEqual(joined(window.slice(3, 5)), [3, 4]);
  assert.equal(window.slice(0, 2)[0]!.buffer, first.buffer, 'a view, not a copy');
  assert.deepEqual(window.slice(4, 4), []);
});

test('forgets whole chunks before an offset and refuses slices into them', () => {
  const window = new ChunkWindow();
  window.append(bytes(0, 1, 2));
  window.append(bytes(3, 4));
  window.discardBefore(4); // the first chunk ends at 3 <= 4; the second still holds byte 4
  assert.deepEqual(joined(window.slice(3, 5)), [3, 4]);
  assert.throws(() => window.slice(2, 4), /no longer held/);
  assert.throws(() => window.slice(3, 6), /no longer held/);
});
