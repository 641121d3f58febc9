/**
 * One relay: a camera (through ffmpeg) into one stream, kept alive. The source loop restarts
 * ffmpeg with capped backoff and jitter when it exits or stalls (no output for `stallMs`); each
 * run's Clusters become fragments with ABSOLUTE timestamps (timeline.ts) in the bounded buffer;
 * the Sender drains the buffer through PutMedia sessions. The two loops only meet at the buffer,
 * so a server outage never stalls the camera and a camera outage never drops a session's acks.
 */
import { once } from 'node:events';
import { tagsElement, type KvsTag } from '../formats/matroska/kvs-document.js';
import { PutMediaHttpError } from '../client/errors.js';
// The one restJson1 call the relay makes (CreateStream), signed as the CLI commands sign theirs.
import { signedPost } from '../commands/signed-post.js';
import { Backoff, sleep } from './backoff.js';
import { ClusterSplitter, type SourceCluster } from './cluster-splitter.js';
import {
  SourceError,
  isFatalStderr,
  planStreams,
  probeSource,
  sourceKind,
  spawnFfmpeg,
  type AudioPlan,
  type FfmpegProcess,
  type SourceOptions,
} from './ffmpeg-source.js';
import { FragmentBuffer } from './fragment-buffer.js';
import { FatalSendError, Sender } from './session.js';
import { Timeline, rewriteClusterTimestamp } from './timeline.js';
// The shape the server's ListRelays answers with: one definition for both sides.
import type { RelayView } from '../api/openkvs/list-relays.js';

export type RelayState = 'starting' | 'connecting' | 'live' | 'buffering' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

export interface RelayOptions extends SourceOptions {
  readonly name?: string;
  readonly stream: string;
  readonly endpoint: string;
  readonly region?: string;
  /** No ffmpeg output for this long: the source is stalled and restarted. */
  readonly stallMs?: number;
  /** At most this much media waits in memory while the server is unreachable. */
  readonly bufferMs?: number;
  readonly maxSessionMs?: number;
  /** Metadata on every fragment (`--tag k=v`). */
  readonly tags?: readonly KvsTag[];
  /** Source backoff (tests shorten it). */
  readonly sourceBackoff?: Backoff;
  readonly sendBackoff?: Backoff;
  /** CreateStream (24 h retention) first, unless the stream exists. */
  readonly create?: boolean;
}

/** What status lines, /metrics and ListRelays show of a relay (ListRelays adds its redacted source). */
export type RelayStatus = Omit<RelayView, 'source'> & { readonly state: RelayState };

const RATE_WINDOW_MS = 10_000;
/** Longest wait for a (re)started ffmpeg's first output. */
const STARTUP_MS = 20_000;

export class Relay {
  readonly buffer: FragmentBuffer;
  private readonly sender: Sender;
  private readonly timeline = new Timeline<SourceCluster>();
  private readonly sourceBackoff: Backoff;
  private readonly tagBytes: Uint8Array | undefined;
  private state: RelayState = 'starting';
  private stopping = false;
  private child: FfmpegProcess | undefined;
  private splitter: ClusterSplitter | undefined;
  private plan: AudioPlan | undefined;
  private persisted = 0;
  private restarts = 0;
  private lastError: string | undefined;
  private lastFragmentMs: number | undefined;
  private persistLatencyMs: number | undefined;
  private producedOnce = false;
  /** (arrival ms, video frames, bytes, media ms) of recent fragments, for fps and bitrate. */
  private recent: Array<[number, number, number, number]> = [];
  private stopped: Promise<void> | undefined;
  /** Fatal error, if the relay gave up. */
  failure: Error | undefined;

  constructor(
    readonly options: RelayOptions,
    private readonly onChange: (relay: Relay) => void = () => undefined,
  ) {
    sourceKind(options.source); // bad URLs fail here, before anything starts
    this.buffer = new FragmentBuffer(options.bufferMs ?? 30_000);
    this.sourceBackoff = options.sourceBackoff ?? new Backoff(1000, 30_000);
    this.tagBytes = options.tags && options.tags.length > 0 ? tagsElement(options.tags) : undefined;
    this.sender = new Sender(
      this.buffer,
      {
        endpoint: options.endpoint,
        streamName: options.stream,
        ...(options.region !== undefined && { region: options.region }),
        ...(options.maxSessionMs !== undefined && { maxSessionMs: options.maxSessionMs }),
        ...(options.sendBackoff !== undefined && { backoff: options.sendBackoff }),
      },
      {
        onPersisted: ({ latencyMs }) => {
          this.persisted++;
          this.persistLatencyMs = latencyMs;
          this.refreshState();
        },
        onError: (message) => this.error(message),
        onConnected: () => this.refreshState(),
        onDisconnected: () => this.refreshState(),
      },
    );
  }

