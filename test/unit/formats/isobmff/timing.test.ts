/**
 * Media time arithmetic: nanoseconds → ticks exactly (checked against BigInt arithmetic), audio
 * snapped to its frame grid but gaps kept, and decode timelines for reordered (B-frame) video:
 * decode times strictly increase, no frame is decoded after it is shown, durations tile the
 * presentation, and the edit's media time lands on the first presented frame.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTimeline, msAndNsToTicks, nsToTicks, rescaleUp, snapToFrameGrid } from '../../../../src/formats/isobmff/timing.js';
import { prng } from '../../../helpers/prng.js';

/** Round-half-up of ns × timescale / 10⁹, exactly. */
function referenceTicks(ns: bigint, timescale: number): number {
  const scaled = ns * BigInt(timescale) * 2n + 1_000_000_000n;
  const divisor = 2_000_000_000n;
  const quotient = scaled / divisor;
  return Number(scaled % divisor < 0n ? quotient - 1n : quotient);
}

describe('time conversion', () => {
  test('nsToTicks matches exact arithmetic for random times, negative ones included', () => {
    const random = prng(7);
    for (const timescale of [1000, 44100, 48000, 90000, 1_000_000]) {
      for (let i = 0; i < 2000; i++) {
        const ns = Math.floor((random() - 0.3) * 9e13); // about ±1 day
        assert.equal(nsToTicks(ns, timescale), referenceTicks(BigInt(ns), timescale), `${ns} ns at ${timescale}`);
      }
    }
  });

  test('epoch milliseconds plus a frame offset convert without losing precision', () => {
    const ms = 1_700_000_123_456;
    assert.equal(msAndNsToTicks(ms, 33_366_667, 90000), referenceTicks(BigInt(ms) * 1_000_000n + 33_366_667n, 90000));
    assert.equal(msAndNsToTicks(ms, -5_000_000, 44100), referenceTicks(BigInt(ms) * 1_000_000n - 5_000_000n, 44100));
  });

  test('millisecond times at 90 kHz are exact; rescaleUp never rounds down', () => {
    for (let ms = 0; ms < 5000; ms += 67) assert.equal(nsToTicks(ms * 1_000_000, 90000), ms * 90);
    assert.equal(rescaleUp(1, 44100, 90000), 3);
    assert.equal(rescaleUp(44100, 44100, 90000), 90000);
    assert.equal(rescaleUp(2 ** 52, 3, 7), Number((2n ** 52n * 7n + 2n) / 3n));
  });
});

describe('audio frame grid', () => {
  test('millisecond jitter is snapped to 1024-sample frames; a real gap is kept', () => {
    const exact = Array.from({ length: 50 }, (_, i) => i * 1024);
    const stored = exact.map((t) => Math.round(Math.round((t / 44100) * 1000) * 44.1)); // via 1 ms timecodes
    assert.deepEqual([...snapToFrameGrid(stored, exact.map(() => 1024), 45)], exact);
    const gapped = [...stored.slice(0, 10), ...stored.slice(10).map((t) => t + 4410)]; // 100 ms hole
    const snapped = [...snapToFrameGrid(gapped, gapped.map(() => 1024), 45)];
    assert.deepEqual(snapped.slice(0, 10), exact.slice(0, 10));
    assert.equal(snapped[10], gapped[10]);
    assert.equal(snapped[11]! - snapped[10]!, 1024);
  });

  test('the first frame of a segment continues where the previous segment ended, if within rounding', () => {
    assert.deepEqual([...snapToFrameGrid([1030, 2054], [1024, 1024], 45, 1024)], [1024, 2048]);
    assert.deepEqual([...snapToFrameGrid([5000, 6024], [1024, 1024], 45, 1024)], [5000, 6024]);
  });
});

describe('decode timelines', () => {
  /** Presentation times, decode order, of `anchors` anchor frames each followed by `bframes` B-frames shown before it. */
  function reordered(anchors: number, bframes: number, d: number): number[] {
    const out: number[] = [0];
    for (let k = 1; k <= anchors; k++) {
      const anchor = k * (bframes + 1);
      out.push(anchor * d);
      for (let b = anchor - bframes; b < anchor; b++) out.push(b * d);
    }
    return out;
  }

  function checkProperties(pts: number[], options: { lastDuration: number; negativeOffsets?: boolean; decodeShift?: number }) {
    const timeline = decodeTimeline(pts, options);
    const decode: number[] = [timeline.firstDecodeTime];
    for (let i = 1; i < pts.length; i++) decode.push(decode[i - 1]! + timeline.durations[i - 1]!);
    const offsets = pts.map((_, i) => timeline.compositionOffsets?.[i] ?? 0);
    for (let i = 1; i < pts.length; i++) assert.ok(decode[i]! > decode[i - 1]!, 'decode times strictly increase');
    const shift = options.decodeShift ?? 0;
    pts.forEach((p, i) => assert.equal(decode[i]! + offsets[i]!, p + shift, `sample ${i}: decode + offset = presentation (+ shift)`));
    if (!options.negativeOffsets) offsets.forEach((o) => assert.ok(o >= 0, 'non-negative offsets'));
    const total = Array.from(timeline.durations).reduce((a, b) => a + b, 0);
    assert.equal(total, timeline.presentationDuration, 'durations tile the presentation');
    // The first presented frame sits at editMediaTime on the media timeline that starts at the first decode time.
    const first = pts.indexOf(Math.min(...pts));
    assert.equal(decode[first]! + offsets[first]! - timeline.firstDecodeTime, timeline.editMediaTime);
    return timeline;
  }

  test('no reordering: decode = presentation, no offsets, no shift', () => {
    const timeline = checkProperties([0, 6030, 11970, 18000], { lastDuration: 6030 });
    assert.equal(timeline.compositionOffsets, undefined);
    assert.equal(timeline.editMediaTime, 0);
    assert.deepEqual([...timeline.durations], [6030, 5940, 6030, 6030]);
  });

  for (const bframes of [1, 2, 3]) {
    test(`${bframes} B-frame(s): each mode keeps its guarantees`, () => {
      const pts = reordered(10, bframes, 3000);
      const shifted = checkProperties(pts, { lastDuration: 3000 });
      assert.equal(shifted.editMediaTime, bframes === 0 ? 0 : 3000, 'the I-frame is shown one frame after it is decoded');
      const signed = checkProperties(pts, { lastDuration: 3000, negativeOffsets: true });
      assert.equal(signed.firstDecodeTime, 0);
      assert.equal(signed.editMediaTime, 0);
      checkProperties(pts, { lastDuration: 3000, decodeShift: 3000 * bframes });
    });
  }

  test('random reorderings with millisecond jitter and duplicate times', () => {
    const random = prng(11);
    for (let run = 0; run < 200; run++) {
      const pts = Array.from({ length: 30 }, (_, i) => i * 6000 + Math.floor(random() * 90));
      for (let i = 1; i < pts.length; i++) if (random() < 0.3) [pts[i - 1], pts[i]] = [pts[i]!, pts[i - 1]!];
      if (random() < 0.3) pts[5] = pts[4]!;
      checkProperties(pts, { lastDuration: random() < 0.5 ? 6000 : 0 });
      checkProperties(pts, { lastDuration: 6000, negativeOffsets: true });
    }
  });
});
