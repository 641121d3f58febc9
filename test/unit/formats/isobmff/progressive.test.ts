/**
 * Progressive MP4 clips planned from archived fragments, judged by ffmpeg: per-packet MD5 of
 * every stream equal to the Matroska source, presentation times equal, a clean full decode,
 * exact duration, the right sample entries, tracks aligned by their edit lists.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTrackCodec } from '../../../../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import type { IndexedFragment } from '../../../../src/formats/isobmff/fragment-samples.js';
import { planProgressiveClip } from '../../../../src/formats/isobmff/progressive-clip.js';
import { find, findAll, parseBoxes } from './box-tree.js';
import { FFPROBE, archive, assemble, decodeErrors, fixturePath, framemd5, probe, skipWithoutFfmpeg, type Packet } from './mkv-source.js';

const MS = 0.001;

interface Source {
  readonly bytes: Uint8Array;
  readonly file: string;
}

/** Plans a clip of `fragments` (default: all) of `source` and writes it; returns its path. */
function writeClip(dir: string, name: string, source: Source, pick?: (fragments: IndexedFragment[]) => IndexedFragment[]): string {
  const archived = archive(source.bytes);
  const header = describeTrackHeader(archived.header);
  const tracks = header.tracks.map((t) => ({ trackNumber: t.number, codec: describeTrackCodec(t) }));
  const fragments = pick ? pick(archived.fragments) : archived.fragments;
  const plan = planProgressiveClip({ tracks, timecodeScaleNs: header.timecodeScaleNs, fragments });
  const out = path.join(dir, `${name}.mp4`);
  const file = assemble(plan.header, plan.payloadRanges, source.bytes);
  assert.equal(file.length, plan.totalBytes);
  writeFileSync(out, file);
  return out;
}

/**
 * Where the source's media ends, seconds: per stream, its last packet's pts plus one frame at the
 * stream's nominal rate (Matroska packet durations are rounded to the millisecond); the latest.
 */
function sourceEnd(file: string): number {
  const { streams } = JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' })) as {
    streams: { index: number; codec_type: string; codec_name: string; r_frame_rate: string; sample_rate?: string; channels?: number }[];
  };
  const csv = execFileSync(FFPROBE, ['-v', 'error', '-show_packets', '-show_entries', 'packet=stream_index,pts_time,size', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const last = new Map<number, { pts: number; size: number }>();
  for (const line of csv.trim().split('\n')) {
    const [index, pts, size] = line.split(',').map(Number);
    last.set(index!, { pts: pts!, size: size! });
  }
  return Math.max(
    ...streams.map((s) => {
      const packet = last.get(s.index)!;
      if (s.codec_type === 'video') {
        const [num, den] = s.r_frame_rate.split('/').map(Number);
        return packet.pts + den! / num!;
      }
      const samples = s.codec_name === 'aac' ? 1024 : packet.size / s.channels!;
      return packet.pts + samples / Number(s.sample_rate);
    }),
  );
}

/**
 * ffmpeg forgives an edit list that misses the B-frame decode delay, browsers do not: read the
 * raw timeline (-ignore_editlist) and check that each track's edit starts exactly at its first
 * presented frame.
 */
function assertEditsStartAtFirstFrame(clip: string): void {
  const raw = JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-ignore_editlist', '1', '-show_streams', '-of', 'json', clip], { encoding: 'utf8' })) as {
    streams: { start_time: string }[];
  };
  const traks = findAll(parseBoxes(readFileSync(clip)), 'moov/trak');
  traks.forEach((trak, i) => {
    const elst = find(trak.children, 'edts/elst')!;
    const entries = elst.body.readUInt32BE(4);
    const mediaTime = elst.body.readInt32BE(4 + 4 + (entries - 1) * 12 + 4);
    const timescale = find(trak.children, 'mdia/mdhd')!.body.readUInt32BE(12);
    assert.ok(Math.abs(mediaTime / timescale - Number(raw.streams[i]!.start_time)) < 1e-6, `track ${i + 1}: edit media_time ${mediaTime}/${timescale} vs first frame at ${raw.streams[i]!.start_time}`);
  });
}

function assertSamePackets(got: Packet[], expected: Packet[], label: string, ptsOffset = 0): void {
  assert.equal(got.length, expected.length, `${label}: packet count`);
  got.forEach((packet, i) => {
    const want = expected[i]!;
    assert.equal(packet.md5, want.md5, `${label} packet ${i}: MD5`);
    assert.equal(packet.size, want.size, `${label} packet ${i}: size`);
    assert.ok(Math.abs(packet.pts - (want.pts - ptsOffset)) <= MS, `${label} packet ${i}: pts ${packet.pts} vs ${want.pts - ptsOffset}`);
  });
}

