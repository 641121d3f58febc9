/**
 * G.711 in Matroska: the A_MS/ACM WAVEFORMATEX that ffmpeg writes for A-law and µ-law at several
 * rates and channel counts, checked against ffprobe; other format tags are refused.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CodecConfigError } from '../../../../src/formats/codecs/codec-error.js';
import { WAVE_FORMAT_ALAW, parseG711WaveFormat, parseWaveFormat } from '../../../../src/formats/codecs/g711.js';
import { skipWithoutFfmpeg } from '../isobmff/mkv-source.js';
import { audio, encode } from './encoded.js';

const cases = [
  { codec: 'pcm_alaw', law: 'alaw', rate: 8000, channels: 1 },
  { codec: 'pcm_mulaw', law: 'ulaw', rate: 8000, channels: 1 },
  { codec: 'pcm_alaw', law: 'alaw', rate: 16000, channels: 2 },
  { codec: 'pcm_mulaw', law: 'ulaw', rate: 44100, channels: 2 },
];

describe('G.711 WAVEFORMATEX, judged by ffprobe', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-g711-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const c of cases) {
    test(`${c.codec} ${c.rate} Hz, ${c.channels} channel(s)`, () => {
      const { track, codecPrivate, probed } = encode(dir, `${c.codec}-${c.rate}-${c.channels}`, [...audio(c.rate, c.channels), '-c:a', c.codec]);
      assert.equal(track.codecId, 'A_MS/ACM');
      const config = parseG711WaveFormat(codecPrivate);
      assert.equal(probed.codec_name, c.codec);
      assert.equal(config.law, c.law);
      assert.equal(config.sampleRate, Number(probed.sample_rate));
      assert.equal(config.channels, probed.channels);
    });
  }
});

describe('G.711 WAVEFORMATEX: by hand', () => {
  /** WAVEFORMATEX for 8 kHz mono A-law: tag 6, 1 channel, 8000 Hz, 8000 B/s, align 1, 8 bits, cbSize 0. */
  const alaw = Uint8Array.of(6, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x40, 0x1f, 0, 0, 1, 0, 8, 0, 0, 0);

  test('fields are little-endian', () => {
    assert.deepEqual(parseWaveFormat(alaw), { formatTag: WAVE_FORMAT_ALAW, channels: 1, samplesPerSecond: 8000, averageBytesPerSecond: 8000, blockAlign: 1, bitsPerSample: 8 });
  });

  test('PCM (tag 1) is not G.711: unsupported, not invalid', () => {
    const pcm = alaw.slice();
    pcm[0] = 1;
    assert.throws(() => parseG711WaveFormat(pcm), (err: unknown) => err instanceof CodecConfigError && err.reason === 'unsupported');
  });

  test('a structure shorter than WAVEFORMAT, or 16 bits a sample, is invalid', () => {
    assert.throws(() => parseG711WaveFormat(alaw.subarray(0, 10)), (err: unknown) => err instanceof CodecConfigError && err.reason === 'invalid');
    const wide = alaw.slice();
    wide[14] = 16;
    assert.throws(() => parseG711WaveFormat(wide), CodecConfigError);
  });
});
