import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { commitWithWalSync } from '../../../src/storage/sqlite/wal-sync.js';

async function withWalDatabase(fn: (db: Database.Database, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'openkvs-wal-sync-'));
  const file = path.join(dir, 'index.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL UNIQUE)');
    await fn(db, file);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('commits, returns what the transaction returns, and leaves the connection on synchronous = FULL', async () => {
  await withWalDatabase(async (db, file) => {
    const result = await commitWithWalSync(db, () => db.prepare('INSERT INTO t (v) VALUES (?), (?)').run(1, 2).changes);
    assert.equal(result, 2);
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again for every other write');
    // A second connection sees the commit: it is in the WAL, not only in this connection's cache.
    const reader = new Database(file, { readonly: true });
    try {
      assert.deepEqual(reader.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 2]);
    } finally {
      reader.close();
    }
  });
});

test('a failing transaction rolls back, rejects, and still restores synchronous = FULL', async () => {
  await withWalDatabase(async (db) => {
    await assert.rejects(
      commitWithWalSync(db, () => {
        db.prepare('INSERT INTO t (v) VALUES (?)').run(7);
        db.prepare('INSERT INTO t (v) VALUES (?)').run(7);
      }),
      /UNIQUE/,
    );
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 0, 'nothing of the failed transaction remains');
  });
});

test('commits run one after another while earlier WAL syncs are still in flight', async () => {
  await withWalDatabase(async (db) => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    await Promise.all(Array.from({ length: 20 }, (_, i) => commitWithWalSync(db, () => insert.run(i))));
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 20);
  });
});
