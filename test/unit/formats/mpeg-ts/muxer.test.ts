/**
 * The TS muxer's structure, read back with an independent reader (ts-reader.ts): PSI tables and
 * their CRCs, continuity counters, PCR placement, PES headers and timestamps, the exact payload
 * bytes, and adaptation-field stuffing at every packet-boundary size.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes } from '../../../../src/formats/bytes/read.js';
import { crc32Mpeg2 } from '../../../../src/formats/mpeg-ts/crc32.js';
import { muxTsSegment, TsMuxer, type TsSample, type TsTrack } from '../../../../src/formats/mpeg-ts/muxer.js';
import { to90kHz } from '../../../../src/formats/mpeg-ts/pes.js';
import { prng } from '../../../helpers/prng.js';
import { loadFixture } from './fixture-samples.js';
import { bitwiseCrc32Mpeg2, readPackets, readPes, sectionOf, type ReadPacket } from './ts-reader.js';

const START = [0, 0, 0, 1];
const H264_AUD = [0, 0, 0, 1, 0x09, 0xf0];

function lengthPrefixed(...units: number[][]): Uint8Array {
  return Uint8Array.from(units.flatMap((u) => [(u.length >>> 24) & 0xff, (u.length >>> 16) & 0xff, (u.length >>> 8) & 0xff, u.length & 0xff, ...u]));
}

const SPS = [0x67, 0x64, 0x00, 0x0c];
const PPS = [0x68, 0xee, 0x3c, 0x80];
const h264Track: TsTrack = { codec: 'H264', trackNumber: 1, timescale: 1000, nalLengthSize: 4, parameterSets: [Uint8Array.from(SPS), Uint8Array.from(PPS)] };
const aacTrack: TsTrack = { codec: 'AAC', trackNumber: 2, timescale: 1000, audioObjectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 1 };

function checkContinuity(packets: readonly ReadPacket[], start: ReadonlyMap<number, number> = new Map()): void {
  const next = new Map(start);
  for (const p of packets) {
    const expected = next.get(p.pid) ?? 0;
    assert.equal(p.continuityCounter, expected, `packet ${p.index} on PID ${p.pid}: continuity counter`);
    next.set(p.pid, (expected + 1) & 0x0f);
  }
}

describe('CRC-32/MPEG-2', () => {
  test('the catalogue check value', () => {
    assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
  });
  test('table-driven equals bit-by-bit on random data', () => {
    const random = prng(7);
    const data = Uint8Array.from({ length: 1000 }, () => Math.floor(random() * 256));
    assert.equal(crc32Mpeg2(data), bitwiseCrc32Mpeg2(data));
    assert.equal(crc32Mpeg2(data, 10, 500), bitwiseCrc32Mpeg2(data.subarray(10, 500)));
  });
});

describe('90 kHz timestamps', () => {
  test('exact for epoch milliseconds, wrapped to 33 bits', () => {
    assert.equal(to90kHz(1_700_000_000_123, 1000), (1_700_000_000_123 * 90) % 2 ** 33);
    assert.equal(to90kHz(-1, 1000), 2 ** 33 - 90);
    assert.equal(to90kHz(1001, 30000), 3003);
    assert.equal(to90kHz(12345, 90000), 12345);
    assert.throws(() => to90kHz(Number.NaN, 1000), RangeError);
  });
});

describe('TS muxer: a real fixture read back', () => {
  const media = loadFixture('h264-aac.mkv');
  const ts = concatBytes(muxTsSegment({ tracks: media.tracks, samples: media.samples }));
  const packets = readPackets(ts);
  const videoSamples = media.samples.filter((s) => s.trackNumber === 1);
  const audioSamples = media.samples.filter((s) => s.trackNumber === 2);

  test('PAT then PMT first, CRCs valid, H.264 and ADTS AAC streams, PCR on the video PID', () => {
    const [pat, pmt] = packets;
    assert.equal(pat?.pid, 0);
    assert.equal(pmt?.pid, 0x1000);
    const patSection = sectionOf(pat as ReadPacket);
    const pmtSection = sectionOf(pmt as ReadPacket);
    for (const section of [patSection, pmtSection]) assert.equal(bitwiseCrc32Mpeg2(section), 0, 'CRC over the section and its CRC_32 is 0');
    assert.equal(patSection[0], 0x00);
    assert.deepEqual([...patSection.subarray(8, 12)], [0x00, 0x01, 0xf0, 0x00], 'program 1 → PMT PID 0x1000');
    assert.equal(pmtSection[0], 0x02);
    assert.equal(((pmtSection[8] as number) & 0x1f) * 256 + (pmtSection[9] as number), 0x100, 'PCR_PID');
    assert.deepEqual([...pmtSection.subarray(12, 22)], [0x1b, 0xe1, 0x00, 0xf0, 0x00, 0x0f, 0xe1, 0x01, 0xf0, 0x00]);
  });

  test('continuity counters run 0, 1, 2, … per PID; only payload-carrying packets', () => {
    assert.ok(packets.every((p) => p.adaptationFieldControl === 1 || p.adaptationFieldControl === 3));
    checkContinuity(packets);
  });

  test('one video PES per access unit: timestamps, PCR, random access, Annex B bytes', () => {
    const pes = readPes(packets, new Set([0x100]));
    assert.equal(pes.length, videoSamples.length);
    pes.forEach((p, i) => {
      const sample = videoSamples[i] as TsSample;
      assert.equal(p.streamId, 0xe0);
      assert.equal(p.pts, sample.pts * 90);
      assert.equal(p.dts, sample.dts === sample.pts ? undefined : sample.dts * 90);
      assert.equal(p.firstPacket.pcr, sample.dts * 90, 'PCR = DTS of the access unit it starts');
      assert.equal(p.firstPacket.randomAccess, sample.key);
      assert.ok(p.dataAlignment);
      assert.ok(p.packetLength === 0 || p.packetLength === p.data.length + 8);
      assert.deepEqual([...p.data.subarray(0, 6)], H264_AUD, 'AUD first');
      const params = media.tracks[0]?.codec === 'H264' ? media.tracks[0].parameterSets : [];
      const startsWithParams = Buffer.from(p.data.subarray(6, 10 + (params[0]?.length ?? 0))).equals(Buffer.from([...START, ...(params[0] ?? [])]));
      assert.equal(startsWithParams, sample.key, 'SPS right after the AUD exactly on key frames');
    });
  });

  test('audio PES carry every AAC frame once, in order, each behind a correct ADTS header', () => {
    const pes = readPes(packets, new Set([0x101]));
    assert.ok(pes.length < audioSamples.length, 'frames are grouped');
    const frames: Uint8Array[] = [];
    for (const p of pes) {
      assert.equal(p.streamId, 0xc0);
      assert.equal(p.packetLength, p.data.length + 8);
      assert.equal(p.dts, undefined);
      assert.equal(p.firstPacket.pcr, undefined, 'no PCR on the audio PID');
      let at = 0;
      const firstFrame = frames.length;
      while (at < p.data.length) {
        const d = p.data;
        assert.equal(d[at], 0xff);
        assert.equal((d[at + 1] as number) & 0xf6, 0xf0, 'syncword, MPEG-4, layer 0');
        const length = (((d[at + 3] as number) & 0x03) << 11) | ((d[at + 4] as number) << 3) | ((d[at + 5] as number) >> 5);
        frames.push(d.subarray(at + 7, at + length));
        at += length;
      }
      assert.equal(p.pts, Math.round((audioSamples[firstFrame] as TsSample).pts * 90));
    }
    assert.equal(frames.length, audioSamples.length);
    frames.forEach((frame, i) => assert.ok(Buffer.from(frame).equals(Buffer.from((audioSamples[i] as TsSample).payload)), `frame ${i}`));
  });

  test('stuffing only where a PES ends: every other packet is full of payload', () => {
    const lastOfPes = new Set<number>();
    let previous: ReadPacket | undefined;
    for (const p of packets.slice(2)) {
      if (p.payloadUnitStart && previous !== undefined) lastOfPes.add(previous.index);
      previous = p;
    }
    for (const p of packets.slice(2)) {
      if (lastOfPes.has(p.index) || p === packets.at(-1)) continue;
      const minimum = p.pcr !== undefined ? 8 : p.randomAccess ? 2 : 0;
      assert.equal(p.adaptationSize, minimum, `packet ${p.index} carries stuffing`);
    }
  });
});

describe('TS muxer: packet boundaries', () => {
  test('every PES size from 1 to 3 packets reassembles exactly, stuffing by adaptation field', () => {
    const random = prng(11);
    const seenAdaptationSizes = new Set<number>();
    for (let size = 150; size <= 560; size++) {
      for (const key of [false, true]) {
        const slice = [0x01, ...Array.from({ length: size }, () => Math.floor(random() * 256))];
        const muxer = new TsMuxer([h264Track]);
        const packets = readPackets(muxer.writeSample({ trackNumber: 1, pts: 40, dts: 40, key, payload: lengthPrefixed(slice) }) as Uint8Array);
        for (const p of packets) seenAdaptationSizes.add(p.adaptationSize);
        const [pes] = readPes(packets, new Set([0x100]));
        assert.deepEqual([...(pes?.data ?? [])], [...H264_AUD, ...START, ...slice], `slice of ${size} bytes`);
        checkContinuity(packets);
      }
    }
    // The one-byte adaptation field (length 0) and the two-byte one (flags only) both occurred.
    assert.ok(seenAdaptationSizes.has(1) && seenAdaptationSizes.has(2), [...seenAdaptationSizes].join());
  });
});

describe('TS muxer: tracks and options', () => {
  test('H.265 is stream type 0x24', () => {
    const media = loadFixture('h265.mkv');
    const [, pmt] = readPackets(new TsMuxer(media.tracks).programTables());
    assert.equal(sectionOf(pmt as ReadPacket)[12], 0x24);
  });

  test('audio only: the PCR rides on the audio PID at least every 100 ms', () => {
    const samples: TsSample[] = Array.from({ length: 100 }, (_, i) => ({ trackNumber: 2, pts: Math.round((i * 1024 * 1000) / 44100), dts: 0, key: true, payload: new Uint8Array(20).fill(i) }));
    const ts = concatBytes(muxTsSegment({ tracks: [aacTrack], samples: samples.map((s) => ({ ...s, dts: s.pts })) }));
    const packets = readPackets(ts);
    const pcrs = packets.filter((p) => p.pcr !== undefined).map((p) => p.pcr as number);
    assert.equal(pcrs[0], 0);
    for (let k = 1; k < pcrs.length; k++) assert.ok((pcrs[k] as number) - (pcrs[k - 1] as number) <= 9000, `PCR gap ${k}`);
    assert.ok(Math.max(...pcrs) >= 90 * 2000, 'PCRs cover the whole run');
  });

  test('an audio gap starts a new PES, so no frame is retimed', () => {
    const frame = (pts: number): TsSample => ({ trackNumber: 2, pts, dts: pts, key: true, payload: new Uint8Array(10) });
    const ts = concatBytes(muxTsSegment({ tracks: [h264Track, aacTrack], samples: [frame(0), frame(23), frame(46), frame(500), frame(523)] }));
    const pes = readPes(readPackets(ts), new Set([0x101]));
    assert.deepEqual(
      pes.map((p) => p.pts),
      [0, 500 * 90],
    );
  });

  test('continuity counters carry over from one muxer to the next', () => {
    const first = new TsMuxer([h264Track]);
    const chunks = [first.programTables(), first.writeSample({ trackNumber: 1, pts: 0, dts: 0, key: true, payload: lengthPrefixed([0x65, 1, 2, 3]) }) as Uint8Array];
    const second = new TsMuxer([h264Track], { continuityCounters: first.continuityCounters() });
    chunks.push(second.programTables(), second.writeSample({ trackNumber: 1, pts: 40, dts: 40, key: false, payload: lengthPrefixed([0x41, 4, 5]) }) as Uint8Array);
    checkContinuity(readPackets(concatBytes(chunks)));
    assert.deepEqual([...second.continuityCounters()], [
      [0, 2],
      [0x1000, 2],
      [0x100, 2],
    ]);
  });

  test('refuses what it cannot mux', () => {
    assert.throws(() => new TsMuxer([]), RangeError);
    assert.throws(() => new TsMuxer([h264Track, h264Track]), /twice/);
    assert.throws(() => new TsMuxer([{ ...h264Track, nalLengthSize: 3 }]), RangeError);
    assert.throws(() => new TsMuxer([{ ...aacTrack, audioObjectType: 5 }]), /object type 5/);
    assert.throws(() => new TsMuxer([h264Track]).writeSample({ trackNumber: 9, pts: 0, dts: 0, key: true, payload: new Uint8Array(0) }), /track 9/);
  });
});
