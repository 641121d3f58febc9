/**
 * A real file: ffmpeg muxes H.264 + AAC into Matroska, ffprobe lists the packets, and the parser
 * must find the same packets (stream, pts, size, key flag) in the same order. Skipped when
 * ffmpeg/ffprobe are not installed.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MkvEvent } from '../../../../src/formats/matroska/events.js';
import { parseChunked, prng } from './streams.js';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const skip = !existsSync(FFMPEG) || !existsSync(FFPROBE) ? 'ffmpeg/ffprobe not installed' : false;

interface Packet {
  readonly stream: number;
  readonly pts: number;
  readonly size: number;
  readonly key: boolean;
}

const SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine', '-t', '4', '-c:v', 'libx264', '-g', '15', '-c:a', 'aac'];

function ffprobePackets(file: string): Packet[] {
  const csv = execFileSync(FFPROBE, ['-v', 'error', '-show_packets', '-show_entries', 'packet=stream_index,pts,size,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return csv
    .trim()
    .split('\n')
    .map((line) => {
      const [stream, pts, size, flags] = line.split(',');
      return { stream: Number(stream), pts: Number(pts), size: Number(size), key: (flags ?? '').includes('K') };
    });
}

/** Our packets: track → stream index by TrackEntry order, pts = Cluster Timestamp + block timestamp (1 ms ticks). */
function parsedPackets(events: readonly MkvEvent[]): Packet[] {
  const out: Packet[] = [];
  let streamOf = new Map<number, number>();
  let clusterTimecode = 0;
  for (const e of events) {
    if (e.kind === 'tracks') streamOf = new Map(e.tracks.map((t, index) => [t.number, index]));
    else if (e.kind === 'cluster-timecode') clusterTimecode = e.timecode;
    else if (e.kind === 'frame') out.push({ stream: streamOf.get(e.track) ?? -1, pts: clusterTimecode + e.timecode, size: e.size, key: e.key });
  }
  return out;
}

describe('MkvParser against ffprobe', { skip }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openkvs-mkv-'));
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const cases = [
    { name: 'a seekable file (known sizes, SeekHead, Cues, Tags)', file: 'out.mkv', args: [] as string[] },
    { name: 'a piped stream (unknown-size Segment)', file: 'piped.mkv', args: ['-f', 'matroska'] },
    { name: 'a live stream (-live 1)', file: 'live.mkv', args: ['-live', '1', '-f', 'matroska'] },
  ];

  for (const { name, file, args } of cases) {
    test(name, async () => {
      const path = join(dir, file);
      if (args.length === 0) execFileSync(FFMPEG, ['-v', 'error', ...SOURCE, path]);
      else execFileSync('/bin/sh', ['-c', `"${FFMPEG}" -v error ${SOURCE.map((a) => `'${a}'`).join(' ')} ${args.join(' ')} pipe:1 > "${path}"`]);
      const bytes = new Uint8Array(await readFile(path));
      const random = prng(bytes.length);
      const { events, error } = parseChunked(bytes, () => 1 + Math.floor(random() * 20000));
      assert.equal(error, undefined, error?.message);

      const expected = ffprobePackets(path);
      const got = parsedPackets(events);
      assert.equal(got.length, expected.length, 'frame count');
      for (const stream of [0, 1]) {
        assert.equal(got.filter((p) => p.stream === stream).length, expected.filter((p) => p.stream === stream).length, `stream ${stream} count`);
        assert.equal(got.filter((p) => p.stream === stream && p.key).length, expected.filter((p) => p.stream === stream && p.key).length, `stream ${stream} key frames`);
      }
      assert.deepEqual(got, expected);
      assert.equal(events.filter((e) => e.kind === 'cluster-start').length, events.filter((e) => e.kind === 'cluster-end').length);
      assert.deepEqual(events.at(-1)?.kind, 'segment-end');
    });
  }
});
