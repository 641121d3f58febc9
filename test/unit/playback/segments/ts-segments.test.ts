/**
 * MPEG-TS segments of archived fixtures, one per fragment, built one request at a time as an HLS
 * MPEG_TS session serves them, then concatenated as a player appends them. ffmpeg judges: a
 * decode without a single error, the source's video packets (count, PTS) and decoded pictures,
 * and with audio the source's AAC frames and decoded sound.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnsupportedStreamMediaTypeException } from '../../../../src/domain/errors.js';
import { fragmentTimelineMs, tsSegment, TS_TIMELINE_OFFSET_MS, type SegmentBody } from '../../../../src/playback/segments/index.js';
import { decodeErrors, FFMPEG, FFPROBE, fixturePath, skipWithoutFfmpeg } from '../../formats/isobmff/mkv-source.js';
import { archiveFixtures, bodyBytes, streamOf, type Archive, type ArchivedStream } from './archived-fixtures.js';

const FIXTURES = ['h264-aac.mkv', 'h264.mkv', 'h265.mkv', 'h264-bframes.mkv'];

/** PTS in ms of every packet of one stream kind, in file order. */
function packetPtsMs(file: string, kind: 'v' | 'a'): number[] {
  const csv = execFileSync(FFPROBE, ['-v', 'error', '-select_streams', kind, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(line.split(',')[0]) * 1000);
}

/** MD5 of every decoded frame of one stream kind. */
function decodedMd5s(file: string, kind: 'v' | 'a'): string[] {
  const out = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', `0:${kind}`, '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}

async function tsSegmentsOf(archive: Archive, stream: ArchivedStream): Promise<SegmentBody[]> {
  const originMs = stream.fragments[0]!.producerTimestampMs;
  return Promise.all(
    stream.fragments.map((fragment) =>
      tsSegment(archive.blobs, fragment, stream.trackHeader, { fragmentStartMs: fragmentTimelineMs(fragment, 'PRODUCER_TIMESTAMP', originMs) }),
    ),
  );
}

describe('MPEG-TS segments of archived fragments, judged by ffmpeg', { skip: skipWithoutFfmpeg }, () => {
  let archive: Archive;
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-ts-segments-'));
    archive = await archiveFixtures([...FIXTURES, 'h264-g711.mkv']);
  });
  after(async () => {
    await archive?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const fixture of FIXTURES) {
    const audio = fixture.includes('aac');
    test(`${fixture}: segments back to back decode as the source${audio ? ', audio too' : ''}`, async () => {
      const stream = streamOf(archive, fixture);
      const bodies = await tsSegmentsOf(archive, stream);
      const segments = await Promise.all(bodies.map(bodyBytes));
      segments.forEach((segment, k) => {
        assert.equal(segment.length, bodies[k]!.byteLength, 'Content-Length');
        assert.equal(segment.length % 188, 0, 'whole transport packets');
      });
      const out = path.join(dir, `${fixture}.ts`);
      writeFileSync(out, Buffer.concat(segments));
      const source = fixturePath(fixture);

      assert.equal(decodeErrors(out), '');
      const sourcePts = packetPtsMs(source, 'v');
      assert.equal(sourcePts.length, 90, 'the fixture has its 6 s of video');
      // Presentation times are the stored ones, B-frames included, on the session timeline.
      assert.deepEqual(packetPtsMs(out, 'v').map((ms) => Math.round(ms - TS_TIMELINE_OFFSET_MS)), sourcePts.map(Math.round));
      assert.deepEqual(decodedMd5s(out, 'v'), decodedMd5s(source, 'v'));
      if (!audio) return;
      const sourceAudio = packetPtsMs(source, 'a');
      const gotAudio = packetPtsMs(out, 'a');
      assert.equal(gotAudio.length, sourceAudio.length, 'AAC frame count');
      gotAudio.forEach((ms, i) => assert.ok(Math.abs(ms - TS_TIMELINE_OFFSET_MS - sourceAudio[i]!) <= 1, `audio frame ${i}: ${ms} vs ${sourceAudio[i]}`));
      assert.deepEqual(decodedMd5s(out, 'a'), decodedMd5s(source, 'a'));
    });
  }

  test('G.711 audio has no place in MPEG-TS: UnsupportedStreamMediaTypeException', async () => {
    const stream = streamOf(archive, 'h264-g711.mkv');
    await assert.rejects(
      tsSegment(archive.blobs, stream.fragments[0]!, stream.trackHeader, { fragmentStartMs: 0 }),
      (err: unknown) => err instanceof UnsupportedStreamMediaTypeException,
    );
  });
});
