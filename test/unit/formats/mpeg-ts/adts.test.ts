/** ADTS headers, bit by bit and through ffmpeg's AAC decoder. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { adtsHeader } from '../../../../src/formats/mpeg-ts/adts.js';
import type { TsAacTrack } from '../../../../src/formats/mpeg-ts/muxer.js';
import { findTool, skipUnlessPresent } from '../../../helpers/process.js';
import { fixturePath, loadFixture } from './fixture-samples.js';

const FFMPEG = findTool(['/usr/bin/ffmpeg', 'ffmpeg']);
const FFPROBE = findTool(['/usr/bin/ffprobe', 'ffprobe']);

describe('ADTS header', () => {
  test('AAC-LC, 44.1 kHz, mono, 100-byte frame', () => {
    // profile 1, index 4, channels 1, aac_frame_length 107, fullness 0x7FF, one raw block.
    assert.deepEqual([...adtsHeader({ audioObjectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 1 }, 100)], [0xff, 0xf1, 0x50, 0x40, 0x0d, 0x7f, 0xfc]);
  });

  test('channel configuration straddles bytes 2 and 3; long frames use all 13 length bits', () => {
    const header = adtsHeader({ audioObjectType: 1, samplingFrequencyIndex: 3, channelConfiguration: 6 }, 8000);
    assert.equal(header[2], (0 << 6) | (3 << 2) | 1);
    assert.equal((header[3] as number) >> 6, 2);
    const length = (((header[3] as number) & 3) << 11) | ((header[4] as number) << 3) | ((header[5] as number) >> 5);
    assert.equal(length, 8007);
  });

  test('refuses what ADTS cannot say', () => {
    const lc = { audioObjectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 2 };
    assert.throws(() => adtsHeader({ ...lc, audioObjectType: 5 }, 10), RangeError);
    assert.throws(() => adtsHeader({ ...lc, samplingFrequencyIndex: 13 }, 10), RangeError);
    assert.throws(() => adtsHeader({ ...lc, channelConfiguration: 0 }, 10), RangeError);
    assert.throws(() => adtsHeader(lc, 8185), RangeError);
    assert.doesNotThrow(() => adtsHeader(lc, 8184));
  });
});

describe('ADTS stream decoded by ffmpeg', { skip: skipUnlessPresent(FFMPEG && FFPROBE, 'ffmpeg and ffprobe') }, () => {
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'openkvs-adts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the fixture AAC frames behind our headers decode to the same audio', () => {
    const media = loadFixture('h264-aac.mkv');
    const track = media.tracks.find((t) => t.codec === 'AAC') as TsAacTrack;
    const frames = media.samples.filter((s) => s.trackNumber === track.trackNumber);
    const file = path.join(dir, 'audio.aac');
    writeFileSync(file, Buffer.concat(frames.flatMap((f) => [adtsHeader(track, f.payload.length), f.payload])));
    const probe = execFileSync(FFPROBE as string, ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,sample_rate,channels,nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    assert.equal(probe.trim(), `aac,44100,1,${frames.length}`);
    const md5s = (input: string) =>
      execFileSync(FFMPEG as string, ['-v', 'error', '-i', input, '-map', '0:a', '-f', 'framemd5', '-'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(',').at(-1));
    assert.deepEqual(md5s(file), md5s(fixturePath('h264-aac.mkv')));
  });
});
