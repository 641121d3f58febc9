import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameEntry } from '../../../src/domain/fragment.js';
import { decodeFrameIndex, encodeFrameIndex } from '../../../src/domain/frame-index.js';

const FRAMES: FrameEntry[] = [
  { track: 1, timecode: 0, duration: 33, key: true, offset: 120, size: 45_000 },
  { track: 2, timecode: -12, duration: 21, key: false, offset: 45_130, size: 371 },
  { track: 1, timecode: 33, duration: 0, key: false, offset: 45_510, size: 1 },
  { track: 65_535, timecode: 2_147_483_647, duration: 4_294_967_295, key: true, offset: 4_294_967_295, size: 0 },
  { track: 0, timecode: -2_147_483_648, duration: 0, key: false, offset: 0, size: 4_294_967_295 },
];

test('frame index: 20 bytes per frame, and decode gives back what encode got', () => {
  const bytes = encodeFrameIndex(FRAMES);
  assert.equal(bytes.byteLength, FRAMES.length * 20);
  assert.deepEqual(decodeFrameIndex(bytes), FRAMES);
});

test('frame index: the first entry is laid out little-endian as documented', () => {
  const bytes = encodeFrameIndex([{ track: 3, timecode: -2, duration: 0x01020304, key: true, offset: 0x0a0b0c0d, size: 7 }]);
  assert.deepEqual(
    [...bytes],
    [3, 0, 1, 0, 0xfe, 0xff, 0xff, 0xff, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a, 7, 0, 0, 0],
  );
});

test('frame index: no frames encode to no bytes', () => {
  assert.equal(encodeFrameIndex([]).byteLength, 0);
  assert.deepEqual(decodeFrameIndex(new Uint8Array(0)), []);
});

test('frame index: decodes a view into a larger buffer from the view\'s own start', () => {
  const encoded = encodeFrameIndex(FRAMES);
  const backing = new Uint8Array(encoded.byteLength + 13).fill(0xee);
  backing.set(encoded, 7);
  assert.deepEqual(decodeFrameIndex(backing.subarray(7, 7 + encoded.byteLength)), FRAMES);
});

test('frame index: a length that is not a whole number of entries is refused', () => {
  assert.throws(() => decodeFrameIndex(new Uint8Array(21)), /not a whole number of entries/);
});
