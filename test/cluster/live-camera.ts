import { setTimeout as sleep } from 'node:timers/promises';
import type { AckEvent } from '../../src/client/acks.js';
import { PutMediaHttpError } from '../../src/client/errors.js';
import { putMedia } from '../../src/client/put-media.js';
import { cluster, prng, randInt, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

/**
 * A real-time camera for the cluster tests: PutMedia through the project's client, each Cluster
 * (one fragment) sent when it is due, and, like Amazon's producers, a new session shortly after
 * one ends (an ERROR ack, a refused request, a node that went away) until stop() or until its
 * source runs out. Sources: synthetic Clusters made on the fly (random frames, ABSOLUTE timecodes
 * from the wall clock; endless), or a recorded file's Clusters (RELATIVE timecodes, paced by their
 * timestamps; once). It keeps every Cluster it sent by timecode, so stored fragments can be
 * compared with the bytes that went out, and every ack with the time it arrived.
 */
export interface CameraAck {
  readonly ack: AckEvent;
  /** Date.now() when it arrived. */
  readonly atMs: number;
  /** Which session (0, 1, ...) it came on. */
  readonly session: number;
}

export interface ClusterSource {
  readonly timecodeType: 'ABSOLUTE' | 'RELATIVE';
  /** What every session starts with: EBML header, Segment, Info, Tracks. */
  readonly header: Uint8Array;
  /** The next Cluster and the Date.now() at which it is due, or undefined when there is none left. */
  next(): { timecode: number; bytes: Uint8Array; dueMs: number } | undefined;
}

/** Endless synthetic Clusters of random frames, one every `clusterMs`, timecodes from the wall clock. */
export function syntheticClusters(options: { clusterMs?: number; frameMs?: number; seed?: number } = {}): ClusterSource {
  const rng = prng(options.seed ?? 0xca3e7a);
  const clusterMs = options.clusterMs ?? 500;
  const frameMs = options.frameMs ?? 100;
  let lastTimecode = 0;
  return {
    timecodeType: 'ABSOLUTE',
    header: streamHeader(),
    next() {
      const timecode = Math.max(Date.now(), lastTimecode + clusterMs);
      lastTimecode = timecode;
      const count = Math.max(1, Math.floor(clusterMs / frameMs));
      const frames = Array.from({ length: count }, () => randomBytes(rng, randInt(rng, 300, 3000)));
      return { timecode, bytes: cluster({ timecode, frames, frameMs, knownSize: true }), dueMs: timecode };
    },
  };
}

/**
 * A recorded Matroska file's Clusters (positions from an independent parser, e.g. mkvinfo), each
 * due as long after the first was sent as its timestamp says.
 */
export function recordedClusters(file: Uint8Array, clusters: readonly { at: number; size: number; timestampNs: number }[]): ClusterSource {
  let next = 0;
  let startedMs: number | undefined;
  return {
    timecodeType: 'RELATIVE',
    header: file.subarray(0, clusters[0]?.at ?? file.length),
    next() {
      const c = clusters[next++];
      if (c === undefined) return undefined;
      startedMs ??= Date.now();
      const timecode = Math.round(c.timestampNs / 1e6);
      return { timecode, bytes: file.subarray(c.at, c.at + c.size), dueMs: startedMs + timecode };
    },
  };
}

export interface CameraOptions {
  /** Default: synthetic Clusters every 500 ms. */
  readonly source?: ClusterSource;
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
  /** x-amzn-producer-start-timestamp of every session (RELATIVE sources count from it). */
  readonly producerStartMs = Date.now();
  private readonly source: ClusterSource;
  private readonly retryMs: number;
  private stopping = false;
  private exhausted = false;
  private running: Promise<void> | undefined;
  private sessions = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private endpoint: string,
    private readonly streamName: string,
    options: CameraOptions = {},
  ) {
    this.source = options.source ?? syntheticClusters();
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

  /** Ack counts, refusals and the last few events: what a failed wait reports. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const { ack } of this.acks) counts.set(ack.type, (counts.get(ack.type) ?? 0) + 1);
    const now = Date.now();
    const recent = [
      ...this.acks.slice(-12).map((a) => ({ atMs: a.atMs, text: `s${a.session} ${a.ack.type}${a.ack.type === 'ERROR' ? ` ${a.ack.errorId}` : ''}` })),
      ...this.refusals.slice(-3).map((r) => ({ atMs: r.atMs, text: `refused ${r.status} ${r.errorType}` })),
    ].sort((x, y) => x.atMs - y.atMs);
    return (
      `${JSON.stringify(Object.fromEntries(counts))}, ${this.refusals.length} refusals, ${this.sessions} sessions; ` +
      `latest (ms before now): ${recent.map((e) => `${now - e.atMs} ${e.text}`).join(', ')}`
    );
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves when the camera has stopped: stop() was called, or a recorded source was sent whole. */
  get finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    while (!this.stopping && !this.exhausted) {
      await this.runSession(this.sessions++);
      if (!this.stopping && !this.exhausted) await sleep(this.retryMs);
    }
  }

  private async runSession(session: number): Promise<void> {
    const upload = putMedia({
      endpoint: this.endpoint,
      streamName: this.streamName,
      body: this.body(),
      timecodeType: this.source.timecodeType,
      producerStartTimestampMs: this.producerStartMs,
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

  /** A fresh Matroska stream per session: the header, then each Cluster when it is due, until stopped. */
  private async *body(): AsyncGenerator<Uint8Array> {
    yield this.source.header;
    while (!this.stopping) {
      const next = this.source.next();
      if (next === undefined) {
        this.exhausted = true;
        return;
      }
      await sleep(Math.max(0, next.dueMs - Date.now()));
      this.sent.set(next.timecode, next.bytes);
      yield next.bytes;
      this.sentAtMs.set(next.timecode, Date.now());
    }
  }
}
