import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IndexStore } from '../../src/storage/index-store.js';
import { SqliteIndexStore } from '../../src/storage/sqlite/sqlite-index-store.js';
import { formatFragmentNumber } from '../../src/domain/fragment.js';
import { indexStoreContract, newStream } from './index-store.contract.js';

indexStoreContract('SqliteIndexStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-sqlite-'));
  const path = join(dir, 'nested', 'index.sqlite');
  let current: IndexStore = SqliteIndexStore.open(path);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = SqliteIndexStore.open(path);
      return current;
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('SqliteIndexStore keeps the database in WAL mode and commits before resolving', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-sqlite-'));
  const path = join(dir, 'index.sqlite');
  const store = SqliteIndexStore.open(path);
  try {
    const created = await store.createStream(newStream('seen-by-others'), { k: 'v' });
    // A second connection sees the row without the first closing: the write was committed.
    const other = new Database(path, { readonly: true });
    try {
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(other.prepare('SELECT stream_id, name FROM streams').all(), [
        { stream_id: created?.streamId, name: 'seen-by-others' },
      ]);
    } finally {
      other.close();
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('SqliteIndexStore: once fragments are committed, a worker thread checkpoints the WAL, long before SQLite would on its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-sqlite-'));
  const path = join(dir, 'index.sqlite');
  const store = SqliteIndexStore.open(path);
  try {
    const stream = (await store.createStream(newStream('checkpointed'), {}))!;
    const headerId = await store.putTrackHeader('c', Uint8Array.of(1));
    const sizeBefore = (await stat(path)).size;
    // ~50 pages of rows: far below the 1000 pages at which SQLite would checkpoint on its own.
    await store.commitFragments(
      Array.from({ length: 40 }, (_, i) => ({
        streamId: stream.streamId, fragmentNumber: formatFragmentNumber(BigInt(i + 1)), clusterTimecode: i,
        producerTimestampMs: i, serverTimestampMs: i, durationMs: 1, size: 1, headerId,
        location: { key: 'streams/1/0000000001.seg', offset: i }, frameIndex: new Uint8Array(4000), tags: [],
      })),
    );
    // Only a checkpoint copies pages from the WAL into the database file.
    const deadline = Date.now() + 15_000;
    while ((await stat(path)).size <= sizeBefore) {
      assert.ok(Date.now() < deadline, 'the database file grew: the WAL was checkpointed');
      await new Promise((r) => setTimeout(r, 50));
    }
    const other = new Database(path, { readonly: true });
    try {
      assert.equal((other.prepare('SELECT count(*) AS n FROM fragments').get() as { n: number }).n, 40);
    } finally {
      other.close();
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('SqliteIndexStore summaries: the span path (narrow ranges) and the walk (wide ones) list what listFragments lists', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-sqlite-'));
  // A cap of 3 fragments: ranges of up to 3 take the span path, wider ones the walk.
  const store = SqliteIndexStore.open(join(dir, 'index.sqlite'), { spanLookupMax: 3 });
  try {
    const stream = (await store.createStream(newStream('spans'), {}))!;
    const headerId = await store.putTrackHeader('h', Uint8Array.of(1));
    // Producer times out of number order (a re-upload of older footage in the middle).
    const producerMs = [10, 20, 30, 5, 6, 7, 40, 50, 60, 70, 15, 80];
    await store.commitFragments(
      producerMs.map((ms, i) => ({
        streamId: stream.streamId, fragmentNumber: formatFragmentNumber(BigInt(i + 1)), clusterTimecode: 0,
        producerTimestampMs: ms, serverTimestampMs: 1000 + i, durationMs: 1, size: 1, headerId,
        location: { key: 'streams/1/0000000001.seg', offset: 0 }, frameIndex: new Uint8Array(0), tags: [],
      })),
    );
    const numbers = (list: { fragmentNumber: string }[]) => list.map((f) => Number(f.fragmentNumber.slice(1)));
    for (const [startMs, endMs] of [[5, 7], [6, 16], [15, 30], [0, 100], [41, 69], [81, 90], [50, 80]]) {
      const range = { by: 'producer' as const, startMs: startMs!, endMs: endMs! };
      for (const [limit, afterNumber] of [[100, undefined], [1, undefined], [2, formatFragmentNumber(3n)], [2, formatFragmentNumber(9n)]] as const) {
        const query = { range, limit, afterNumber };
        const expected = numbers(await store.listFragments(stream.streamId, query));
        assert.deepEqual(numbers(await store.listFragmentSummaries(stream.streamId, query)), expected, JSON.stringify(query));
      }
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