  get name(): string {
    return this.options.name ?? this.options.stream;
  }

  /** Runs until stop() or a fatal error (rejects with it). */
  run(): Promise<void> {
    this.stopped ??= this.runBoth();
    return this.stopped;
  }

  private async runBoth(): Promise<void> {
    if (this.options.create) {
      try {
        await createStreamUnlessExists(this.options);
      } catch (err) {
        this.failure = new Error(`cannot create stream ${this.options.stream}: ${(err as Error).message}`);
        this.setState('failed');
        throw this.failure;
      }
    }
    const sending = this.sender.run();
    const sourcing = this.sourceLoop();
    try {
      await Promise.race([sending, sourcing.then(() => (this.stopping ? undefined : this.stopAfterSource()))]);
      await sourcing;
      await sending;
      this.setState('stopped');
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.stopping = true;
      this.child?.kill('SIGKILL');
      this.sender.stop(0);
      this.setState('failed');
      throw this.failure;
    }
  }

  /** The source ended for good (a file without --loop): drain, then stop. */
  private stopAfterSource(): void {
    this.stop();
  }

  /**
   * Ends cleanly: ffmpeg gets SIGINT so it writes out the Cluster it holds (the current fragment
   * ends at its last frame), then the buffered fragments are sent and acked, within `graceMs`.
   */
  stop(graceMs = 10_000): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.setState('stopping');
      if (sourceKind(this.options.source) !== 'file' && sourceKind(this.options.source) !== 'stdin') this.splitter?.cutShort();
      this.child?.kill('SIGINT');
      // The sender drains once the source's last Cluster is in the buffer.
      void this.sourceDone().then(() => this.sender.stop(graceMs));
    }
    return this.run().catch(() => undefined);
  }

  private sourceDoneResolvers: Array<() => void> = [];
  private sourceFinished = false;
  private sourceDone(): Promise<void> {
    if (this.sourceFinished) return Promise.resolve();
    return new Promise((resolve) => this.sourceDoneResolvers.push(resolve));
  }

  status(): RelayStatus {
    const now = Date.now();
    this.recent = this.recent.filter(([t]) => now - t <= RATE_WINDOW_MS);
    const frames = this.recent.reduce((n, [, f]) => n + f, 0);
    const bytes = this.recent.reduce((n, [, , b]) => n + b, 0);
    // Over the media the fragments hold (not the window): right from the first fragments on.
    const mediaMs = Math.max(this.recent.reduce((n, [, , , d]) => n + d, 0), 1);
    return {
      name: this.name,
      stream: this.options.stream,
      state: this.state,
      fps: Math.round((frames / (mediaMs / 1000)) * 10) / 10,
      bitrateKbps: Math.round((bytes * 8) / mediaMs),
      fragmentsPersisted: this.persisted,
      fragmentsBuffered: this.buffer.length,
      fragmentsDropped: this.buffer.dropped,
      sourceRestarts: this.restarts,
      sessions: this.sender.sessions,
      lastError: this.lastError,
      lastFragmentMs: this.lastFragmentMs,
      persistLatencyMs: this.persistLatencyMs,
    };
  }

  private async sourceLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        const ended = await this.runSource();
        if (ended === 'eof' && endsAtEof(this.options)) return;
        if (this.stopping) return;
        this.restarts++;
        this.setState('reconnecting');
        await sleep(this.sourceBackoff.next());
      }
    } finally {
      this.sourceFinished = true;
      for (const r of this.sourceDoneResolvers.splice(0)) r();
    }
  }

  /** One ffmpeg run; 'eof' when it exited on its own, 'failed' when it had to be killed or failed. */
  private async runSource(): Promise<'eof' | 'failed'> {
    // Probed once it answers: a camera does not change codecs, and a probe costs a connection.
    let plan = this.plan;
    if (!plan) {
      const probed = await probeSource(this.options);
      plan = planStreams(probed, sourceKind(this.options.source));
      if (probed !== undefined) this.plan = plan;
    }
    const child = spawnFfmpeg(this.options, plan);
    this.child = child;
    if (this.options.source === '-' && child.stdin) process.stdin.pipe(child.stdin);
    this.place(this.timeline.newRun());
    const splitter = new ClusterSplitter();
    this.splitter = splitter;
    const stallMs = this.options.stallMs ?? 10_000;
    let lastData = Date.now();
    let stalled = false;
    let fatal: string | undefined;
    const stderrLines: string[] = [];
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      for (const line of text.split('\n').filter((l) => l.trim())) {
        stderrLines.push(line.trim());
        if (stderrLines.length > 5) stderrLines.shift();
        if (!this.producedOnce && isFatalStderr(line)) fatal = line.trim();
      }
    });
    child.stdout.on('data', (chunk: Buffer) => {
      lastData = Date.now();
      try {
        for (const cluster of splitter.push(chunk)) this.fragment(cluster);
      } catch (err) {
        this.error(`bad Matroska from ffmpeg: ${(err as Error).message}`);
        child.kill('SIGKILL');
      }
    });
    // Until ffmpeg's first output, allow for connecting and probing (seconds on RTSP), however
    // short --stall is: a short stall limit must not kill every start-up.
    let sawData = false;
    child.stdout.once('data', () => (sawData = true));
    const watchdog = setInterval(() => {
      if (Date.now() - lastData > (sawData ? stallMs : Math.max(stallMs, STARTUP_MS))) {
        stalled = true;
        this.error(`source stalled: no frame for ${Math.round(stallMs / 1000)} s`);
        child.kill('SIGKILL');
      }
    }, Math.min(1000, stallMs / 4));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    clearInterval(watchdog);
    for (const cluster of splitter.end()) this.fragment(cluster);
    this.place(this.timeline.flush());
    this.child = undefined;
    if (fatal) throw new SourceError(`source failed: ${fatal}`, true);
    if (stalled) return 'failed';
    if (code !== 0 && !this.stopping) {
      this.error(`ffmpeg exited (${signal ?? code})${stderrLines.length ? `: ${stderrLines[stderrLines.length - 1]}` : ''}`);
      return 'failed';
    }
    return 'eof';
  }

  private fragment(cluster: SourceCluster): void {
    const now = Date.now();
    // A Cluster that does not open with a key frame (the start of a run joins mid-GOP) cannot start playback.
    if (!cluster.startsWithKey) return;
    this.recent.push([now, cluster.videoFrames, cluster.bytes.length, cluster.durationMs]);
    this.place(this.timeline.add(cluster, now));
  }

  private place(mapped: Array<{ item: SourceCluster; startMs: number }>): void {
    for (const { item, startMs } of mapped) this.enqueue(item, startMs);
  }

  private enqueue(cluster: SourceCluster, timestampMs: number): void {
    const ticksPerMs = 1_000_000 / cluster.header.timecodeScaleNs;
    const bytes = rewriteClusterTimestamp(cluster.bytes, Math.round(timestampMs * ticksPerMs), this.tagBytes);
    this.buffer.push({ header: cluster.header, bytes, timestampMs, durationMs: cluster.durationMs, sent: false });
    this.producedOnce = true;
    this.sourceBackoff.reset();
    this.lastFragmentMs = timestampMs;
    this.refreshState();
  }

  private error(message: string): void {
    this.lastError = message;
    this.onChange(this);
  }

  private refreshState(): void {
    if (this.stopping || this.state === 'failed') return this.onChange(this);
    if (this.state === 'reconnecting' && this.child === undefined) return this.onChange(this);
    const next: RelayState = !this.producedOnce ? 'connecting' : this.sender.connected ? (this.buffer.length > 2 ? 'buffering' : 'live') : 'buffering';
    this.setState(next);
  }

  private setState(state: RelayState): void {
    this.state = state;
    this.onChange(this);
  }
}

/** CreateStream with 24 h retention; an existing stream is fine. */
export async function createStreamUnlessExists(options: RelayOptions): Promise<void> {
  try {
    await signedPost(options.endpoint, 'createStream', { StreamName: options.stream, DataRetentionInHours: 24 }, options.region);
  } catch (err) {
    if (err instanceof PutMediaHttpError && err.errorType === 'ResourceInUseException') return;
    throw err;
  }
}

/** A file (without --loop) or stdin ends the relay at its end; network sources are reconnected. */
function endsAtEof(options: RelayOptions): boolean {
  const kind = sourceKind(options.source);
  return (kind === 'file' && !options.loop) || kind === 'stdin';
}

export { FatalSendError, SourceError };
