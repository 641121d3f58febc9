import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, readFloatBE, readIntBE, readUintBE, readUintBigBE, readUtf8, slice } from '../../../../src/formats/bytes/read.js';
import { floatBE, intBE, uintBE, uintByteLength } from '../../../../src/formats/bytes/write.js';

describe('bytes: range-checked big-endian reads', () => {
  // A view that does not start at its buffer's beginning: every read must honour byteOffset.
  const backing = new Uint8Array(32).fill(0xee);
  backing.set(floatBE(1.25, 8), 5);
  backing.set(floatBE(-2.5, 4), 13);
  backing.set(Uint8Array.of(0xff, 0xfe), 17);
  const view = backing.subarray(5, 24);

  test('floats and integers read from a view at an offset', () => {
    assert.equal(readFloatBE(view, 0, 8), 1.25);
    assert.equal(readFloatBE(view, 8, 4), -2.5);
    assert.equal(readIntBE(view, 12, 2), -2);
    assert.equal(readUintBE(view, 12, 2), 0xfffe);
    assert.equal(readUintBE(view, 12, 0), 0);
    assert.equal(readIntBE(view, 12, 0), 0);
    assert.equal(readUintBigBE(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, 8), 2n ** 64n - 1n);
  });

  test('reads outside the view throw RangeError', () => {
    assert.throws(() => readUintBE(view, 18, 2), RangeError);
    assert.throws(() => readFloatBE(view, 15, 8), RangeError);
    assert.throws(() => slice(view, 10, 20), RangeError);
    assert.throws(() => readUintBE(view, -1, 1), RangeError);
  });

  test('slices are views, not copies', () => {
    const part = slice(view, 1, 3);
    part[0] = 0x42;
    assert.equal(backing[6], 0x42);
  });

  test('text and concatenation', () => {
    assert.equal(readUtf8(new TextEncoder().encode('xé'), 0, 3), 'xé');
    assert.deepEqual(concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
  });

  test('writers: fixed and minimal widths', () => {
    assert.deepEqual(uintBE(0x0102, 3), Uint8Array.of(0, 1, 2));
    assert.throws(() => uintBE(256, 1), RangeError);
    assert.equal(uintByteLength(0), 1);
    assert.equal(uintByteLength(255), 1);
    assert.equal(uintByteLength(256), 2);
    assert.deepEqual(intBE(-129), Uint8Array.of(0xff, 0x7f));
    assert.deepEqual(intBE(127), Uint8Array.of(0x7f));
  });
});
