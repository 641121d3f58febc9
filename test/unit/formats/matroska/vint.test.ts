import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UNKNOWN_SIZE,
  elementIdWidth,
  encodeVintSize,
  isValidElementId,
  readElementId,
  readSignedVint,
  readVintSize,
  readVintValue,
  unknownSizeVint,
  vintWidth,
  vintWidthFor,
  writeVint,
} from '../../../../src/formats/matroska/vint.js';

describe('EBML VINT (RFC 8794 §4)', () => {
  test('width comes from the leading zero bits of the first octet', () => {
    assert.equal(vintWidth(0x80), 1);
    assert.equal(vintWidth(0xff), 1);
    assert.equal(vintWidth(0x40), 2);
    assert.equal(vintWidth(0x7f), 2);
    assert.equal(vintWidth(0x20), 3);
    assert.equal(vintWidth(0x10), 4);
    assert.equal(vintWidth(0x08), 5);
    assert.equal(vintWidth(0x04), 6);
    assert.equal(vintWidth(0x02), 7);
    assert.equal(vintWidth(0x01), 8);
    assert.equal(vintWidth(0x00), 0, '0x00 has no marker within 8 octets: invalid');
  });

  test('sizes strip the marker; the same value may use any width', () => {
    assert.equal(readVintSize(Uint8Array.of(0x82), 0, 1), 2);
    assert.equal(readVintSize(Uint8Array.of(0x40, 0x02), 0, 2), 2);
    assert.equal(readVintSize(Uint8Array.of(0x20, 0x00, 0x02), 0, 3), 2);
    assert.equal(readVintSize(Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0x02), 0, 8), 2);
    assert.equal(readVintSize(Uint8Array.of(0x80), 0, 1), 0);
    assert.equal(readVintSize(Uint8Array.of(0x7f, 0xfe), 0, 2), 0x3ffe);
  });

  test('the all-ones value means unknown size at every width 1–8', () => {
    for (let width = 1; width <= 8; width++) {
      const bytes = new Uint8Array(width).fill(0xff);
      bytes[0] = (0xff >> width) | (0x80 >> (width - 1));
      assert.equal(readVintSize(bytes, 0, width), UNKNOWN_SIZE, `width ${width}`);
      assert.notEqual(readVintValue(bytes, 0, width), UNKNOWN_SIZE);
    }
    assert.deepEqual(unknownSizeVint(), Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    // One bit short of all-ones is a size.
    assert.equal(readVintSize(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), 0, 8), 2 ** 56 - 2);
  });

  test('8-octet sizes are exact up to 2^53 and above MAX_SAFE_INTEGER beyond', () => {
    const max = Uint8Array.of(0x01, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    assert.equal(readVintSize(max, 0, 8), Number.MAX_SAFE_INTEGER);
    const over = Uint8Array.of(0x01, 0x20, 0, 0, 0, 0, 0, 0);
    assert.ok(readVintSize(over, 0, 8) > Number.MAX_SAFE_INTEGER);
  });

  test('reads honour the offset and refuse to run past the array', () => {
    const bytes = Uint8Array.of(0xaa, 0x41, 0x23, 0xbb);
    assert.equal(readVintSize(bytes, 1, 2), 0x123);
    assert.throws(() => readVintSize(bytes, 3, 2), RangeError);
    const view = new Uint8Array(bytes.buffer, 1, 2);
    assert.equal(readVintSize(view, 0, 2), 0x123);
  });

  test('IDs keep their marker bits; all-zero and all-one data are reserved', () => {
    assert.equal(readElementId(Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3), 0, 4), 0x1a45dfa3);
    assert.equal(readElementId(Uint8Array.of(0xa3), 0, 1), 0xa3);
    assert.equal(isValidElementId(0xa3, 1), true);
    assert.equal(isValidElementId(0x80, 1), false);
    assert.equal(isValidElementId(0xff, 1), false);
    assert.equal(isValidElementId(0x4000, 2), false);
    assert.equal(isValidElementId(0x7fff, 2), false);
    assert.equal(isValidElementId(0x1a45dfa3, 4), true);
    assert.equal(elementIdWidth(0xa3), 1);
    assert.equal(elementIdWidth(0x4286), 2);
    assert.equal(elementIdWidth(0x2ad7b1), 3);
    assert.equal(elementIdWidth(0x1f43b675), 4);
  });

  test('signed VINTs subtract 2^(7n-1) - 1 (RFC 9559 §10.3.3)', () => {
    assert.equal(readSignedVint(Uint8Array.of(0xbf), 0, 1), 0);
    assert.equal(readSignedVint(Uint8Array.of(0x80), 0, 1), -63);
    assert.equal(readSignedVint(Uint8Array.of(0x5e, 0xd3), 0, 2), -300); // the RFC's example
  });

  test('encoding picks the fewest octets and never writes all-ones for a size', () => {
    assert.equal(vintWidthFor(0), 1);
    assert.equal(vintWidthFor(126), 1);
    assert.equal(vintWidthFor(127), 2, '0xFF would read as unknown size');
    assert.equal(vintWidthFor(2 ** 14 - 2), 2);
    assert.equal(vintWidthFor(2 ** 14 - 1), 3);
    assert.equal(vintWidthFor(Number.MAX_SAFE_INTEGER), 8);
    assert.deepEqual(encodeVintSize(127), Uint8Array.of(0x40, 0x7f));
    assert.deepEqual(encodeVintSize(5, 4), Uint8Array.of(0x10, 0, 0, 5));
    assert.throws(() => vintWidthFor(-1), RangeError);
    const out = new Uint8Array(2);
    assert.throws(() => writeVint(out, 0, 2 ** 14, 2), RangeError);
  });

  test('encode/decode round trip across widths', () => {
    for (const value of [0, 1, 126, 127, 128, 16382, 16383, 2 ** 21, 2 ** 35 + 7, 2 ** 49 - 2, Number.MAX_SAFE_INTEGER]) {
      const bytes = encodeVintSize(value);
      assert.equal(vintWidth(bytes[0] as number), bytes.length);
      assert.equal(readVintSize(bytes, 0, bytes.length), value);
    }
  });
});
