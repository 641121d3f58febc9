/** Capped exponential backoff with full jitter (src/relay/backoff.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, sleep } from '../../../src/relay/backoff.js';

describe('relay backoff', () => {
  test('the cap doubles per attempt up to the maximum; reset starts again', () => {
    const top = new Backoff(500, 4000, () => 1);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => top.next()), [500, 1000, 2000, 4000, 4000, 4000]);
    top.reset();
    assert.equal(top.next(), 500);
  });

  test('full jitter, but never below a tenth of the cap (a retry never spins)', () => {
    const low = new Backoff(1000, 30_000, () => 0);
    assert.deepEqual([low.next(), low.next(), low.next()], [100, 200, 400]);
    const mid = new Backoff(1000, 30_000, () => 0.5);
    assert.equal(mid.next(), 550);
  });

  test('many relays that failed together spread out', () => {
    const delays = Array.from({ length: 50 }, () => new Backoff(1000, 30_000).next());
    assert.ok(new Set(delays).size > 25, `${new Set(delays).size} distinct delays of 50`);
    assert.ok(delays.every((d) => d >= 100 && d <= 1000));
  });

  test('sleep ends early on abort, at once when already aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await waiting;
    await sleep(60_000, abort.signal);
    assert.ok(Date.now() - started < 5000);
  });
});
