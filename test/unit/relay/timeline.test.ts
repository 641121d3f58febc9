/**
 * The relay's timeline (source clock → ABSOLUTE timestamps): the start-up burst is held, live
 * fragments follow the source clock exactly through arrival jitter, a drifting camera clock is
 * brought back within the dead band without a fragment starting before the previous one's last
 * frame, runs never go back, and a run's early last Cluster does not pull it back. The GOPs a
 * start-up burst releases keep the source's spacing, and a new run's frames continue the frame
 * grid of the run before it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEAD_BAND_MS, HOLD, Timeline, type Timed } from '../../../src/relay/timeline.js';

const GOP_MS = 1000;
const FRAME_MS = 1000 / 15;
const gop = (sourceMs: number, durationMs = GOP_MS): Timed => ({ sourceMs, durationMs, lastFrameMs: durationMs - FRAME_MS });
/** A GOP as the splitter describes an audio and video source's: the frame interval known, audio first. */
const avGop = (sourceMs: number, videoStartMs: number): Timed => ({ ...gop(sourceMs), videoStartMs, frameMs: FRAME_MS });
/** How far `ms` is from the nearest multiple of a frame interval (0 to half a frame). */
const offGrid = (ms: number) => Math.abs(ms - Math.round(ms / FRAME_MS) * FRAME_MS);
const T0 = 1_800_000_000_000;

/** Feeds GOPs arriving at `arrival(i)`; returns every start handed out, in order. */
function run(timeline: Timeline<Timed>, count: number, arrival: (i: number) => number, source = (i: number) => i * GOP_MS): number[] {
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(...timeline.add(gop(source(i)), arrival(i)).map((m) => m.startMs));
  starts.push(...timeline.flush().map((m) => m.startMs));
  return starts;
}

