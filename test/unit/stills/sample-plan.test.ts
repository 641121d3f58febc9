/**
 * The GetImages plan: sample schedule (end exclusive, at least StartTimestamp), which fragment
 * covers an instant, which frame is on screen (B-frames: presentation order differs from decode
 * order), the key frame decoding starts at, and one decode per GOP for all its samples.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FrameEntry, FragmentRecord } from '../../../src/domain/fragment.js';
import { frameOnScreen, planSamples, sampleCount, sampleTime, type IndexedFragmentRecord } from '../../../src/stills/sample-plan.js';

const frame = (timecode: number, key = false, track = 1): FrameEntry => ({ track, timecode, duration: 0, key, offset: 0, size: 1 });

function fragment(n: number, producerMs: number, durationMs: number, frames: FrameEntry[], serverMs = producerMs + 500): IndexedFragmentRecord {
  const record = { fragmentNumber: String(n).padStart(47, '9'), producerTimestampMs: producerMs, serverTimestampMs: serverMs, durationMs, headerId: 1 } as FragmentRecord;
  return { record, frames };
}

/** Decode order I0 P3 B1 B2 P6 B4 B5 (times in 100 ms ticks scaled to ms below), then a new GOP at 700. */
const bframes = [frame(0, true), frame(300), frame(100), frame(200), frame(600), frame(400), frame(500), frame(700, true), frame(800)];

describe('GetImages sample plan', () => {
  test('samples run from start every interval before end; a short range gives StartTimestamp', () => {
    assert.equal(sampleCount({ startMs: 0, endMs: 300_000, intervalMs: 3000 }), 100);
    assert.equal(sampleCount({ startMs: 0, endMs: 300_001, intervalMs: 3000 }), 101);
    assert.equal(sampleCount({ startMs: 5, endMs: 5, intervalMs: 3000 }), 1);
    assert.equal(sampleCount({ startMs: 0, endMs: 2999, intervalMs: 3000 }), 1);
    assert.equal(sampleTime({ startMs: 10, endMs: 0, intervalMs: 200 }, 3), 610);
  });

  test('the frame on screen is the latest presented at or before the instant, not the latest decoded', () => {
    assert.equal(frameOnScreen(bframes, 1, 250, 1e6), 3); // B2 at 200
    assert.equal(frameOnScreen(bframes, 1, 399, 1e6), 1); // P3 at 300
    assert.equal(frameOnScreen(bframes, 1, 650, 1e6), 4); // P6 at 600
    assert.equal(frameOnScreen([frame(40, true), frame(80)], 1, 10, 1e6), 0, 'before every frame: the first');
    assert.equal(frameOnScreen([frame(0, true, 2), frame(10, true, 1)], 1, 20, 1e6), 1, 'other tracks are ignored');
    assert.equal(frameOnScreen([frame(0, true), frame(3, false)], 1, 2.5, 1e6 / 1), 0);
    assert.equal(frameOnScreen([frame(0, true), frame(3, false)], 1, 300, 1e8), 1, 'timecode scale applies');
  });

  test('samples of one GOP share a decode from its key frame to the last frame they need', () => {
    const f = fragment(1, 1000, 900, bframes);
    const outcomes = planSamples({
      by: 'producer',
      samples: [1250, 1050, 1750, 1850].map((timeMs, sample) => ({ sample, timeMs })),
      fragments: [f],
      timecodeScaleNs: () => 1e6,
      videoTrack: () => 1,
    });
    const [a, b, c, d] = outcomes.map((o) => (o.kind === 'image' ? o.job : undefined));
    assert.ok(a && b && c && d);
    assert.equal(a, b, 'both in the first GOP');
    assert.deepEqual(a.frameIndexes, [0, 1, 2, 3], 'up to B2 (decode index 3), nothing further');
    assert.deepEqual(a.targets, [{ sample: 0, frameIndex: 3 }, { sample: 1, frameIndex: 0 }]);
    assert.equal(c, d);
    assert.notEqual(a, c);
    assert.deepEqual(c.frameIndexes, [7, 8]);
  });

  test('NO_MEDIA outside every fragment; MEDIA_ERROR where track 1 is not video or no key frame precedes', () => {
    const fragments = [fragment(1, 0, 1000, [frame(0, true)]), fragment(2, 2000, 1000, [frame(0), frame(100, true)])];
    const plan = (timeMs: number, video: number | null = 1, by: 'producer' | 'server' = 'producer') =>
      planSamples({ by, samples: [{ sample: 0, timeMs }], fragments, timecodeScaleNs: () => 1e6, videoTrack: () => video ?? undefined })[0]!.kind;
    assert.equal(plan(-1), 'no-media');
    assert.equal(plan(0), 'image');
    assert.equal(plan(999), 'image');
    assert.equal(plan(1000), 'no-media', 'a fragment covers [start, start + duration)');
    assert.equal(plan(500, null), 'media-error');
    assert.equal(plan(2050), 'media-error', 'the frame on screen has no key frame before it');
    assert.equal(plan(2150), 'image');
    assert.equal(plan(100, 1, 'server'), 'no-media', 'server time: fragment 1 arrived at 500');
    assert.equal(plan(600, 1, 'server'), 'image');
  });

  test('a repeated producer timestamp shows the earliest ingested fragment', () => {
    const first = fragment(1, 0, 1000, [frame(0, true)]);
    const again = fragment(2, 0, 1000, [frame(0, true)]);
    const [outcome] = planSamples({ by: 'producer', samples: [{ sample: 0, timeMs: 10 }], fragments: [again, first], timecodeScaleNs: () => 1e6, videoTrack: () => 1 });
    assert.ok(outcome?.kind === 'image');
    assert.equal(outcome.job.fragment, first);
  });
});