const fixtures = [
  { file: 'h264-aac.mkv', tags: ['avc1', 'mp4a'] },
  { file: 'h264.mkv', tags: ['avc1'] },
  { file: 'h265.mkv', tags: ['hvc1'] },
  { file: 'h264-g711.mkv', tags: ['avc1', 'alaw'] },
  { file: 'h264-bframes.mkv', tags: ['avc1'] },
  { file: 'h264-absolute-timecodes.mkv', tags: ['avc1'] },
];

describe('progressive MP4 clips, judged by ffmpeg', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-clip-'))));
  after(async () => rm(dir, { recursive: true, force: true }));
  const load = (file: string): Source => ({ file: fixturePath(file), bytes: new Uint8Array(readFileSync(fixturePath(file))) });

  for (const { file, tags } of fixtures) {
    test(`${file}: same packets, clean decode, exact duration`, () => {
      const source = load(file);
      const clip = writeClip(dir, file, source);
      const probed = probe(clip);
      assert.deepEqual(probed.streams.map((s) => s.codec_tag_string), tags);
      // framemd5 counts both files' times from their first packet.
      assertSamePackets(framemd5(clip, 'v'), framemd5(source.file, 'v'), 'video');
      if (tags.length > 1) assertSamePackets(framemd5(clip, 'a'), framemd5(source.file, 'a'), 'audio');
      const sourceStart = Number(probe(source.file).format.start_time);
      for (const stream of probed.streams) assert.equal(Number(stream.start_time), 0, `${stream.codec_type} starts at 0`);
      assert.equal(decodeErrors(clip), '');
      assertEditsStartAtFirstFrame(clip);
      assert.ok(Math.abs(Number(probed.format.duration) - (sourceEnd(source.file) - sourceStart)) <= MS, `duration ${probed.format.duration}`);
    });
  }

  test('a clip of the later fragments starts at 0 and holds exactly their frames', () => {
    const source = load('h264-aac.mkv');
    const clip = writeClip(dir, 'later', source, (fragments) => fragments.slice(1));
    for (const stream of ['v', 'a'] as const) {
      const expected = framemd5(source.file, stream).filter((p) => p.pts >= 2 - MS);
      assertSamePackets(framemd5(clip, stream), expected, stream, 2);
    }
    assert.equal(decodeErrors(clip), '');
  });

  test('audio that starts 0.5 s after the video stays 0.5 s after it (empty edit)', () => {
    const source = load('h264-aac.mkv');
    const clip = writeClip(dir, 'late-audio', source, ([first, ...rest]) => [
      { ...first!, frames: first!.frames.filter((f) => f.track === 1 || f.timecode >= 500) },
      ...rest,
    ]);
    const [video, audio] = probe(clip).streams;
    assert.equal(Number(video!.start_time), 0);
    const firstAudio = framemd5(source.file, 'a').find((p) => p.pts >= 0.5 - MS)!;
    assert.ok(Math.abs(Number(audio!.start_time) - firstAudio.pts) <= MS, `audio start ${audio!.start_time} vs ${firstAudio.pts}`);
    assert.equal(framemd5(clip, 'a')[0]!.md5, firstAudio.md5);
  });

  test('a finer TimecodeScale (100 µs, remuxed by mkvmerge) gives the same packets and times', (t) => {
    const mkvmerge = '/usr/bin/mkvmerge';
    try {
      execFileSync(mkvmerge, ['--version']);
    } catch {
      t.skip('mkvmerge not installed');
      return;
    }
    const remuxed = path.join(dir, 'ts100.mkv');
    execFileSync(mkvmerge, ['-q', '-o', remuxed, '--timestamp-scale', '100000', fixturePath('h264-aac.mkv')]);
    const source = { file: remuxed, bytes: new Uint8Array(readFileSync(remuxed)) };
    assert.equal(archive(source.bytes).timecodeScaleNs, 100_000);
    const clip = writeClip(dir, 'ts100', source);
    for (const stream of ['v', 'a'] as const) assertSamePackets(framemd5(clip, stream), framemd5(remuxed, stream), stream);
    assert.equal(decodeErrors(clip), '');
  });

  test('epoch-sized producer timestamps give the same file as small ones', () => {
    const source = load('h264-bframes.mkv');
    const small = readFileSync(writeClip(dir, 'small', source));
    const epoch = readFileSync(writeClip(dir, 'epoch', source, (fragments) => fragments.map((f) => ({ ...f, producerTimestampMs: f.producerTimestampMs + 1_795_278_847_812 }))));
    assert.ok(small.equals(epoch));
  });
});
