/**
 * Fragmented MP4 built one KVS fragment at a time, the way HLS fMP4 and DASH segments will be:
 * an init segment, then per fragment a moof + mdat header followed by the payloads. Judged by
 * ffmpeg reading the concatenation: per-packet MD5 equal to the source, a clean decode, start at 0,
 * and segments that tile each track's timeline with no gap or overlap.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTrackCodec, type TrackCodec } from '../../../../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import { collectSamples } from '../../../../src/formats/isobmff/fragment-samples.js';
import { buildInitSegment, buildMediaSegmentHeader, segmentRun, type SegmentRun } from '../../../../src/formats/isobmff/fragmented.js';
import { mediaTimescale } from '../../../../src/formats/isobmff/timing.js';
import { trackTimeline } from '../../../../src/formats/isobmff/track-timing.js';
import { findAll, parseBoxes } from './box-tree.js';
import { archive, decodeErrors, fixturePath, framemd5, probe, skipWithoutFfmpeg, type Packet } from './mkv-source.js';

type Mode = 'signed offsets' | 'constant decode shift';
/** The decode delay of the fixtures' B-frames (2 B-frames at 15 fps): 2 frames at 90 kHz. */
const BFRAME_SHIFT = 12_000;

interface Track {
  readonly trackId: number;
  readonly trackNumber: number;
  readonly codec: TrackCodec;
  readonly timescale: number;
  readonly editMediaTime?: number;
}

/** init + one media segment per fragment holding `tracks`; payloads of each run follow in order. */
function buildFragmented(bytes: Uint8Array, tracks: readonly Track[], mode: Mode): { file: Buffer; runs: SegmentRun[][] } {
  const archived = archive(bytes);
  const scale = describeTrackHeader(archived.header).timecodeScaleNs;
  const perFragment = archived.fragments.map((f) => collectSamples([f], tracks, scale, 0));
  const previousEnd: (number | undefined)[] = tracks.map(() => undefined);
  const parts: Uint8Array[] = [buildInitSegment(tracks)];
  const allRuns: SegmentRun[][] = [];
  perFragment.forEach((collected, k) => {
    const runs = tracks.map((track, i) => {
      const next = perFragment[k + 1]?.tracks[i]!.presentationTimes;
      const timeline = trackTimeline(track.codec, collected.tracks[i]!, {
        timecodeScaleNs: scale,
        negativeOffsets: mode === 'signed offsets',
        decodeShift: mode === 'constant decode shift' ? track.editMediaTime : undefined,
        nextStart: next ? Math.min(...next) : undefined,
        previousEnd: previousEnd[i],
      });
      previousEnd[i] = timeline.firstDecodeTime + timeline.durations.reduce((a, b) => a + b, 0);
      return segmentRun(track.trackId, timeline, collected.tracks[i]!);
    });
    allRuns.push(runs);
    const segment = buildMediaSegmentHeader({ sequenceNumber: k + 1, runs, segmentType: true });
    parts.push(segment.header);
    const ranges = collected.payloadRanges[0]!;
    tracks.forEach((_, i) => {
      for (let j = 0; j < ranges.length; j += 2) if (collected.order[j / 2] === i) parts.push(bytes.subarray(ranges[j]!, ranges[j]! + ranges[j + 1]!));
    });
    assert.equal(parts.slice(-collected.order.length).reduce((n, p) => n + p.length, 0), segment.payloadBytes);
  });
  return { file: Buffer.concat(parts), runs: allRuns };
}

function tracksOf(bytes: Uint8Array, mode: Mode): Track[] {
  return describeTrackHeader(archive(bytes).header).tracks.map((t, i) => {
    const codec = describeTrackCodec(t);
    const editMediaTime = mode === 'constant decode shift' && codec.media === 'video' ? BFRAME_SHIFT : undefined;
    return { trackId: i + 1, trackNumber: t.number, codec, timescale: mediaTimescale(codec), editMediaTime };
  });
}

function assertSamePackets(got: Packet[], expected: Packet[], label: string): void {
  assert.equal(got.length, expected.length, `${label}: packet count`);
  got.forEach((p, i) => assert.equal(`${p.size}:${p.md5}`, `${expected[i]!.size}:${expected[i]!.md5}`, `${label} packet ${i}`));
}

const fixtures = ['h264-aac.mkv', 'h264.mkv', 'h265.mkv', 'h264-g711.mkv', 'h264-bframes.mkv'];

describe('fragmented MP4, judged by ffmpeg', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-fmp4-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const mode of ['signed offsets', 'constant decode shift'] as const) {
    // Signed offsets only change anything for B-frames; one muxed file keeps the A/V case covered.
    for (const name of mode === 'signed offsets' ? ['h264-aac.mkv', 'h264-bframes.mkv'] : fixtures) {
      test(`${name}, ${mode}: all tracks in each segment`, () => {
        const source = fixturePath(name);
        const bytes = new Uint8Array(readFileSync(source));
        const tracks = tracksOf(bytes, mode);
        const { file, runs } = buildFragmented(bytes, tracks, mode);
        const out = path.join(dir, `${name}-${mode.replace(/ /g, '-')}.mp4`);
        writeFileSync(out, file);
        assert.deepEqual(findAll(parseBoxes(file), 'moof').length, runs.length);
        assertSamePackets(framemd5(out, 'v'), framemd5(source, 'v'), 'video');
        if (tracks.length > 1) assertSamePackets(framemd5(out, 'a'), framemd5(source, 'a'), 'audio');
        assert.equal(decodeErrors(out), '');
        // Signed offsets make ffmpeg (not browsers) delay B-frame video by the reorder depth; the edit list does not.
        if (mode === 'constant decode shift' || !name.includes('bframes')) {
          for (const stream of probe(out).streams) assert.equal(Number(stream.start_time), 0, `${stream.codec_type} start`);
        }
        // Each track's segments tile its timeline: a segment starts where the previous one ended.
        tracks.forEach((_, i) => {
          for (let k = 1; k < runs.length; k++) {
            const previous = runs[k - 1]![i]!;
            const end = previous.baseDecodeTime + Array.from(previous.durations).reduce((a, b) => a + b, 0);
            assert.equal(runs[k]![i]!.baseDecodeTime, end, `track ${i + 1} segment ${k + 1}`);
          }
        });
      });
    }
  }

  test('one track per segment file (HLS renditions): video and audio each play on their own', () => {
    const source = fixturePath('h264-aac.mkv');
    const bytes = new Uint8Array(readFileSync(source));
    for (const [stream, track] of [['v', 0], ['a', 1]] as const) {
      const only = [{ ...tracksOf(bytes, 'signed offsets')[track]!, trackId: 1 }];
      const out = path.join(dir, `rendition-${stream}.mp4`);
      writeFileSync(out, buildFragmented(bytes, only, 'signed offsets').file);
      assertSamePackets(framemd5(out, stream), framemd5(source, stream), stream);
      assert.equal(decodeErrors(out), '');
    }
  });
});
