import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playlistWindow } from '../../../src/playback/playlist-window.js';
import type { HlsSession } from '../../../src/playback/session.js';
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
const session = (s: Partial<HlsSession>): HlsSession => ({
  protocol: 'HLS',
  sessionId: '0123456789abcdef',
  streamId,
  streamName: 'playlist',
  playbackMode: 'ON_DEMAND',
  fragmentSelectorType: 'PRODUCER_TIMESTAMP',
  startTimestampMs: undefined,
  endTimestampMs: undefined,
  displayFragmentTimestamp: 'NEVER',
  maxFragmentResults: 1000,
  createdAtMs: T0 + 60_000,
  expiresAtMs: T0 + 360_000,
  anchorMs: T0,
  containerFormat: 'FRAGMENTED_MP4',
  discontinuityMode: 'NEVER',
  ...s,
});

describe('playlistWindow', () => {
  test('ON_DEMAND: the oldest N in range, duplicates of a producer time keep the largest number', async () => {
    const w = await playlistWindow(store, session({ startTimestampMs: T0 + 2000, endTimestampMs: T0 + 10_000, maxFragmentResults: 4 }), T0);
    assert.deepEqual(seqs(w), [2, 3, 11, 5]);
    assert.equal(w.complete, true);
    assert.equal(w.firstSequence, 0);
  });

  test('ON_DEMAND by server time keeps both duplicates', async () => {
    const w = await playlistWindow(store, session({ fragmentSelectorType: 'SERVER_TIMESTAMP', startTimestampMs: T0, endTimestampMs: T0 + 7000 }), T0);
    assert.deepEqual(seqs(w), [1, 2, 3, 4, 11]);
  });

  test('LIVE: the newest N, with a media sequence counted from the anchor', async () => {
    const w = await playlistWindow(store, session({ playbackMode: 'LIVE', fragmentSelectorType: 'SERVER_TIMESTAMP', maxFragmentResults: 3 }), T0 + 99_000);
    assert.deepEqual(seqs(w), [8, 9, 10]);
    assert.equal(w.firstSequence, 8); // 1, 2, 3, 4, 11, 5, 6, 7 come first by server time
    assert.equal(w.complete, false);
  });

  test('LIVE_REPLAY: one more fragment per elapsed fragment duration, complete at the end', async () => {
    const base = session({ playbackMode: 'LIVE_REPLAY', startTimestampMs: T0 + 4000, anchorMs: T0 + 4000, maxFragmentResults: 2, createdAtMs: T0 + 50_000 });
    assert.deepEqual(seqs(await playlistWindow(store, base, T0 + 50_000)), [3]);
    const middle = await playlistWindow(store, base, T0 + 52_500);
    assert.deepEqual(seqs(middle), [3, 11]);
    assert.equal(middle.firstSequence, 0);
    const later = await playlistWindow(store, base, T0 + 54_500);
    assert.deepEqual(seqs(later), [11, 5]);
    // 11 is second in the session whichever reload lists it first: the hidden duplicate 4 takes no number.
    assert.equal(later.firstSequence, 1);
    const bounded = await playlistWindow(store, { ...base, endTimestampMs: T0 + 8000 }, T0 + 90_000);
    assert.deepEqual(seqs(bounded), [11, 5]);
    assert.equal(bounded.complete, true);
  });

  test('LIVE_REPLAY skips a gap and paces a faster-than-real-time upload: one fragment per elapsed duration', async () => {
    const stream = await store.createStream(newStream('replay-gaps'), {});
    const id = stream!.streamId;
    const headerId = await store.putTrackHeader('g', Uint8Array.of(2));
    // Producer times 0, 2 s, then a camera offline for 10 minutes, then 602 s; server times 5 ms apart (one fast upload).
    const producer = [0, 2000, 600_000, 602_000];
    await store.commitFragments(producer.map((ms, i) => sampleFragment(id, headerId, 100 + i, { producerTimestampMs: T0 + ms, serverTimestampMs: T0 + 700_000 + i * 5, durationMs: 2000 })));
    for (const [selector, anchorMs] of [['PRODUCER_TIMESTAMP', T0], ['SERVER_TIMESTAMP', T0 + 700_000]] as const) {
      const replay = session({ streamId: id, playbackMode: 'LIVE_REPLAY', fragmentSelectorType: selector, startTimestampMs: anchorMs, endTimestampMs: anchorMs + 650_000, anchorMs, maxFragmentResults: 10, createdAtMs: T0 + 800_000 });
      const listed = async (elapsedMs: number) => seqs(await playlistWindow(store, { ...replay, streamId: id }, T0 + 800_000 + elapsedMs));
      assert.deepEqual(await listed(0), [100], selector);
      assert.deepEqual(await listed(1999), [100], selector);
      assert.deepEqual(await listed(2000), [100, 101], selector);
      assert.deepEqual(await listed(4000), [100, 101, 102], `${selector}: the 10-minute gap is skipped`);
      const end = await playlistWindow(store, replay, T0 + 800_000 + 8000);
      assert.deepEqual(seqs(end), [100, 101, 102, 103]);
      assert.equal(end.complete, true, selector);
    }
  });
});
