import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDiscontinuity, playlistWindow, type PlaylistSession } from '../../../src/playback/playlist-window.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';
import { newStream, sampleFragment } from '../../contract/index-store.contract.js';

// Ten 2-s fragments, producer times 0, 2000, ... 18000; fragment 4 re-sent as 11 with the same time.
const T0 = 1_700_000_000_000;
let dir: string;
let store: SqliteIndexStore;
let streamId: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openkvs-playlist-'));
  store = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  const stream = await store.createStream(newStream('playlist'), {});
  streamId = stream!.streamId;
  const headerId = await store.putTrackHeader('h', Uint8Array.of(1));
  const at = (seq: number, i: number) =>
    sampleFragment(streamId, headerId, seq, { producerTimestampMs: T0 + i * 2000, serverTimestampMs: T0 + i * 2000 + 100, durationMs: 2000 });
  await store.commitFragments([...Array.from({ length: 10 }, (_, i) => at(i + 1, i)), at(11, 3)]);
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const seqs = (w: { fragments: readonly { fragmentNumber: string }[] }) => w.fragments.map((f) => Number(f.fragmentNumber.slice(1)));
const session = (s: Partial<PlaylistSession>): PlaylistSession => ({
  streamId,
  mode: 'ON_DEMAND',
  by: 'producer',
  maxFragments: 1000,
  createdMs: T0 + 60_000,
  anchorMs: T0,
  ...s,
});

describe('playlistWindow', () => {
  test('ON_DEMAND: the oldest N in range, duplicates of a producer time keep the largest number', async () => {
    const w = await playlistWindow(store, session({ startMs: T0 + 2000, endMs: T0 + 10_000, maxFragments: 4 }), T0);
    assert.deepEqual(seqs(w), [2, 3, 11, 5]);
    assert.equal(w.complete, true);
    assert.equal(w.firstSequence, 0);
  });

  test('ON_DEMAND by server time keeps both duplicates', async () => {
    const w = await playlistWindow(store, session({ by: 'server', startMs: T0, endMs: T0 + 7000 }), T0);
    assert.deepEqual(seqs(w), [1, 2, 3, 4, 11]);
  });

  test('LIVE: the newest N, with a media sequence counted from the anchor', async () => {
    const w = await playlistWindow(store, session({ mode: 'LIVE', by: 'server', maxFragments: 3 }), T0 + 99_000);
    assert.deepEqual(seqs(w), [8, 9, 10]);
    assert.equal(w.firstSequence, 8); // 1, 2, 3, 4, 11, 5, 6, 7 come first by server time
    assert.equal(w.complete, false);
  });

  test('LIVE_REPLAY: one more fragment per elapsed fragment duration, complete at the end', async () => {
    const base = session({ mode: 'LIVE_REPLAY', startMs: T0 + 4000, anchorMs: T0 + 4000, maxFragments: 2, createdMs: T0 + 50_000 });
    assert.deepEqual(seqs(await playlistWindow(store, base, T0 + 50_000)), [3]);
    const later = await playlistWindow(store, base, T0 + 54_500);
    assert.deepEqual(seqs(later), [11, 5]);
    // 3 and the hidden duplicate 4 come before 11: numbers stay stable from one reload to the next.
    assert.equal(later.firstSequence, 2);
    const bounded = await playlistWindow(store, { ...base, endMs: T0 + 8000 }, T0 + 90_000);
    assert.deepEqual(seqs(bounded), [11, 5]);
    assert.equal(bounded.complete, true);
  });
});

test('isDiscontinuity: ALWAYS, NEVER, and gaps or overlaps over 50 ms', () => {
  const f = (ms: number, durationMs = 2000) => ({ ...sampleFragment(1, 1, 1), producerTimestampMs: ms, durationMs });
  assert.equal(isDiscontinuity('ALWAYS', undefined, f(0), 'producer'), true);
  assert.equal(isDiscontinuity('NEVER', f(0), f(9000), 'producer'), false);
  assert.equal(isDiscontinuity('ON_DISCONTINUITY', undefined, f(0), 'producer'), false);
  assert.equal(isDiscontinuity('ON_DISCONTINUITY', f(0), f(2050), 'producer'), false);
  assert.equal(isDiscontinuity('ON_DISCONTINUITY', f(0), f(2051), 'producer'), true);
  assert.equal(isDiscontinuity('ON_DISCONTINUITY', f(0), f(1900), 'producer'), true);
});
