import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/**
 * Runs write transactions that are durable when their promise resolves, without holding the
 * event loop for the disk.
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
export class WalSyncedCommits {
  /**
   * The WAL, kept open: SQLite deletes it only when the last connection closes, and this one
   * stays open until `close`; checkpoints rewind it in place. Opening it for every commit put one
   * more trip through the thread pool (an event-loop turn under load) before each PERSISTED.
   */
  private wal: Promise<FileHandle> | undefined;

  constructor(private readonly db: Database.Database) {}

  async commit<T>(write: () => T): Promise<T> {
    this.db.pragma('synchronous = NORMAL');
    let result: T;
    try {
      result = this.db.transaction(write).immediate();
    } finally {
      // Every other write of this connection keeps FULL's synchronous commit.
      this.db.pragma('synchronous = FULL');
    }
    // Opened after the first commit, which is what creates the file.
    this.wal ??= open(`${resolve(this.db.name)}-wal`, 'r');
    const wal = this.wal;
    try {
      await (await wal).datasync();
    } catch (err) {
      // Opened afresh by the next commit; a handle whose sync failed is not trusted again.
      if (this.wal === wal) void this.close();
      throw err;
    }
    return result;
  }

  /** Closes the WAL handle; call before closing the database, whose close may delete the file. */
  async close(): Promise<void> {
    const wal = this.wal;
    this.wal = undefined;
    await (await wal?.catch(() => undefined))?.close();
  }
}
