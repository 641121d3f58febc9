import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes } from '../../../../src/formats/bytes/read.js';
import { annexBAccessUnit, NalUnitFormatError, splitLengthPrefixed, type AnnexBOptions } from '../../../../src/formats/mpeg-ts/annexb.js';

const SC = [0, 0, 0, 1];

/** NAL units with `size`-byte big-endian length prefixes. */
function prefixed(size: number, ...units: number[][]): Uint8Array {
  return Uint8Array.from(units.flatMap((u) => [...Array.from({ length: size }, (_, k) => (u.length >> (8 * (size - 1 - k))) & 0xff), ...u]));
}

const h264: AnnexBOptions = { codec: 'H264', nalLengthSize: 4, parameterSets: [Uint8Array.of(0x67, 1, 2), Uint8Array.of(0x68, 3)] };
const h265: AnnexBOptions = { codec: 'H265', nalLengthSize: 4, parameterSets: [Uint8Array.of(0x40, 1, 9), Uint8Array.of(0x42, 1, 8), Uint8Array.of(0x44, 1, 7)] };
const H264_AUD = [...SC, 0x09, 0xf0];
const H265_AUD = [...SC, 0x46, 0x01, 0x50];

const annexB = (au: Uint8Array, options: AnnexBOptions) => [...concatBytes(annexBAccessUnit(au, options))];

describe('Annex B: H.264', () => {
  test('an IDR access unit: AUD, SPS, PPS, then its own units', () => {
    const sei = [0x06, 5, 1, 0x80];
    const idr = [0x65, 0x88, 0x84];
    assert.deepEqual(annexB(prefixed(4, sei, idr), h264), [...H264_AUD, ...SC, 0x67, 1, 2, ...SC, 0x68, 3, ...SC, ...sei, ...SC, ...idr]);
  });

  test('a non-IDR access unit gets the AUD only', () => {
    assert.deepEqual(annexB(prefixed(4, [0x41, 0x9a]), h264), [...H264_AUD, ...SC, 0x41, 0x9a]);
  });

  test('in-band parameter sets are not repeated; an AUD already there is replaced by ours', () => {
    const au = prefixed(4, [0x09, 0x10], [0x67, 7], [0x68, 8], [0x65, 1]);
    assert.deepEqual(annexB(au, h264), [...H264_AUD, ...SC, 0x67, 7, ...SC, 0x68, 8, ...SC, 0x65, 1]);
  });

  test('1- and 2-byte length fields; zero-length units dropped', () => {
    assert.deepEqual(annexB(prefixed(1, [0x41, 1], [], [0x41, 2]), { ...h264, nalLengthSize: 1 }), [...H264_AUD, ...SC, 0x41, 1, ...SC, 0x41, 2]);
    const big = [0x41, ...new Array<number>(300).fill(7)];
    assert.deepEqual(annexB(prefixed(2, big), { ...h264, nalLengthSize: 2 }), [...H264_AUD, ...SC, ...big]);
  });

  test('NAL units are views of the input, not copies', () => {
    const au = prefixed(4, [0x41, 1, 2, 3]);
    const pieces = annexBAccessUnit(au, h264);
    assert.equal(pieces.at(-1)?.buffer, au.buffer);
    assert.equal(pieces.at(-1)?.byteOffset, 4);
  });

  test('malformed lengths are refused', () => {
    assert.throws(() => annexBAccessUnit(Uint8Array.of(0, 0, 0, 9, 0x41), h264), NalUnitFormatError);
    assert.throws(() => annexBAccessUnit(Uint8Array.of(0, 0, 1), h264), NalUnitFormatError);
    assert.throws(() => splitLengthPrefixed(Uint8Array.of(1, 0x41), 3), NalUnitFormatError);
  });
});

describe('Annex B: H.265', () => {
  test('IRAP pictures (IDR, CRA) get VPS, SPS, PPS after the AUD', () => {
    for (const type of [19, 20, 21]) {
      const slice = [type << 1, 0x01, 0xaf];
      assert.deepEqual(annexB(prefixed(4, slice), h265), [...H265_AUD, ...SC, 0x40, 1, 9, ...SC, 0x42, 1, 8, ...SC, 0x44, 1, 7, ...SC, ...slice], `type ${type}`);
    }
  });

  test('trailing pictures get the AUD only; an in-band AUD (type 35) is replaced', () => {
    assert.deepEqual(annexB(prefixed(4, [0x46, 0x01, 0x10], [0x02, 0x01, 0xd0]), h265), [...H265_AUD, ...SC, 0x02, 0x01, 0xd0]);
  });
});
