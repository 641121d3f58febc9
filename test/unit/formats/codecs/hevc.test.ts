/**
 * H.265 codec private data: HEVCDecoderConfigurationRecord, SPS picture size and the hvc1 codec
 * string, for streams x265 writes (conformance-window cropping, Main 10, 4:4:4), checked
 * against ffprobe's reading of the same stream.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CodecConfigError } from '../../../../src/formats/codecs/codec-error.js';
import { HevcNalType, hevcCodecString, hevcParameterSets, parseHevcDecoderConfig, parseHevcSps } from '../../../../src/formats/codecs/hevc.js';
import { skipWithoutFfmpeg } from '../isobmff/mkv-source.js';
import { encode, video } from './encoded.js';

const X265 = ['-c:v', 'libx265', '-x265-params', 'log-level=error'];
/** ffprobe's HEVC profile names by general_profile_idc. */
const PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'Main 10', 4: 'Rext' };

const cases = [
  { name: '720p Main', args: [...video('1280x720'), ...X265], profileIdc: 1 },
  { name: 'conformance window: 642x362 coded as 648x368', args: [...video('642x362'), ...X265], profileIdc: 1 },
  { name: 'Main 10', args: [...video('320x240'), '-pix_fmt', 'yuv420p10le', ...X265], profileIdc: 2, bitDepth: 10 },
  { name: '4:4:4 (range extensions)', args: [...video('320x240'), '-pix_fmt', 'yuv444p', ...X265], profileIdc: 4 },
];

describe('H.265 codec private data, judged by ffprobe', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-hevc-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  cases.forEach((c, i) => {
    test(c.name, () => {
      const { codecPrivate, probed } = encode(dir, `hevc${i}`, c.args);
      const config = parseHevcDecoderConfig(codecPrivate);
      assert.equal(config.nalLengthSize, 4);
      for (const type of [HevcNalType.VPS, HevcNalType.SPS, HevcNalType.PPS]) assert.equal(hevcParameterSets(config, type).length, 1, `NAL type ${type}`);
      const sps = parseHevcSps(hevcParameterSets(config, HevcNalType.SPS)[0]!);
      assert.equal(sps.width, probed.width, 'width');
      assert.equal(sps.height, probed.height, 'height');
      assert.equal(config.profileIdc, c.profileIdc);
      assert.equal(PROFILE_NAMES[config.profileIdc], probed.profile);
      assert.equal(config.levelIdc, probed.level, 'level');
      assert.equal(sps.bitDepthLuma, c.bitDepth ?? 8);
      // Annex E: profile, reversed compatibility flags (x265 sets the flag of its own profile), tier+level, constraints.
      const codec = hevcCodecString(config);
      const [entry, profile, compatibility, tierLevel] = codec.split('.');
      assert.equal(entry, 'hvc1');
      assert.equal(profile, String(c.profileIdc));
      assert.ok((parseInt(compatibility!, 16) & (1 << c.profileIdc)) !== 0, `${codec}: compatibility flag of profile ${c.profileIdc}`);
      assert.equal(tierLevel, `L${probed.level}`);
    });
  });
});

describe('H.265 codec private data: by hand', () => {
  /** A record with the fields of a Main-profile, level 4.1 stream and no NAL arrays. */
  const mainRecord = Uint8Array.of(1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 123, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0);

  test('codec string of Main, level 4.1, progressive + frame-only constraints: hvc1.1.6.L123.B0', () => {
    const config = parseHevcDecoderConfig(mainRecord);
    assert.equal(config.profileCompatibilityFlags, 0x60000000);
    assert.equal(hevcCodecString(config), 'hvc1.1.6.L123.B0');
  });

  test('profile space, high tier and more constraint bytes all show', () => {
    const record = mainRecord.slice();
    record[1] = 0b01_1_00010; // profile space 1, high tier, profile 2
    record[2] = 0x20; // compatibility flag 2
    record[7] = 0x23;
    record[12] = 153;
    assert.equal(hevcCodecString(parseHevcDecoderConfig(record)), 'hvc1.A2.4.H153.B0.23');
  });

  test('a short, wrongly versioned or truncated record is refused', () => {
    assert.throws(() => parseHevcDecoderConfig(mainRecord.subarray(0, 10)), CodecConfigError);
    const wrongVersion = mainRecord.slice();
    wrongVersion[0] = 0;
    assert.throws(() => parseHevcDecoderConfig(wrongVersion), CodecConfigError);
    const truncated = Uint8Array.from([...mainRecord.subarray(0, 22), 1, 0xa1, 0, 1, 0, 30, 0x42]);
    assert.throws(() => parseHevcDecoderConfig(truncated), CodecConfigError);
  });

  test('an SPS cut short, or a NAL unit that is not an SPS', () => {
    assert.throws(() => parseHevcSps(Uint8Array.of(0x42, 0x01, 0x01, 0x01)), CodecConfigError);
    assert.throws(() => parseHevcSps(Uint8Array.of(0x44, 0x01, 0xc1, 0x72)), CodecConfigError);
  });
});
