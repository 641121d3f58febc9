import { setTimeout as sleep } from 'node:timers/promises';
import type { AckEvent } from '../../src/client/acks.js';
import { PutMediaHttpError } from '../../src/client/errors.js';
import { putMedia } from '../../src/client/put-media.js';
import { cluster, prng, randInt, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

/**
 * A real-time camera for the cluster tests: PutMedia through the project's client, one known-size
 * Cluster (one fragment) every `clusterMs` with ABSOLUTE timecodes taken from the wall clock, and,
 * like Amazon's producers, a new session shortly after one ends (an ERROR ack, a refused request, a
 * node that went away) until stop(). It keeps every Cluster it sent by timecode, so stored fragments
 * can be compared with the bytes that went out, and every ack with the time it arrived.
 */
export interface CameraAck {
  readonly ack: AckEvent;
  /** Date.now() when it arrived. */
  readonly atMs: number;
  /** Which session (0, 1, ...) it came on. */
  readonly session: number;
}

export interface CameraOptions {
  readonly clusterMs?: number;
  readonly frameMs?: number;
  readonly seed?: number;
  /** Pause between a session's end and the next attempt. */
  readonly retryMs?: number;
}

export class LiveCamera {
  readonly acks: CameraAck[] = [];
  /** Sessions refused before any ack (HTTP status and AWS error name), and connections that failed. */
  readonly refusals: { status: number; errorType: string; atMs: number }[] = [];
  /** Every Cluster sent, by its timecode (= the FragmentTimecode of its acks). */
  readonly sent = new Map<number, Uint8Array>();
  /** When each Cluster's last byte was handed to the connection. */
  readonly sentAtMs = new Map<number, number>();
  private readonly rng: () => number;
  private readonly clusterMs: number;
  private readonly frameMs: number;
  private readonly retryMs: number;
  private stopping = false;
  private running: Promise<void> | undefined;
  private lastTimecode = 0;
  private sessions = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private endpoint: string,
    private readonly streamName: string,
    options: CameraOptions = {},
  ) {
    this.rng = prng(options.seed ?? 0xca3e7a);
    this.clusterMs = options.clusterMs ?? 500;
    this.frameMs = options.frameMs ?? 100;
    this.retryMs = options.retryMs ?? 300;
  }

  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /** Later sessions go to another node (a load balancer moving the camera). */
  moveTo(endpoint: string): void {
    this.endpoint = endpoint;
  }

  /** Ends the current session after the Cluster being sent (its acks still arrive), and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Acks of one type, in arrival order. */
  ofType(type: AckEvent['type']): CameraAck[] {
    return this.acks.filter((a) => a.ack.type === type);
  }

  /** Fragment number → the Cluster bytes it was acked PERSISTED for. */
  persisted(): Map<string, Uint8Array> {
    const fragments = new Map<string, Uint8Array>();
    for (const { ack } of this.ofType('PERSISTED')) {
      const bytes = this.sent.get(ack.fragmentTimecode ?? -1);
      if (bytes === undefined || ack.fragmentNumber === undefined) throw new Error(`PERSISTED for a cluster never sent: ${JSON.stringify(ack)}`);
      fragments.set(ack.fragmentNumber, bytes);
    }
    return fragments;
  }

  /** Resolves once `condition()` holds (checked on every ack and refusal); rejects after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`camera: no ${what} within ${timeoutMs} ms; acks: ${this.summary()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  summary(): string {
    const counts = new Map<string, number>();
    for (const { ack } of this.acks) counts.set(ack.type, (counts.get(ack.type) ?? 0) + 1);
    return `${JSON.stringify(Object.fromEntries(counts))}, refusals ${JSON.stringify(this.refusals.map((r) => r.errorType))}, sessions ${this.sessions}`;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      await this.runSession(this.sessions++);
      if (!this.stopping) await sleep(this.retryMs);
    }
  }

  private async runSession(session: number): Promise<void> {
    const upload = putMedia({
      endpoint: this.endpoint,
      streamName: this.streamName,
      body: this.body(),
      timecodeType: 'ABSOLUTE',
      credentials: { accessKeyId: 'camera', secretAccessKey: 'camera-secret' },
    });
    try {
      for await (const ack of upload) {
        this.acks.push({ ack, atMs: Date.now(), session });
        this.notify();
      }
    } catch (err) {
      const refused = err instanceof PutMediaHttpError ? err : undefined;
      this.refusals.push({ status: refused?.statusCode ?? 0, errorType: refused?.errorType ?? (err as Error).message, atMs: Date.now() });
      this.notify();
    }
  }

  /** A fresh Matroska stream per session: header, then a Cluster every clusterMs until stopped. */
  private async *body(): AsyncGenerator<Uint8Array> {
    yield streamHeader();
    while (!this.stopping) {
      const timecode = Math.max(Date.now(), this.lastTimecode + this.clusterMs);
      this.lastTimecode = timecode;
      const count = Math.max(1, Math.floor(this.clusterMs / this.frameMs));
      const frames = Array.from({ length: count }, () => randomBytes(this.rng, randInt(this.rng, 300, 3000)));
      const bytes = cluster({ timecode, frames, frameMs: this.frameMs, knownSize: true });
      this.sent.set(timecode, bytes);
      yield bytes;
      this.sentAtMs.set(timecode, Date.now());
      await sleep(Math.max(0, timecode + this.clusterMs - Date.now()));
    }
  }
}
