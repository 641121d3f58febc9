import type Database from 'better-sqlite3';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints: a few MB of WAL at 1000 cameras. */
const CHECKPOINT_INTERVAL_MS = 500;
/** SQLite's own default: checkpoint once the WAL holds this many pages. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Moves the WAL checkpoints of an index database off the event loop. SQLite checkpoints on its
 * own inside the commit that grows the WAL past 1000 pages: the commit then copies the pages into
 * the database file and fsyncs both files, on the calling thread. At the ingest's rate that was a
 * 17–60 ms stall of every session every few seconds (p99 of a commit's synchronous part 17–33 ms
 * with it, 4–5 ms without, in a 1500-batch run), and half the commits' event-loop time.
 *
 * Started on the first fragment commit (a store that only reads never starts a thread): the
 * connection stops checkpointing (`wal_autocheckpoint = 0`) and a worker thread with a connection
 * of its own checkpoints every CHECKPOINT_INTERVAL_MS. Should the worker fail, the connection
 * checkpoints on its own again, so the WAL never grows without bound.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(
    private readonly db: Database.Database,
    busyTimeoutMs: number,
  ) {
    this.worker = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), {
      workerData: { path: db.name, intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs },
    });
    this.worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    const fallBack = () => {
      if (!this.stopped && db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    };
    this.worker.on('error', fallBack);
    this.worker.on('exit', fallBack);
  }

  /** Stops the worker and gives checkpointing back to the connection (which checkpoints as it closes). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = once(this.worker, 'exit').catch(() => undefined);
    // Unreferenced, the worker would not keep the process alive until it has exited.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }
}
