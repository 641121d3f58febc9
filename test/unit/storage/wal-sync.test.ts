import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { WalSyncedCommits } from '../../../src/storage/sqlite/wal-sync.js';

async function withWalDatabase(fn: (db: Database.Database, file: string, commits: WalSyncedCommits) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'openkvs-wal-sync-'));
  const file = path.join(dir, 'index.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL UNIQUE)');
    const commits = new WalSyncedCommits(db);
    try {
      await fn(db, file, commits);
    } finally {
      await commits.close();
    }
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('commits, returns what the transaction returns, and leaves the connection on synchronous = FULL', async () => {
  await withWalDatabase(async (db, file, commits) => {
    const result = await commits.commit(() => db.prepare('INSERT INTO t (v) VALUES (?), (?)').run(1, 2).changes);
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
  await withWalDatabase(async (db, _file, commits) => {
    await assert.rejects(
      commits.commit(() => {
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
  await withWalDatabase(async (db, _file, commits) => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    await Promise.all(Array.from({ length: 20 }, (_, i) => commits.commit(() => insert.run(i))));
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 20);
  });
});

/** This process's open descriptors that name `file` (a deleted file's name ends in " (deleted)"). */
function openDescriptorsOf(file: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed since the listing
    }
  });
}

test('keeps one handle on the WAL, and it stays the file SQLite writes across checkpoints', async () => {
  await withWalDatabase(async (db, file, commits) => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const wal = `${file}-wal`;
    let v = 0;
    for (const mode of ['PASSIVE', 'RESTART', 'TRUNCATE']) {
      for (let i = 0; i < 5; i++) await commits.commit(() => insert.run(v++));
      db.pragma(`wal_checkpoint(${mode})`);
      await commits.commit(() => insert.run(v++));
      // Our own connection holds the WAL open too, so count the descriptors against that baseline.
      assert.equal(openDescriptorsOf(wal).length, 2, `after a ${mode} checkpoint: SQLite's descriptor and ours, both on the live file`);
    }
    assert.equal(openDescriptorsOf(`${wal} (deleted)`).length, 0, 'no handle on a deleted WAL');
    await commits.close();
    assert.equal(openDescriptorsOf(wal).length, 1, 'close releases ours');
  });
});
