/**
 * Box builders, field by field, read back with an independent box walker: framing, run-length
 * coded sample tables, 32/64-bit forms, and a progressive header too large for 32-bit offsets.
 * (Whole files are judged by ffmpeg in progressive.test.ts and fragmented.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter } from '../../../../src/formats/bytes/byte-writer.js';
import { readFileSync } from 'node:fs';
import { describeTrackCodec } from '../../../../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import { box, boxHeader, fullBox } from '../../../../src/formats/isobmff/box.js';
import { edts, hdlr, mdhd, mvhd, tkhd } from '../../../../src/formats/isobmff/movie-boxes.js';
import { buildProgressiveHeader } from '../../../../src/formats/isobmff/progressive.js';
import { chunkOffsets, ctts, stsc, stss, stsz, stts } from '../../../../src/formats/isobmff/sample-table-boxes.js';
import { decodeTimeline } from '../../../../src/formats/isobmff/timing.js';
import { find, findAll, parseBoxes, words } from './box-tree.js';
import { archive, fixturePath } from './mkv-source.js';

describe('ByteWriter', () => {
  test('big-endian fields, growth past the initial capacity, size patching', () => {
    const w = new ByteWriter(16);
    w.u32(0).fourcc('test').u8(1).u16(0x0203).u24(0x040506).u64(2 ** 40 + 7).i16(-2).i32(-3).i64(-1).zeros(3);
    w.patchU32(0, w.position);
    const bytes = Buffer.from(w.finish());
    assert.equal(bytes.readUInt32BE(0), bytes.length);
    assert.equal(bytes.toString('latin1', 4, 8), 'test');
    assert.equal(bytes.readUIntBE(8, 3), 0x010203);
    assert.equal(bytes.readUIntBE(11, 3), 0x040506);
    assert.equal(bytes.readBigUInt64BE(14), 2n ** 40n + 7n);
    assert.equal(bytes.readInt16BE(22), -2);
    assert.equal(bytes.readInt32BE(24), -3);
    assert.equal(bytes.readBigInt64BE(28), -1n);
    assert.equal(bytes.length, 39);
  });

  test('values that do not fit their field throw RangeError', () => {
    const w = new ByteWriter();
    assert.throws(() => w.u8(256), RangeError);
    assert.throws(() => w.u16(-1), RangeError);
    assert.throws(() => w.u32(2 ** 32), RangeError);
    assert.throws(() => w.i16(0x8000), RangeError);
    assert.throws(() => w.u32(1.5), RangeError);
    assert.throws(() => w.fourcc('abc'), RangeError);
    assert.throws(() => w.patchU32(0, 1), RangeError);
  });
});

describe('box framing', () => {
  test('box and fullBox sizes include their headers; version and flags lead a full box', () => {
    const parsed = parseBoxes(box('abcd', (w) => w.bytes(fullBox('efgh', 1, 0x000305, (x) => x.u16(7)))));
    assert.equal(parsed[0]!.size, 8 + 14);
    const inner = parseBoxes(parsed[0]!.body)[0]!;
    assert.deepEqual([inner.type, inner.size, inner.body.readUInt8(0), inner.body.readUIntBE(1, 3), inner.body.readUInt16BE(4)], ['efgh', 14, 1, 0x305, 7]);
  });

  test('an mdat header takes the 64-bit largesize past 4 GiB', () => {
    assert.deepEqual([...boxHeader('mdat', 100)], [0, 0, 0, 108, 0x6d, 0x64, 0x61, 0x74]);
    const large = Buffer.from(boxHeader('mdat', 2 ** 32));
    assert.equal(large.readUInt32BE(0), 1);
    assert.equal(large.readBigUInt64BE(8), 2n ** 32n + 16n);
  });
});

describe('sample table boxes', () => {
  test('stts and ctts run-length code equal neighbours; ctts switches to version 1 for negative offsets', () => {
    assert.deepEqual(words(parseBoxes(stts([3, 3, 3, 4, 3]))[0]!), [3, 3, 3, 1, 4, 1, 3]);
    const positive = parseBoxes(ctts([2, 2, 0]))[0]!;
    assert.equal(positive.body.readUInt8(0), 0);
    assert.deepEqual(words(positive), [2, 2, 2, 1, 0]);
    const negative = parseBoxes(ctts([1, -1]))[0]!;
    assert.equal(negative.body.readUInt8(0), 1);
    assert.equal(negative.body.readInt32BE(20), -1);
  });

  test('stss numbers key samples from 1; stsc codes runs of chunks; stsz uses one size when all match', () => {
    assert.deepEqual(words(parseBoxes(stss([true, false, false, true]))[0]!), [2, 1, 4]);
    assert.deepEqual(words(parseBoxes(stsc([1, 3, 3, 3, 1]))[0]!), [3, 1, 1, 1, 2, 3, 1, 5, 1, 1]);
    assert.deepEqual(words(parseBoxes(stsz([5, 5, 5]))[0]!), [5, 3]);
    assert.deepEqual(words(parseBoxes(stsz([5, 6]))[0]!), [0, 2, 5, 6]);
  });

  test('stco holds 32-bit chunk offsets, co64 64-bit ones', () => {
    assert.deepEqual(words(parseBoxes(chunkOffsets([10, 20], false))[0]!), [2, 10, 20]);
    const large = parseBoxes(chunkOffsets([2 ** 33], true))[0]!;
    assert.equal(large.type, 'co64');
    assert.equal(large.body.readBigUInt64BE(8), 2n ** 33n);
  });
});

describe('header boxes', () => {
  test('mvhd, mdhd and tkhd take version 1 only for durations past 32 bits', () => {
    const short = parseBoxes(mvhd(90000, 540000, 3))[0]!;
    assert.equal(short.body.readUInt8(0), 0);
    assert.deepEqual([short.body.readUInt32BE(12), short.body.readUInt32BE(16), short.body.readUInt32BE(short.body.length - 4)], [90000, 540000, 3]);
    const long = parseBoxes(mdhd(90000, 2 ** 33))[0]!;
    assert.equal(long.body.readUInt8(0), 1);
    assert.equal(long.body.readBigUInt64BE(24), 2n ** 33n);
    assert.equal(long.body.readUInt16BE(32), 0x55c4); // 'und'
    const header = parseBoxes(tkhd({ trackId: 2, duration: 10, audio: false, width: 640 * (4 / 3), height: 480 }))[0]!;
    assert.equal(header.body.readUIntBE(1, 3), 3); // enabled, in movie
    assert.equal(header.body.readUInt32BE(header.body.length - 8) / 65536, 853.3333282470703);
    assert.equal(header.body.readUInt32BE(header.body.length - 4), 480 * 65536);
  });

  test('edts holds an empty edit (-1) and a media edit; hdlr names the handler', () => {
    const edit = parseBoxes(edts([{ segmentDuration: 900, mediaTime: -1 }, { segmentDuration: 5000, mediaTime: 1024 }]))[0]!;
    const elst = edit.children[0]!;
    assert.equal(elst.type, 'elst');
    assert.deepEqual([elst.body.readUInt32BE(4), elst.body.readUInt32BE(8), elst.body.readInt32BE(12), elst.body.readUInt32BE(20), elst.body.readInt32BE(24)], [2, 900, -1, 5000, 1024]);
    const handler = parseBoxes(hdlr('soun', 'SoundHandler'))[0]!;
    assert.equal(handler.body.toString('latin1', 8, 12), 'soun');
    assert.equal(handler.body.toString('latin1', 24), 'SoundHandler\0');
  });
});

describe('progressive header', () => {
  /** The H.264 track of a committed fixture, so the sample entry is real. */
  const codec = describeTrackCodec(describeTrackHeader(archive(new Uint8Array(readFileSync(fixturePath('h264.mkv')))).header).tracks[0]!);

  function movie(sizes: number[]) {
    const timeline = decodeTimeline(sizes.map((_, i) => i * 3000), { lastDuration: 3000 });
    return { tracks: [{ trackId: 1, codec, timescale: 90000, timeline, sizes, keys: sizes.map((_, i) => i === 0), startDelay: 0 }], mdatOrder: sizes.map(() => 0), movieTimescale: 90000 };
  }

  test('chunk offsets point just past the header; the mdat header covers the payloads', () => {
    const built = buildProgressiveHeader(movie([100, 200, 300]));
    const boxes = parseBoxes(built.header.subarray(0, built.header.length - 8));
    assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov']);
    assert.deepEqual(words(find(boxes, 'moov/trak/mdia/minf/stbl/stco')!), [1, built.header.length]);
    assert.equal(Buffer.from(built.header).readUInt32BE(built.header.length - 8), 8 + 600);
    assert.equal(built.fileBytes, built.header.length + 600);
    assert.equal(findAll(boxes, 'moov/trak').length, 1);
  });

  test('past 4 GiB of payload: co64 chunk offsets and a 64-bit mdat size', () => {
    const built = buildProgressiveHeader(movie([2 ** 31, 2 ** 31, 1000]));
    const boxes = parseBoxes(built.header.subarray(0, built.header.length - 16));
    const co64 = find(boxes, 'moov/trak/mdia/minf/stbl/co64')!;
    assert.ok(co64, 'co64');
    assert.equal(co64.body.readBigUInt64BE(8), BigInt(built.header.length));
    assert.equal(Buffer.from(built.header).readBigUInt64BE(built.header.length - 8), BigInt(2 ** 32 + 1000 + 16));
  });

  test('an mdat order that does not place every sample exactly once is refused', () => {
    assert.throws(() => buildProgressiveHeader({ ...movie([1, 2]), mdatOrder: [0] }), RangeError);
    assert.throws(() => buildProgressiveHeader({ ...movie([1, 2]), mdatOrder: [0, 0, 0] }), RangeError);
    assert.throws(() => buildProgressiveHeader({ ...movie([1, 2]), mdatOrder: [0, 1] }), RangeError);
  });
});
