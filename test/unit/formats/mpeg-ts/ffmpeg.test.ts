/**
 * The TS muxer judged by ffmpeg: each committed fixture is muxed to a .ts file, which ffmpeg must
 * decode without a single error, with the same video packets (count, PTS) as the source, the
 * same decoded pictures (per-frame MD5 of the decoded video) and, with audio, the same decoded
 * audio. A damaged copy must fail the same comparison, so the judge is known to be able to fail.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { muxTsSegment, TsMuxer } from '../../../../src/formats/mpeg-ts/muxer.js';
import { findTool, skipUnlessPresent } from '../../../helpers/process.js';
import { fixturePath, loadFixture } from './fixture-samples.js';

const FFMPEG = findTool(['/usr/bin/ffmpeg', 'ffmpeg']);
const FFPROBE = findTool(['/usr/bin/ffprobe', 'ffprobe']);
const skip = skipUnlessPresent(FFMPEG && FFPROBE, 'ffmpeg and ffprobe');

/** PTS in milliseconds of every packet of one stream kind, in file order. */
function packetPtsMs(file: string, selector: 'v' | 'a'): number[] {
  const csv = execFileSync(FFPROBE as string, ['-v', 'error', '-select_streams', selector, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Math.round(Number(line.split(',')[0]) * 1000));
}

const memo = new Map<string, string[]>();

/** The MD5 of every decoded frame of one stream kind (timestamps left out: the time bases differ). */
function decodedFrameMd5s(file: string, selector: 'v' | 'a'): string[] {
  // The sources are decoded by several tests; decode each once.
  const key = `${file}:${selector}`;
  const known = file.includes('/test/fixtures/') ? memo.get(key) : undefined;
  if (known !== undefined) return known;
  const md5s = decodeFrameMd5s(file, selector);
  memo.set(key, md5s);
  return md5s;
}

function decodeFrameMd5s(file: string, selector: 'v' | 'a'): string[] {
  const out = execFileSync(FFMPEG as string, ['-v', 'error', '-i', file, '-map', `0:${selector}`, '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)?.trim() ?? '');
}

/** stderr of a full decode at -v error: empty when ffmpeg found nothing wrong. */
function decodeErrors(file: string): string {
  const run = spawnSync(FFMPEG as string, ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  return `${run.stderr}${run.status === 0 ? '' : `exit ${run.status}`}`;
}

describe('MPEG-TS muxer against ffmpeg', { skip }, () => {
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'openkvs-ts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { fixture: 'h264-aac.mkv', audio: true },
    { fixture: 'h264.mkv', audio: false },
    { fixture: 'h265.mkv', audio: false },
    { fixture: 'h264-bframes.mkv', audio: false },
  ];
  for (const { fixture, audio } of cases) {
    test(`${fixture}: decodes cleanly, same packets and pictures${audio ? ', same audio' : ''}`, () => {
      const media = loadFixture(fixture);
      const out = path.join(dir, `${fixture}.ts`);
      writeFileSync(out, Buffer.concat(muxTsSegment({ tracks: media.tracks, samples: media.samples })));
      const source = fixturePath(fixture);

      assert.equal(decodeErrors(out), '');
      const sourceVideoPts = packetPtsMs(source, 'v');
      assert.ok(sourceVideoPts.length >= 90, 'the fixture has its 6 s of video');
      assert.deepEqual(packetPtsMs(out, 'v'), sourceVideoPts);
      assert.deepEqual(decodedFrameMd5s(out, 'v'), decodedFrameMd5s(source, 'v'));
      if (!audio) return;
      const sourceAudioPts = packetPtsMs(source, 'a');
      const audioPts = packetPtsMs(out, 'a');
      assert.equal(audioPts.length, sourceAudioPts.length, 'AAC frame count');
      // Frames after the first of a PES are timed by sample counting: within 1 ms of Matroska's rounded times.
      audioPts.forEach((pts, i) => assert.ok(Math.abs(pts - (sourceAudioPts[i] as number)) <= 1, `audio frame ${i}: ${pts} vs ${sourceAudioPts[i]}`));
      assert.deepEqual(decodedFrameMd5s(out, 'a'), decodedFrameMd5s(source, 'a'));
    });
  }

  test('three fragments muxed as three segments play back to back (counters carried over)', () => {
    const media = loadFixture('h264-aac.mkv');
    const boundaries = [0, 2000, 4000, Infinity];
    const chunks: Uint8Array[] = [];
    let counters: ReadonlyMap<number, number> | undefined;
    for (let k = 0; k < 3; k++) {
      const samples = media.samples.filter((s) => s.dts >= (boundaries[k] as number) && s.dts < (boundaries[k + 1] as number));
      const muxer = new TsMuxer(media.tracks, counters === undefined ? {} : { continuityCounters: counters });
      chunks.push(muxer.programTables());
      for (const sample of samples) chunks.push(muxer.writeSample(sample) ?? new Uint8Array(0));
      chunks.push(...muxer.flush());
      counters = muxer.continuityCounters();
    }
    const out = path.join(dir, 'joined.ts');
    writeFileSync(out, Buffer.concat(chunks));
    assert.equal(decodeErrors(out), '');
    assert.deepEqual(decodedFrameMd5s(out, 'v'), decodedFrameMd5s(fixturePath('h264-aac.mkv'), 'v'));
    assert.equal(decodedFrameMd5s(out, 'a').length, media.samples.filter((s) => s.trackNumber === 2).length);
  });

  test('the judge can fail: one damaged byte inside a picture changes the decoded frames', () => {
    const media = loadFixture('h264.mkv');
    const ts = Buffer.concat(muxTsSegment({ tracks: media.tracks, samples: media.samples }));
    const damaged = Buffer.from(ts);
    // A byte well inside the payload of the 30th packet (past header and any adaptation field).
    const at = 30 * 188 + 150;
    damaged[at] = (damaged[at] as number) ^ 0x5a;
    const out = path.join(dir, 'damaged.ts');
    writeFileSync(out, damaged);
    assert.notDeepEqual(decodedFrameMd5s(out, 'v'), decodedFrameMd5s(fixturePath('h264.mkv'), 'v'));
  });
});
