/**
 * A fixed set of worker threads that decode and encode stills, one job each at a time, the rest
 * queued: GetImages never decodes on the event loop, and however many calls arrive, at most
 * `size` GOPs are being decoded (each holding one decoder and one GOP's packets). Workers start
 * on the first job and are unref'd, so an idle pool keeps no process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StillJob, StillResult } from './still-job.js';

/** Workers by default at most: a GetImages page has at most 25 samples, rarely more GOPs than that. */
export const MAX_POOL_SIZE = 4;

interface Pending {
  readonly job: StillJob;
  readonly resolve: (result: StillResult) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: { id: number; pending: Pending } | undefined;
}

export class StillPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = defaultPoolSize()) {}

  run(job: StillJob): Promise<StillResult> {
    if (this.closed) return Promise.reject(new Error('the still pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the still pool closed'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.busy) ?? this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = { id, pending };
      slot.worker.ref();
      slot.worker.postMessage({ id, job: pending.job }, [pending.job.payload.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const worker = new Worker(new URL('./still-worker.js', import.meta.url));
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (message: { id: number; result?: StillResult; error?: string }) => this.finish(slot, message));
    worker.on('error', (err) => this.fail(slot, err));
    worker.on('exit', () => this.fail(slot, new Error('still worker exited')));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot, message: { id: number; result?: StillResult; error?: string }): void {
    const busy = slot.busy;
    if (!busy || busy.id !== message.id) return;
    slot.busy = undefined;
    slot.worker.unref();
    if (message.result) busy.pending.resolve(message.result);
    else busy.pending.reject(new Error(message.error ?? 'still job failed'));
    this.dispatch();
  }

  /** A crashed worker fails its job only; a new one replaces it for the queue. */
  private fail(slot: Slot, err: Error): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    slot.busy?.pending.reject(err);
    slot.busy = undefined;
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}

/**
 * One worker per core, at most MAX_POOL_SIZE: the workers run niced (still-worker.ts), so using
 * every core for stills costs the ingest nothing it would otherwise have had.
 */
export function defaultPoolSize(): number {
  const fromEnv = Number(process.env['OPENKVS_STILL_WORKERS']);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return Math.min(fromEnv, 64);
  return Math.max(1, Math.min(MAX_POOL_SIZE, availableParallelism()));
}
