/**
 * A still worker thread: runs one StillJob at a time for the pool (still-pool.ts). It lowers its
 * own scheduling priority first: on Linux setpriority(PRIO_PROCESS, 0) applies to the calling
 * thread only, so decoding yields the CPU to the event loop and to libuv's pool, and PutMedia
 * acks keep their latency while GetImages runs.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { runStillJob } from './still-codec.js';
import type { StillJob } from './still-job.js';

const NICE = 10;

try {
  setPriority(0, NICE);
} catch {
  // Not permitted or not supported: the bound on workers still holds.
}

parentPort!.on('message', (message: { id: number; job: StillJob }) => {
  try {
    const result = runStillJob(message.job);
    const transfer = result.images.flatMap((image) => (image ? [image.buffer as ArrayBuffer] : []));
    parentPort!.postMessage({ id: message.id, result }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