describe('relay timeline', () => {
  test('a start-up burst is held until a GOP arrives at its own pace, then all are mapped', () => {
    const timeline = new Timeline<Timed>();
    // Three GOPs at once (ffmpeg probing), then one a second later.
    assert.deepEqual(timeline.add(gop(0), T0 + 3000), []);
    assert.deepEqual(timeline.add(gop(1000), T0 + 3001), []);
    assert.deepEqual(timeline.add(gop(2000), T0 + 3002), []);
    const mapped = timeline.add(gop(3000), T0 + 4000);
    assert.deepEqual(mapped.map((m) => m.startMs), [T0, T0 + 1000, T0 + 2000, T0 + 3000]);
  });

  test('at most HOLD GOPs are held when none arrives at its pace', () => {
    const timeline = new Timeline<Timed>();
    const out = [];
    for (let i = 0; i < HOLD; i++) out.push(...timeline.add(gop(i * GOP_MS), T0 + i));
    assert.equal(out.length, HOLD);
  });

  test('live: arrival jitter does not move fragments; the source clock spaces them exactly', () => {
    const jitter = [0, 37, 4, 21, 45, 2, 30, 11, 0, 48, 19, 3, 27, 40, 6, 33, 1, 14, 44, 9];
    const starts = run(new Timeline<Timed>(), jitter.length, (i) => T0 + (i + 1) * GOP_MS + jitter[i]!);
    assert.equal(starts.length, jitter.length);
    for (let i = 1; i < starts.length; i++) assert.equal(starts[i]! - starts[i - 1]!, GOP_MS, `fragment ${i}`);
    // Anchored by the earliest arrivals: within the jitter of the wall clock.
    assert.ok(Math.abs(starts[0]! - T0) <= 50, `first start ${starts[0]! - T0} ms off`);
  });

  test('a camera clock running fast is pulled back within the dead band, never before the last frame', () => {
    // The camera's second lasts 998 ms of wall time: 2 ms ahead per GOP (0.2 %, a bad crystal times 40).
    const starts = run(new Timeline<Timed>(), 100, (i) => T0 + (i + 1) * 998);
    for (let i = 1; i < starts.length; i++) {
      const gap = starts[i]! - starts[i - 1]!;
      assert.ok(gap > GOP_MS - FRAME_MS, `fragment ${i} starts before fragment ${i - 1}'s last frame (gap ${gap})`);
    }
    for (const [i, start] of starts.entries()) {
      const wall = T0 + i * 998;
      assert.ok(start - wall <= DEAD_BAND_MS + 5, `fragment ${i}: ${start - wall} ms ahead of the wall clock`);
    }
    // Pulled back now and then, not at every fragment: most boundaries keep the source's spacing.
    const exact = starts.slice(1).filter((s, i) => s - starts[i]! === GOP_MS).length;
    assert.ok(exact >= starts.length * 0.6, `${exact} of ${starts.length - 1} boundaries kept the source's spacing`);
  });

  test('a camera clock running slow jumps forward once more than the dead band behind', () => {
    const starts = run(new Timeline<Timed>(), 100, (i) => T0 + (i + 1) * 1002);
    for (const [i, start] of starts.entries()) {
      const wall = T0 + i * 1002;
      // The wall clock's view is the smallest of the last 10 estimates: it lags a slow clock by 9 GOPs' drift.
      assert.ok(wall - start <= DEAD_BAND_MS + 20, `fragment ${i}: ${wall - start} ms behind the wall clock`);
    }
  });

  test("a run's last GOP arriving a frame early (a file's end) is not pulled back", () => {
    const timeline = new Timeline<Timed>();
    const starts = run(timeline, 10, (i) => T0 + (i + 1) * GOP_MS - (i === 9 ? FRAME_MS : 0));
    assert.equal(starts[9]! - starts[8]!, GOP_MS);
  });

  test('a new run starts after the previous fragment ends, whatever its clock says', () => {
    const timeline = new Timeline<Timed>();
    const first = run(timeline, 5, (i) => T0 + (i + 1) * GOP_MS);
    timeline.newRun();
    // The new connection's clock starts at 0 again and its first GOPs come in a burst.
    const second = run(timeline, 5, (i) => T0 + 5000 + (i === 0 ? 0 : (i + 1) * GOP_MS));
    assert.ok(second[0]! >= first.at(-1)! + GOP_MS, `new run at ${second[0]! - first.at(-1)!} ms after the last start`);
    for (let i = 1; i < second.length; i++) assert.ok(second[i]! > second[i - 1]!);
  });

  test('the GOPs a start-up burst releases keep the source spacing, though the burst GOP arrived late', () => {
    const timeline = new Timeline<Timed>();
    // GOP 0 comes out of the burst 60 ms late (its estimate is more than the dead band too large);
    // GOP 1 arrives at its pace and releases it. (A reconnect's numbers, where the second fragment
    // jumped 52 ms forward and the third was pulled back onto the second's last frame.)
    const arrivals = [T0 + GOP_MS + 60, T0 + 2 * GOP_MS, T0 + 3 * GOP_MS, T0 + 4 * GOP_MS];
    const starts = run(timeline, arrivals.length, (i) => arrivals[i]!);
    assert.equal(starts[0], T0);
    for (let i = 1; i < starts.length; i++) assert.equal(starts[i]! - starts[i - 1]!, GOP_MS, `fragment ${i}`);
  });

  test("a new run's video frames continue the previous run's frame grid, moved by at most half a frame", () => {
    const timeline = new Timeline<Timed>();
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push(...timeline.add(avGop(i * GOP_MS, 3), T0 + (i + 1) * GOP_MS).map((m) => m.startMs));
    first.push(...timeline.newRun().map((m) => m.startMs));
    const grid = first[0]! + 3;
    // The new connection's clock would put its first video frame half a frame off that grid:
    // millisecond frame times 66 or 67 ms apart then straddle a 15 fps player's ticks.
    const wall = T0 + 7000 + FRAME_MS / 2;
    const second: number[] = [];
    for (let i = 0; i < 4; i++) second.push(...timeline.add(avGop(i * GOP_MS, 19), wall - 19 + (i + 1) * GOP_MS).map((m) => m.startMs));
    second.push(...timeline.flush().map((m) => m.startMs));
    assert.equal(second.length, 4);
    for (const [i, start] of second.entries()) assert.ok(offGrid(start + 19 - grid) <= 1, `fragment ${i}: ${offGrid(start + 19 - grid).toFixed(1)} ms off the grid`);
    assert.ok(Math.abs(second[0]! + 19 - wall) <= FRAME_MS / 2 + 1, `moved ${second[0]! + 19 - wall} ms`);
    assert.ok(second[0]! >= first.at(-1)! + GOP_MS, 'the new run starts after the last one ends');
  });
});
