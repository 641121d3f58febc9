import type { Worker } from 'node:cluster';
import type { IdleTimings } from '../ingest/ingest-service.js';
import type { ServerOptions } from '../config.js';
import type { WireMessage, MessageEnd } from './rpc.js';

/** What the primary sends a worker to start it: plain values only, they cross the IPC channel. */
export interface WorkerStart {
  readonly options: ServerOptions;
  /** Which of the N workers this is (0..N-1), kept by a respawned worker: it names the segment series it appends to. */
  readonly slot: number;
  /** `storage-process`: the embedded backend, written by the primary only; `node`: each worker opens the shared backend (PostgreSQL + S3) as a cluster node. */
  readonly mode: 'storage-process' | 'node';
  readonly putMediaIdle?: IdleTimings;
  readonly putMediaThrottleTimeoutMs?: number;
  readonly metricsMaxStreams?: number;
  readonly consoleDir?: string;
}

/** What `serve --relays` shows, pushed to the workers, which answer ListRelays. */
export interface RelayStatusNote {
  readonly relays: unknown[];
}

/** `ready`: the worker listens for its `start` (an ES module's listener comes late, and a message that comes first is lost). */
export const NOTE = { ready: 'ready', start: 'start', listening: 'listening', failed: 'failed', relays: 'relays' } as const;

/** The primary's end of a worker's channel; sends to a worker already gone are dropped (its exit is handled on its own). */
export function workerEnd(worker: Worker): MessageEnd {
  return {
    send: (message) => {
      if (worker.isConnected()) worker.send(message);
    },
    onMessage: (listener) => worker.on('message', (message: WireMessage) => listener(message)),
  };
}

/** A worker's end of its channel to the primary. */
export function primaryEnd(): MessageEnd {
  return {
    send: (message) => {
      if (process.connected) process.send!(message);
    },
    onMessage: (listener) => process.on('message', (message: WireMessage) => listener(message)),
  };
}
