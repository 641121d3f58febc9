import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs in a worker thread (wal-checkpointer.ts): its own connection to the index, which copies
 * the WAL back into the database file every `intervalMs` (a PASSIVE checkpoint: it waits for no
 * reader or writer) and fsyncs it, away from the event loop.
 */
const { path, intervalMs, busyTimeoutMs } = workerData as { path: string; intervalMs: number; busyTimeoutMs: number };
const db = new Database(path);
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
// The database file is fsynced after each checkpoint, before the WAL may be rewound.
db.pragma('synchronous = FULL');
// This connection never writes; it checkpoints only when told to.
db.pragma('wal_autocheckpoint = 0');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // SQLITE_BUSY and the like: the next round tries again; anything else ends the worker,
    // and the index's connection checkpoints on its own again (wal-checkpointer.ts).
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
  }
}, intervalMs);

parentPort!.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
