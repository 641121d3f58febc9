/**
 * AAC codec private data: AudioSpecificConfig from ffmpeg's AAC encoder at several rates and
 * channel layouts (checked against ffprobe), hand-made configs for the escape paths, and ADTS
 * headers judged by ffmpeg decoding the ADTS stream they frame.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aacCodecString, parseAudioSpecificConfig } from '../../../../src/formats/codecs/aac.js';
import { adtsHeader } from '../../../../src/formats/mpeg-ts/adts.js';
import { CodecConfigError } from '../../../../src/formats/codecs/codec-error.js';
import { FFMPEG, archive, skipWithoutFfmpeg } from '../isobmff/mkv-source.js';
import { audio, encode } from './encoded.js';

const cases = [
  { rate: 44100, channels: 1 },
  { rate: 48000, channels: 2 },
  { rate: 22050, channels: 6 },
  { rate: 8000, channels: 1 },
  { rate: 96000, channels: 2 },
];

describe('AAC AudioSpecificConfig, judged by ffprobe and ffmpeg', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-aac-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const { rate, channels } of cases) {
    test(`${rate} Hz, ${channels} channel(s)`, () => {
      const { codecPrivate, probed } = encode(dir, `aac-${rate}-${channels}`, [...audio(rate, channels), '-c:a', 'aac']);
      const config = parseAudioSpecificConfig(codecPrivate);
      assert.equal(config.samplingFrequency, Number(probed.sample_rate));
      assert.equal(config.channelCount, probed.channels);
      assert.equal(probed.profile, 'LC');
      assert.equal(config.audioObjectType, 2);
      assert.equal(config.samplesPerFrame, 1024);
      assert.equal(aacCodecString(config), 'mp4a.40.2');
    });
  }

  test('the parsed config drives mpeg-ts ADTS framing: the ADTS stream decodes to the same PCM as the source', () => {
    const source = encode(dir, 'adts-source', [...audio(48000, 2), '-c:a', 'aac']);
    const bytes = new Uint8Array(readFileSync(source.file));
    const parsed = parseAudioSpecificConfig(source.codecPrivate);
    const config = { audioObjectType: parsed.coreObjectType, samplingFrequencyIndex: parsed.samplingFrequencyIndex, channelConfiguration: parsed.channelConfiguration };
    const parts: Uint8Array[] = [];
    for (const fragment of archive(bytes).fragments) {
      for (const frame of fragment.frames) parts.push(adtsHeader(config, frame.size), bytes.subarray(frame.offset, frame.offset + frame.size));
    }
    const adts = path.join(dir, 'out.aac');
    writeFileSync(adts, Buffer.concat(parts));
    const pcm = (file: string) => execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
    const expected = pcm(source.file);
    const got = pcm(adts);
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected), 'decoded PCM differs');
  });
});

describe('AAC AudioSpecificConfig: by hand', () => {
  test('explicit SBR (HE-AAC): object type 5 over AAC-LC, core and extension rates', () => {
    // AOT 5, index 6 (24 kHz), 2 channels, extension index 3 (48 kHz), core AOT 2, GASpecificConfig 000.
    const config = parseAudioSpecificConfig(Uint8Array.of(0x2b, 0x11, 0x88, 0x00));
    assert.equal(config.audioObjectType, 5);
    assert.equal(config.coreObjectType, 2);
    assert.equal(config.samplingFrequency, 24000);
    assert.equal(config.extensionSamplingFrequency, 48000);
    assert.equal(config.channelCount, 2);
    assert.equal(aacCodecString(config), 'mp4a.40.5');
  });

  test('an explicit 24-bit sampling frequency and a 960-sample frame length', () => {
    // AOT 2, index 15, frequency 12345, channel configuration 1, frameLengthFlag 1.
    const bits = '00010' + '1111' + (12345).toString(2).padStart(24, '0') + '0001' + '100';
    const bytes = Uint8Array.from(bits.padEnd(Math.ceil(bits.length / 8) * 8, '0').match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    const config = parseAudioSpecificConfig(bytes);
    assert.equal(config.samplingFrequency, 12345);
    assert.equal(config.channelCount, 1);
    assert.equal(config.samplesPerFrame, 960);
  });

  test('the escape object type (31 + 6 bits)', () => {
    // AOT 31 → 32 + 10 = 42, index 4 (44.1 kHz), 2 channels.
    const bits = '11111' + '001010' + '0100' + '0010';
    const bytes = Uint8Array.from(bits.padEnd(24, '0').match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    assert.equal(parseAudioSpecificConfig(bytes).audioObjectType, 42);
  });

  test('too short, or a reserved frequency index', () => {
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x12)), CodecConfigError);
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x16, 0x88)), CodecConfigError); // index 13
  });
});
