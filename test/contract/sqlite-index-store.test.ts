import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IndexStore } from '../../src/storage/index-store.js';
import { SqliteIndexStore } from '../../src/storage/sqlite/sqlite-index-store.js';
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
