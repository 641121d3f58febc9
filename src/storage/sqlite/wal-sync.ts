import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/**
 * Runs `write` in one immediate transaction that is durable when the promise resolves, without
 * holding the event loop for the disk.
 *
 * With `synchronous = FULL` in WAL mode, SQLite's commit is a write to the WAL followed by an
 * fsync of it, and better-sqlite3 runs both on the calling (event-loop) thread: every other
 * PutMedia session stalls for the length of that fsync. Here the commit runs with
 * `synchronous = NORMAL` (the same WAL write, no fsync), and the WAL is then fdatasynced on
 * libuv's thread pool. Once that resolves, every frame of the commit is on stable storage — the
 * same durability as FULL, which is all FULL adds in WAL mode (https://sqlite.org/pragma.html#pragma_synchronous).
 * Consistency on a crash in between is NORMAL's: the commit is either whole or absent, and its
 * caller has not been told it is durable.
 */
export async function commitWithWalSync<T>(db: Database.Database, write: () => T): Promise<T> {
  db.pragma('synchronous = NORMAL');
  let result: T;
  try {
    result = db.transaction(write).immediate();
  } finally {
    // Every other write of this connection keeps FULL's synchronous commit.
    db.pragma('synchronous = FULL');
  }
  await syncWal(db);
  return result;
}

/** fdatasync of the WAL file, opened afresh so that it is always the file SQLite writes now. */
async function syncWal(db: Database.Database): Promise<void> {
  let wal;
  try {
    wal = await open(`${resolve(db.name)}-wal`, 'r');
  } catch (err) {
    // Only closing the last connection removes the WAL, after checkpointing it into the synced database file.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !db.open) return;
    throw err;
  }
  try {
    await wal.datasync();
  } finally {
    // Closing is not part of durability: the commit's caller need not wait for it.
    wal.close().catch(() => undefined);
  }
}
