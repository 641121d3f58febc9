/**
 * Cutting ffmpeg's Clusters into one Cluster per GOP (src/relay/cluster-cut.ts): cut at each key
 * frame that follows a non-key one, an access unit's parameter-set packet joined with its
 * picture, audio kept in time order, block timecodes rebased, the first video frame's place,
 * and the options the relay uses (a stopped run's last picture dropped, key frames tidied).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatBytes } from '../../../src/formats/bytes/read.js';
import type { MkvEvent } from '../../../src/formats/matroska/events.js';
import { MatroskaId } from '../../../src/formats/matroska/ids.js';
import { MkvParser } from '../../../src/formats/matroska/parser.js';
import { ebmlHeaderElement, element, simpleBlockElement, stringElement, uintElement, unknownSizeElement } from '../../../src/formats/matroska/writer.js';
import { cutAtKeyFrames, type CutCluster } from '../../../src/relay/cluster-cut.js';

const VIDEO = 1;
const AUDIO = 2;
type B = { track: number; at: number; key?: boolean; data?: number[] };
const v = (at: number, key = false, data = [at & 0xff]): B => ({ track: VIDEO, at, key, data });
const a = (at: number): B => ({ track: AUDIO, at, key: true, data: [0xaa] });

function cluster(timecode: number, blocks: B[]): Uint8Array {
  return element(MatroskaId.Cluster, [
    uintElement(MatroskaId.Timestamp, timecode),
    ...blocks.map((b) => simpleBlockElement({ track: b.track, timecode: b.at, key: b.key ?? false, frames: [Uint8Array.from(b.data ?? [0])] })),
  ]);
}

/** What a cut Cluster holds, read back by the ingest's parser: [track, absolute time, key, data]. */
function frames(cut: CutCluster): Array<[number, number, boolean, string]> {
  const tracks = element(MatroskaId.Tracks, [
    element(MatroskaId.TrackEntry, [uintElement(MatroskaId.TrackNumber, VIDEO), uintElement(MatroskaId.TrackType, 1), stringElement(MatroskaId.CodecID, 'V_MPEG4/ISO/AVC')]),
    element(MatroskaId.TrackEntry, [uintElement(MatroskaId.TrackNumber, AUDIO), uintElement(MatroskaId.TrackType, 2), stringElement(MatroskaId.CodecID, 'A_AAC')]),
  ]);
  const doc = concatBytes([ebmlHeaderElement(), unknownSizeElement(MatroskaId.Segment, [tracks, cut.bytes])]);
  const events: MkvEvent[] = [];
  const parser = new MkvParser();
  parser.push(doc, events);
  parser.end(events);
  let base = 0;
  const out: Array<[number, number, boolean, string]> = [];
  for (const e of events) {
    if (e.kind === 'cluster-timecode') base = e.timecode;
    if (e.kind === 'frame') out.push([e.track, base + e.timecode, e.key, Buffer.from(doc.subarray(e.offset, e.offset + e.size)).toString('hex')]);
  }
  return out;
}

describe('relay: cutting Clusters at key frames', () => {
  test('one Cluster per GOP, audio with its time, timecodes rebased on each GOP', () => {
    const cuts = cutAtKeyFrames(cluster(10_000, [v(0, true), a(10), v(67), a(33), v(133, true), v(200), a(210), v(267, true)]), VIDEO);
    assert.equal(cuts.length, 3);
    assert.deepEqual(cuts.map((c) => [c.timecode, c.frames, c.videoFrames, c.startsWithKey, c.maxBlockTc]), [
      [10_000, 4, 2, true, 67],
      [10_133, 3, 2, true, 77],
      [10_267, 1, 1, true, 0],
    ]);
    assert.deepEqual(frames(cuts[1]!).map(([track, at, key]) => [track, at, key]), [
      [VIDEO, 10_133, true],
      [VIDEO, 10_200, false],
      [AUDIO, 10_210, true],
    ]);
  });

  test("where the first video frame is when audio opens the Cluster (the timeline's frame grid is of video frames)", () => {
    const cuts = cutAtKeyFrames(cluster(10_000, [a(0), v(19, true), a(23), v(86), v(153, true), a(160)]), VIDEO);
    assert.deepEqual(cuts.map((c) => [c.timecode, c.videoStartTc]), [
      [10_000, 19],
      [10_153, 0],
    ]);
  });

  test('a GOP that starts mid-way (no key frame first) is marked so', () => {
    const cuts = cutAtKeyFrames(cluster(0, [v(0), v(67), v(133, true), v(200)]), VIDEO);
    assert.deepEqual(cuts.map((c) => c.startsWithKey), [false, true]);
    assert.equal(cuts[0]!.keyFrame, undefined);
  });

  test("an access unit's parameter-set packet and picture (same time, or key packets < 20 ms apart) become one frame", () => {
    const cuts = cutAtKeyFrames(cluster(0, [v(0, true, [0x67]), v(0, true, [0x65]), v(67), v(133, true, [0x67]), a(135), v(138, true, [0x65]), v(200)]), VIDEO);
    assert.equal(cuts.length, 2);
    assert.deepEqual(frames(cuts[0]!).map(([, at, key, data]) => [at, key, data]), [
      [0, true, '6765'],
      [67, false, '43'],
    ]);
    assert.deepEqual(frames(cuts[1]!).map(([track, at, , data]) => [track, at, data]), [
      [VIDEO, 133, '6765'],
      [AUDIO, 135, 'aa'],
      [VIDEO, 200, 'c8'],
    ]);
    assert.equal(Buffer.from(cuts[1]!.keyFrame!).toString('hex'), '6765');
  });

  test('key frames in a row stay in one GOP (the cut is at a key frame after a non-key one)', () => {
    const cuts = cutAtKeyFrames(cluster(0, [v(0, true), v(67, true), v(133), v(200, true)]), VIDEO);
    assert.deepEqual(cuts.map((c) => c.videoFrames), [3, 1]);
  });

  test("a stopped run's last picture is dropped; a GOP left without its key frame is not a fragment start", () => {
    const cuts = cutAtKeyFrames(cluster(0, [v(0, true), v(67), a(80), v(133)]), VIDEO, 1, true);
    assert.deepEqual(frames(cuts[0]!).map(([track, at]) => [track, at]), [
      [VIDEO, 0],
      [VIDEO, 67],
      [AUDIO, 80],
    ]);
    const lone = cutAtKeyFrames(cluster(0, [a(0), v(10, true)]), VIDEO, 1, true);
    assert.deepEqual(lone.map((c) => c.startsWithKey), [false]);
  });

  test('key frames go through the tidy function; others are not offered to it', () => {
    const offered: string[] = [];
    const cuts = cutAtKeyFrames(cluster(0, [v(0, true, [1, 2, 3]), v(67, false, [4])]), VIDEO, 1, false, (frame) => {
      offered.push(Buffer.from(frame).toString('hex'));
      return Uint8Array.of(9);
    });
    assert.deepEqual(offered, ['010203']);
    assert.deepEqual(frames(cuts[0]!).map(([, , , data]) => data), ['09', '04']);
  });
});
