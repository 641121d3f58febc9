/**
 * H.264 codec private data: AVCDecoderConfigurationRecord and SPS fields for streams x264 writes
 * with cropping, interlacing, aspect ratios, chroma formats, bit depths and scaling lists, each
 * checked against ffprobe's reading of the same stream.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { avcCodecString, avcDecoderConfigRecord, parseAvcDecoderConfig, parseAvcSps } from '../../../../src/formats/codecs/avc.js';
import { CodecConfigError } from '../../../../src/formats/codecs/codec-error.js';
import { skipWithoutFfmpeg } from '../isobmff/mkv-source.js';
import { encode, video } from './encoded.js';

/** ffprobe's H.264 profile names (libavcodec profiles.c) by profile_idc. */
const PROFILE_NAMES: Record<number, string[]> = {
  66: ['Baseline', 'Constrained Baseline'],
  77: ['Main'],
  100: ['High'],
  110: ['High 10'],
  122: ['High 4:2:2'],
  244: ['High 4:4:4 Predictive'],
};

const cases: { name: string; args: string[]; sar?: [number, number]; frameRate?: number; interlaced?: boolean }[] = [
  { name: '720p High', args: [...video('1280x720', '30'), '-c:v', 'libx264'], frameRate: 30 },
  { name: '1080p: 1088 coded lines cropped to 1080', args: [...video('1920x1080'), '-c:v', 'libx264', '-preset', 'ultrafast'], frameRate: 25 },
  { name: 'odd macroblock cropping 642x362', args: [...video('642x362', '30000/1001'), '-c:v', 'libx264'], frameRate: 30000 / 1001 },
  { name: 'Baseline profile', args: [...video('320x240'), '-c:v', 'libx264', '-profile:v', 'baseline'] },
  { name: 'SAR 4:3 (aspect_ratio_idc 14)', args: [...video('352x288'), '-vf', 'setsar=4/3', '-c:v', 'libx264'], sar: [4, 3] },
  { name: 'SAR 10:11 (aspect_ratio_idc 3)', args: [...video('720x480'), '-vf', 'setsar=10/11', '-c:v', 'libx264'], sar: [10, 11] },
  { name: 'SAR 7:5 (Extended_SAR)', args: [...video('320x240'), '-vf', 'setsar=7/5', '-c:v', 'libx264'], sar: [7, 5] },
  { name: 'interlaced: frame_mbs_only_flag 0', args: [...video('720x576'), '-flags', '+ildct+ilme', '-c:v', 'libx264'], interlaced: true },
  { name: '4:4:4 with odd size (crop unit 1)', args: [...video('161x97'), '-pix_fmt', 'yuv444p', '-c:v', 'libx264'] },
  { name: '4:2:2 10-bit', args: [...video('320x180'), '-pix_fmt', 'yuv422p10le', '-c:v', 'libx264'] },
  { name: 'scaling matrices (cqm jvt)', args: [...video('320x240'), '-c:v', 'libx264', '-x264-params', 'cqm=jvt'] },
];

describe('H.264 codec private data, judged by ffprobe', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-avc-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  cases.forEach((c, i) => {
    test(c.name, () => {
      const { codecPrivate, probed } = encode(dir, `avc${i}`, c.args);
      const config = parseAvcDecoderConfig(codecPrivate);
      assert.equal(config.nalLengthSize, 4);
      assert.equal(config.sps.length, 1);
      assert.equal(config.pps.length, 1);
      const sps = parseAvcSps(config.sps[0]!);
      assert.equal(sps.width, probed.width, 'width');
      assert.equal(sps.height, probed.height, 'height');
      assert.equal(sps.profileIdc, config.profileIdc);
      assert.equal(sps.levelIdc, probed.level, 'level');
      assert.ok(PROFILE_NAMES[sps.profileIdc]?.includes(probed.profile ?? ''), `profile ${sps.profileIdc} vs ${probed.profile}`);
      assert.equal(sps.frameMbsOnly, !c.interlaced);
      const [sarW, sarH] = c.sar ?? [1, 1];
      assert.equal(`${sps.sarWidth}:${sps.sarHeight}`, `${sarW}:${sarH}`);
      if (probed.sample_aspect_ratio && probed.sample_aspect_ratio !== '0:1') assert.equal(`${sps.sarWidth}:${sps.sarHeight}`, probed.sample_aspect_ratio);
      if (probed.pix_fmt?.includes('10')) assert.equal(sps.bitDepthLuma, 10);
      if (c.frameRate !== undefined) assert.ok(Math.abs((sps.frameRate ?? 0) - c.frameRate) < 1e-9, `frame rate ${sps.frameRate}`);
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      assert.equal(avcCodecString(config), `avc1.${hex(sps.profileIdc)}${hex(sps.constraintFlags)}${hex(sps.levelIdc)}`);
      // Built again from its parameter sets (as the relay does for an in-band SPS): ffmpeg's bytes.
      assert.deepEqual(Buffer.from(avcDecoderConfigRecord(config.sps, config.pps)).toString('hex'), Buffer.from(codecPrivate).toString('hex'));
    });
  });
});

describe('H.264 codec private data: malformed input', () => {
  test('a record that is too short, of the wrong version, or truncated inside a parameter set', () => {
    assert.throws(() => parseAvcDecoderConfig(Uint8Array.of(1, 0x64, 0, 0x1f)), CodecConfigError);
    assert.throws(() => parseAvcDecoderConfig(Uint8Array.of(0, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67)), CodecConfigError);
    assert.throws(() => parseAvcDecoderConfig(Uint8Array.of(1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 40, 0x67, 0x64)), CodecConfigError);
  });

  test('an SPS cut short, or a NAL unit that is not an SPS', () => {
    assert.throws(() => parseAvcSps(Uint8Array.of(0x67, 0x64, 0x00, 0x1f)), CodecConfigError);
    assert.throws(() => parseAvcSps(Uint8Array.of(0x68, 0xee, 0x3c, 0x80)), CodecConfigError);
  });

  test('the codec string is profile, constraint flags and level in hex', () => {
    assert.equal(avcCodecString({ profileIdc: 0x42, profileCompatibility: 0xc0, levelIdc: 0x1e }), 'avc1.42c01e');
  });
});
