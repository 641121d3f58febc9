/**
 * The sending side of a relay: PutMedia sessions, one after another, over the fragment buffer.
 * A session opens with the fragments' track header and sends the oldest unpersisted fragment
 * first, so after a failure the next session resends what was not PERSISTED and then goes live
 * (the producer SDK's content store rolls back to the last unacknowledged fragment the same way).
 * A session ends cleanly before a fragment with another track header (a new Tracks needs a new
 * Segment, so a new PutMedia), and at `maxSessionMs`: AWS ends a PutMedia connection after 45
 * minutes, so the relay rolls over to a new one between fragments before it is cut.
 * Failures (connection refused or dropped, 5xx, ERROR acks) are retried with capped backoff and
 * jitter; 403 and a missing stream are fatal.
 */
import { putMedia } from '../client/put-media.js';
import { PutMediaHttpError } from '../client/errors.js';
import type { AckEvent } from '../client/acks.js';
import { Backoff, sleep } from './backoff.js';
import type { Fragment, FragmentBuffer } from './fragment-buffer.js';

export const AWS_SESSION_LIMIT_MS = 45 * 60_000;
/** Well before the limit, so a session never ends mid-fragment at the service's hand. */
export const DEFAULT_SESSION_MS = 40 * 60_000;

export interface SenderOptions {
  readonly endpoint: string;
  readonly streamName: string;
  readonly region?: string;
  readonly maxSessionMs?: number;
  /** Backoff between failed sessions. */
  readonly backoff?: Backoff;
}

export interface SenderEvents {
  /** `latencyMs`: from the fragment's last byte handed to the connection to its PERSISTED ack. */
  onPersisted(fragment: { timestampMs: number; fragmentNumber: string | undefined; latencyMs: number | undefined }): void;
  onError(message: string, fatal: boolean): void;
  onConnected(): void;
  onDisconnected(): void;
}

export class FatalSendError extends Error {}

export class Sender {
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private stopping = false;
  sessions = 0;
  connected = false;

  constructor(
    private readonly buffer: FragmentBuffer,
    private readonly options: SenderOptions,
    private readonly events: SenderEvents,
  ) {
    this.backoff = options.backoff ?? new Backoff(500, 15_000);
  }

  /** Runs until stop() (then drains what can be drained) or a fatal error (thrown). */
  async run(): Promise<void> {
    while (!this.stopping || this.buffer.length > 0) {
      if (this.buffer.length === 0) {
        await this.buffer.wait(1000);
        continue;
      }
      let failed = false;
      try {
        failed = !(await this.session());
      } catch (err) {
        if (err instanceof FatalSendError) throw err;
        failed = true;
        this.events.onError(errorText(err), false);
      }
      this.setConnected(false);
      if (failed) {
        if (this.stopping && this.abort.signal.aborted) return;
        await sleep(this.backoff.next(), this.abort.signal);
      }
    }
  }

  /** Ends after the buffered fragments are sent and acked (or `graceMs` passes). */
  stop(graceMs: number): void {
    this.stopping = true;
    this.buffer.wakeAll();
    setTimeout(() => this.abort.abort(), graceMs).unref();
  }

  /** One PutMedia session; true when it ended cleanly. */
  private async session(): Promise<boolean> {
    const opening = sessionOpening(this.buffer);
    if (!opening) return true;
    const { header, firstTimestampMs } = opening;
    const startedAt = Date.now();
    const maxMs = this.options.maxSessionMs ?? DEFAULT_SESSION_MS;
    // Timestamps only: holding the sent fragments would keep every GOP of a 40-minute session in memory.
    const sent = new Set<number>();
    /** When each fragment's last byte went to the connection, until its PERSISTED ack. */
    const writtenAt = new Map<number, number>();
    const buffer = this.buffer;
    const self = this;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield header.bytes;
      let next: Fragment | undefined = buffer.at(0);
      for (;;) {
        if (!next) {
          if (self.stopping) return;
          await buffer.wait(1000);
          next = nextAfter(buffer, sent);
          continue;
        }
        if (next.header.key !== header.key) return;
        sent.add(next.timestampMs);
        next.sent = true;
        yield next.bytes;
        writtenAt.set(next.timestampMs, Date.now());
        if (Date.now() - startedAt >= maxMs) return;
        next = nextAfter(buffer, sent);
      }
    }
    this.sessions++;
    const session = putMedia({
      endpoint: this.options.endpoint,
      streamName: this.options.streamName,
      body: body(),
      timecodeType: 'ABSOLUTE',
      producerStartTimestampMs: firstTimestampMs,
      ...(this.options.region !== undefined && { region: this.options.region }),
      signal: this.abort.signal,
    });
    let clean = true;
    try {
      for await (const ack of session) {
        this.setConnected(true);
        if (!this.ack(ack, writtenAt)) clean = false;
      }
      await session.done;
    } catch (err) {
      if (err instanceof PutMediaHttpError && (err.statusCode === 403 || err.statusCode === 404 || err.statusCode === 400)) {
        const message = `PutMedia refused: ${err.statusCode} ${err.errorType ?? ''} ${err.message}`;
        this.events.onError(message, true);
        throw new FatalSendError(message);
      }
      throw err;
    }
    if (clean) this.backoff.reset();
    return clean;
  }

  /** Handles one ack; false for an ERROR (the session is then retried after a backoff). */
  private ack(ack: AckEvent, writtenAt: Map<number, number>): boolean {
    if (ack.type === 'PERSISTED' && ack.fragmentTimecode !== undefined) {
      this.buffer.persisted(ack.fragmentTimecode);
      this.backoff.reset();
      const written = writtenAt.get(ack.fragmentTimecode);
      writtenAt.delete(ack.fragmentTimecode);
      const latencyMs = written === undefined ? undefined : Date.now() - written;
      this.events.onPersisted({ timestampMs: ack.fragmentTimecode, fragmentNumber: ack.fragmentNumber, latencyMs });
      return true;
    }
    if (ack.type === 'ERROR') {
      this.events.onError(`ERROR ack ${ack.errorId} ${ack.errorCode ?? ''} for fragment ${ack.fragmentTimecode ?? '?'}`, false);
      // A fragment KVS refused for its content (4xxx) would be refused again: drop it.
      if (ack.errorId < 5000 && ack.fragmentTimecode !== undefined) this.buffer.persisted(ack.fragmentTimecode);
      return false;
    }
    return true;
  }

  private setConnected(value: boolean): void {
    if (value === this.connected) return;
    this.connected = value;
    if (value) this.events.onConnected();
    else this.events.onDisconnected();
  }
}

/**
 * What a session needs of its first fragment, not the fragment itself: a suspended async function
 * keeps its locals, and the session's would hold that GOP in memory for the session's 40 minutes.
 */
function sessionOpening(buffer: FragmentBuffer): { header: Fragment['header']; firstTimestampMs: number } | undefined {
  const first = buffer.at(0);
  return first && { header: first.header, firstTimestampMs: first.timestampMs };
}

/** The buffered fragment after the newest one this session sent (persisted ones have left). */
function nextAfter(buffer: FragmentBuffer, sent: ReadonlySet<number>): Fragment | undefined {
  for (let i = 0; ; i++) {
    const f = buffer.at(i);
    if (!f) return undefined;
    if (!sent.has(f.timestampMs)) return f;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
