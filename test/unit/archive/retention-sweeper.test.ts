import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIVE_WINDOW_MS, retentionCutoffMs } from '../../../src/archive/retention-policy.js';
import { RetentionSweeper, type RetentionOptions } from '../../../src/archive/retention-sweeper.js';
import { streamIdOfFolder } from '../../../src/archive/storage-reclaim.js';
import type { FragmentRecord } from '../../../src/domain/fragment.js';
import { seriesOf } from '../../../src/ingest/group-commit.js';
import { FsBlobStore } from '../../../src/storage/fs/fs-blob-store.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';
import { createLogger } from '../../../src/util/logger.js';
import { patternBytes, readAll } from '../../contract/blob-store.contract.js';
import { newStream, sampleFragment, streamArn } from '../../contract/index-store.contract.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FRAGMENT_BYTES = 300;

/** A sweeper over real stores in a temporary folder, with a clock the test moves. */
async function withSweeper(
  run: (w: Harness) => Promise<void>,
  options: Partial<RetentionOptions> = { intervalMs: 3_600_000 },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-retention-'));
  const index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  // Four 300-byte fragments per segment: a segment fills at 1000 bytes.
  const blobs = await FsBlobStore.open(join(dir, 'blobs'), { segmentBytes: 1000 });
  const clock = { now: 1_700_000_000_000, nowMs: () => clock.now };
  const sweeper = new RetentionSweeper(index, blobs, clock, createLogger('silent'), options);
  const headerId = await index.putTrackHeader('sha256:h', Uint8Array.of(1, 2, 3));
  let seq = 0;
  const harness: Harness = {
    index, blobs, sweeper, clock,
    async createStream(name, retentionHours) {
      const created = await index.createStream(newStream(name, { arn: streamArn(name), dataRetentionInHours: retentionHours }), {});
      assert.ok(created);
      return created;
    },
    async append(streamId) {
      seq += 1;
      const bytes = patternBytes(FRAGMENT_BYTES, seq);
      const location = await blobs.append(seriesOf(streamId), [bytes]);
      const fragment = sampleFragment(streamId, headerId, seq, { location, size: bytes.length, serverTimestampMs: clock.now });
      return { fragment, bytes, commit: async () => assert.deepEqual(await index.commitFragments([fragment]), [true]) };
    },
    async ingest(streamId) {
      const appended = await harness.append(streamId);
      await appended.commit();
      return { fragment: appended.fragment, bytes: appended.bytes };
    },
    segments: async (streamId) => (await readdir(join(dir, 'blobs', 'streams', String(streamId))).catch(() => [])).sort(),
    seriesFolders: async () => (await readdir(join(dir, 'blobs', 'streams')).catch(() => [])).sort(),
  };
  try {
    await run(harness);
  } finally {
    await sweeper.stop();
    await Promise.all([index.close(), blobs.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

interface Ingested {
  fragment: FragmentRecord;
  bytes: Buffer;
}

interface Harness {
  index: SqliteIndexStore;
  blobs: FsBlobStore;
  sweeper: RetentionSweeper;
  clock: { now: number; nowMs(): number };
  createStream(name: string, retentionHours: number): Promise<{ streamId: number; version: string } & Parameters<RetentionSweeper['enforce']>[0]>;
  /** Appends a fragment's bytes at the clock's time, without indexing them yet. */
  append(streamId: number): Promise<Ingested & { commit(): Promise<void> }>;
  /** Appends and indexes a fragment at the clock's time, as the ingest does. */
  ingest(streamId: number): Promise<Ingested>;
  segments(streamId: number): Promise<string[]>;
  seriesFolders(): Promise<string[]>;
}

async function listed(h: Harness, streamId: number): Promise<string[]> {
  return (await h.index.listFragments(streamId, { limit: 1000 })).map((f) => f.fragmentNumber);
}

async function assertStoredBytes(h: Harness, kept: readonly Ingested[]): Promise<void> {
  for (const { fragment, bytes } of kept) {
    const { key, offset } = fragment.location;
    assert.deepEqual(await readAll(await h.blobs.get(key, { start: offset, end: offset + bytes.length })), bytes, fragment.fragmentNumber);
  }
}

const seg = (n: number) => `${String(n).padStart(10, '0')}.seg`;

test('retention cut-off: hours of retention back from now; retention 0 keeps the live window', () => {
  assert.equal(retentionCutoffMs(2, 10 * HOUR), 8 * HOUR);
  assert.equal(retentionCutoffMs(0, HOUR), HOUR - LIVE_WINDOW_MS);
  assert.equal(LIVE_WINDOW_MS, 5 * MINUTE);
  assert.equal(retentionCutoffMs(0, HOUR, 1000), HOUR - 1000);
});

test('series folders map back to their stream ids', () => {
  assert.equal(streamIdOfFolder(`${seriesOf(42)}/`), 42);
  for (const other of ['streams/', 'streams/x/', 'streams/1/2/', 'other/1/']) assert.equal(streamIdOfFolder(other), undefined, other);
});

test('a sweep expires fragments by server time and deletes a segment once every fragment in it expired', async () => {
  await withSweeper(async (h) => {
    const { streamId } = await h.createStream('cam', 1);
    const ingested: Ingested[] = [];
    for (let i = 0; i < 10; i++) {
      ingested.push(await h.ingest(streamId));
      h.clock.now += MINUTE;
    }
    assert.deepEqual(await h.segments(streamId), [seg(1), seg(2), seg(3)]);

    // Fragments 0..4 started more than an hour ago: segment 1 (0..3) goes, segment 2 (4..7) stays.
    h.clock.now = ingested[0]!.fragment.serverTimestampMs + HOUR + 4.5 * MINUTE;
    const report = await h.sweeper.sweep();
    assert.equal(report.expiredFragments, 5);
    assert.equal(report.deletedObjects, 1);
    assert.deepEqual(await listed(h, streamId), ingested.slice(5).map((f) => f.fragment.fragmentNumber));
    assert.deepEqual(await h.segments(streamId), [seg(2), seg(3)]);
    await assertStoredBytes(h, ingested.slice(5));

    // Everything expires: segment 2 goes, and so does segment 3, which the series was appending to.
    h.clock.now += HOUR;
    assert.equal((await h.sweeper.sweep()).expiredFragments, 5);
    assert.deepEqual(await h.segments(streamId), []);
    const next = await h.ingest(streamId);
    assert.equal(next.fragment.location.key, `streams/${streamId}/${seg(4)}`);
    await assertStoredBytes(h, [next]);
  });
});

test('retention 0 keeps the live window only', async () => {
  await withSweeper(async (h) => {
    const { streamId } = await h.createStream('live', 0);
    const first = await h.ingest(streamId);
    h.clock.now += LIVE_WINDOW_MS;
    await h.sweeper.sweep();
    assert.deepEqual(await listed(h, streamId), [first.fragment.fragmentNumber]);
    h.clock.now += 1;
    await h.sweeper.sweep();
    assert.deepEqual(await listed(h, streamId), []);
    assert.deepEqual(await h.segments(streamId), []);
  });
});

test('bytes appended but not indexed yet survive a sweep that expires everything indexed around them', async () => {
  await withSweeper(async (h) => {
    const { streamId } = await h.createStream('cam', 1);
    const old = await h.ingest(streamId);
    h.clock.now += 2 * HOUR;
    // Durable, not yet committed: what the group committer holds between append and commit.
    const inFlight = await h.append(streamId);
    assert.equal(inFlight.fragment.location.key, old.fragment.location.key);
    const report = await h.sweeper.sweep();
    assert.equal(report.expiredFragments, 1);
    assert.equal(report.deletedObjects, 0);
    assert.equal(report.keptObjects, 1);
    await inFlight.commit();
    await h.sweeper.sweep();
    assert.deepEqual(await listed(h, streamId), [inFlight.fragment.fragmentNumber]);
    await assertStoredBytes(h, [inFlight]);
    // Once that one expires too, the segment goes.
    h.clock.now += 2 * HOUR;
    await h.sweeper.sweep();
    assert.deepEqual(await h.segments(streamId), []);
  });
});

test('enforce expires at once and frees the storage in the background', async () => {
  await withSweeper(async (h) => {
    const stream = await h.createStream('cam', 48);
    // Four fragments fill segment 1; the fresh ones go to segment 2.
    const old = [];
    for (let i = 0; i < 4; i++) old.push(await h.ingest(stream.streamId));
    h.clock.now += 5 * HOUR;
    const fresh = [await h.ingest(stream.streamId), await h.ingest(stream.streamId)];
    const decreased = await h.index.updateStream(stream.streamId, stream.version, { version: 'v2', dataRetentionInHours: 2 });
    assert.ok(decreased);
    assert.equal(await h.sweeper.enforce(decreased), 4);
    assert.deepEqual(await listed(h, stream.streamId), fresh.map((f) => f.fragment.fragmentNumber));
    // No sweep: the reclaim enforce queued frees segment 1 on its own.
    for (let waited = 0; (await h.segments(stream.streamId)).length > 1; waited += 10) {
      assert.ok(waited < 5000, 'segment 1 still there after 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(await h.segments(stream.streamId), [seg(2)]);
    await assertStoredBytes(h, fresh);
    assert.ok(old.every((f) => f.fragment.location.key === `streams/${stream.streamId}/${seg(1)}`));
  });
});

test('a deleted stream\'s series goes whole, and so does one a late append recreated', async () => {
  await withSweeper(async (h) => {
    const doomed = await h.createStream('doomed', 24);
    const kept = await h.createStream('kept', 24);
    for (let i = 0; i < 6; i++) await h.ingest(doomed.streamId);
    const survivor = await h.ingest(kept.streamId);
    assert.equal(await h.index.deleteStream(doomed.streamId, doomed.version), true);
    h.sweeper.streamDeleted(doomed.streamId);
    await h.sweeper.sweep();
    assert.deepEqual(await h.seriesFolders(), [String(kept.streamId)]);

    // An append that was in flight when the stream went: its commit is refused, its bytes linger.
    const late = await h.append(doomed.streamId);
    assert.deepEqual(await h.index.commitFragments([late.fragment]), [false]);
    assert.deepEqual(await h.seriesFolders(), [String(doomed.streamId), String(kept.streamId)].sort());
    const report = await h.sweeper.sweep();
    assert.equal(report.deletedSeries, 1);
    assert.deepEqual(await h.seriesFolders(), [String(kept.streamId)]);
    await assertStoredBytes(h, [survivor]);
  });
});

test('large expiries go in batches, and a sweep reaches every stream', async () => {
  await withSweeper(
    async (h) => {
      const streams = [];
      for (let i = 0; i < 3; i++) streams.push(await h.createStream(`s${i}`, 1));
      for (let i = 0; i < 25; i++) for (const s of streams) await h.ingest(s.streamId);
      h.clock.now += 2 * HOUR;
      const report = await h.sweeper.sweep();
      assert.deepEqual({ streams: report.streams, expired: report.expiredFragments }, { streams: 3, expired: 75 });
      for (const s of streams) assert.deepEqual(await h.segments(s.streamId), []);
    },
    { intervalMs: 3_600_000, deleteBatch: 4 },
  );
});

test('a sweep lets the event loop run between streams', async () => {
  await withSweeper(async (h) => {
    for (let i = 0; i < 20; i++) await h.ingest((await h.createStream(`s${i}`, 1)).streamId);
    h.clock.now += 2 * HOUR;
    // Counts turns of the event loop (its check phase) and notes the turn of each stream's expiry.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const expiredAtTurn: number[] = [];
    const deleteFragmentsBefore = h.index.deleteFragmentsBefore.bind(h.index);
    h.index.deleteFragmentsBefore = (...args) => {
      expiredAtTurn.push(turns);
      return deleteFragmentsBefore(...args);
    };
    const report = await h.sweeper.sweep();
    counting = false;
    assert.equal(report.expiredFragments, 20);
    const sameTurn = expiredAtTurn.filter((turn, i) => i > 0 && turn === expiredAtTurn[i - 1]).length;
    assert.equal(sameTurn, 0, `expiries in one event-loop turn: ${JSON.stringify(expiredAtTurn)}`);
  });
});

test('the timer sweeps on its own; after stop nothing runs any more', async () => {
  await withSweeper(
    async (h) => {
      const { streamId } = await h.createStream('cam', 1);
      await h.ingest(streamId);
      h.clock.now += 2 * HOUR;
      h.sweeper.start();
      for (let waited = 0; (await listed(h, streamId)).length > 0; waited += 10) {
        assert.ok(waited < 5000, 'no sweep within 5 s at a 10 ms interval');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await h.sweeper.stop();
      const calls = { count: 0 };
      const original = h.index.listStreams.bind(h.index);
      h.index.listStreams = async (query) => {
        calls.count += 1;
        return original(query);
      };
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(calls.count, 0);
      await assert.rejects(h.sweeper.sweep(), /stopped/);
    },
    { intervalMs: 10 },
  );
});

test('options must be positive integers', () => {
  const index = {} as SqliteIndexStore;
  const blobs = {} as FsBlobStore;
  const clock = { nowMs: () => 0 };
  for (const options of [{ intervalMs: 0 }, { liveWindowMs: -1 }, { deleteBatch: 1.5 }]) {
    assert.throws(() => new RetentionSweeper(index, blobs, clock, createLogger('silent'), options), RangeError);
  }
});
