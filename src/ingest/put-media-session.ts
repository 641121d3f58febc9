import { errorAck, fragmentAck, IngestError, type Ack } from '../domain/acks.js';
import { ServiceUnavailableException } from '../domain/errors.js';
import { encodeFrameIndex, MAX_INDEXED_TRACK_NUMBER } from '../domain/frame-index.js';
import type { StreamRecord } from '../domain/stream.js';
import { MkvFormatError, type MkvEvent, type TrackInfo } from '../formats/matroska/events.js';
import { MkvParser } from '../formats/matroska/parser.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { KvsMetrics } from '../util/metrics.js';
import { ChunkWindow, type HeldBytesMeter } from './chunk-window.js';
import { FragmentAssembly, type SessionHeader } from './fragment-assembly.js';
import type { IngestService } from './ingest-service.js';
import { END_OF_FRAGMENT_TAG, MAX_METADATA_ITEMS, MAX_TRACKS } from './limits.js';

export type TimecodeType = 'ABSOLUTE' | 'RELATIVE';

export interface SessionOptions {
  readonly stream: StreamRecord;
  readonly timecodeType: TimecodeType;
  /** x-amzn-producer-start-timestamp, for RELATIVE timecodes. */
  readonly producerStartMs: number;
  readonly service: IngestService;
  readonly clock: Clock;
  readonly log: Logger;
  /** Writes one ack to the response. */
  readonly send: (ack: Ack) => void;
  /** PutMedia.IncomingFragments, latencies and ErrorAcks. */
  readonly metrics?: KvsMetrics;
  /** Where the bytes the session holds are counted (its share of the ingest memory budget). */
  readonly meter?: HeldBytesMeter & CommitBacklog;
}

/** Where the bytes of fragments handed to the committer and not yet durable are counted. */
export interface CommitBacklog {
  committing(bytes: number): void;
  committed(bytes: number): void;
}

/** Longest possible element header (4-byte ID + 8-byte size): what must be kept between elements. */
const MAX_ELEMENT_HEADER_BYTES = 12;
const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

/**
 * One PutMedia request: Matroska in, acks out. Each Cluster becomes a fragment — BUFFERING when
 * it starts, RECEIVED when it (and the metadata Tags after it) is complete, PERSISTED once the
 * group committer has made it durable. The first broken rule ends the session with an ERROR ack;
 * fragments completed before it still commit and get their PERSISTED.
 */
export class PutMediaSession {
  private readonly parser = new MkvParser();
  private readonly window: ChunkWindow;
  private readonly commits = new Set<Promise<void>>();
  private info: { timecodeScaleNs: number; bytes: Uint8Array } | undefined;
  private header: SessionHeader | undefined;
  /** The Cluster arriving now. */
  private open: FragmentAssembly | undefined;
  /** A complete Cluster that may still receive the metadata Tags that follow it. */
  private closing: FragmentAssembly | undefined;
  /** Metadata that arrived when no fragment could take it: it goes to the next one. */
  private orphanTags: { name: string; value: string }[] = [];
  private previousLastTimecode: number | undefined;
  private sawCluster = false;
  private failure: IngestError | undefined;

  constructor(private readonly options: SessionOptions) {
    this.window = new ChunkWindow(options.service.slabs, options.meter);
  }

  /** False once the session has ended with an ERROR ack. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  /**
   * Feeds the next body chunk. Returns a promise only when an event has to wait (a block of
   * fragment numbers, a track header): most chunks hold frames only and are handled without one,
   * which spares two promises and their microtask turns per chunk (30 000 chunks a second at 1000
   * cameras).
   */
  push(chunk: Uint8Array): Promise<void> | undefined {
    if (!this.alive) return undefined;
    this.window.append(chunk);
    try {
      const events = this.parser.push(chunk);
      for (let i = 0; i < events.length; i++) {
        const pending = this.onEvent(events[i]!);
        if (pending) return this.guard(() => this.finishChunk(pending, events, i + 1));
      }
      this.afterChunk();
    } catch (err) {
      this.failOn(err);
    }
    return undefined;
  }

  /** The rest of a chunk's events once `pending` (from the event before `next`) has settled. */
  private async finishChunk(pending: Promise<void>, events: readonly MkvEvent[], next: number): Promise<void> {
    await pending;
    for (let i = next; i < events.length; i++) {
      // Ended from outside meanwhile (shed, credentials revoked): its bytes are gone.
      if (!this.alive) return;
      const more = this.onEvent(events[i]!);
      if (more) await more;
    }
    if (this.alive) this.afterChunk();
  }

  private afterChunk(): void {
    if (this.parser.atTopLevelBoundary && this.closing) this.finish(this.closing);
    this.open?.checkSize(this.window.end);
    this.window.discardBefore(this.oldestNeededOffset());
  }

  /** Bytes before this offset belong to no fragment still being assembled. */
  private oldestNeededOffset(): number {
    const fragment = this.closing ?? this.open;
    return fragment ? fragment.startOffset : this.window.end - MAX_ELEMENT_HEADER_BYTES;
  }

  /** The body ended: completes the last fragment. */
  async end(): Promise<void> {
    if (!this.alive) return;
    await this.guard(async () => {
      for (const event of this.parser.end()) {
        const pending = this.onEvent(event);
        if (pending) await pending;
        if (!this.alive) return;
      }
      if (this.closing) this.finish(this.closing);
    });
  }

  /** Ends the session with an ERROR ack (e.g. the stream was deleted, or the body broke off). */
  fail(error: IngestError): void {
    if (!this.alive) return;
    this.failure = error;
    this.options.log.info({ stream: this.options.stream.name, errorCode: error.errorCode, reason: error.message }, 'PutMedia error ack');
    this.options.send(errorAck(error, (this.open ?? this.closing)?.identity));
    this.options.metrics?.putMediaErrorAck(this.options.stream.name, error.errorCode);
    // The fragment being assembled will never be finished: its bytes go back now, not when the
    // response ends (fragments already handed to the committer keep theirs until durable).
    this.open = this.closing = undefined;
    this.window.close();
  }

  /**
   * The server is stopping and reads no more of the body: the fragment being assembled is dropped
   * without an ack, as if the body had broken off there (the producer sends it again in its next
   * session), while those already handed to the committer still get their PERSISTED. No ERROR ack:
   * any id names a failure that did not happen, and a 4xxx naming the fragment tells producers to
   * drop it (the relay does, session.ts); KVS's own idle close ends the response without one too.
   */
  stop(): void {
    this.options.log.debug({ stream: this.options.stream.name, dropped: (this.open ?? this.closing)?.identity }, 'PutMedia stopped by the server');
    this.open = this.closing = undefined;
    this.window.close();
  }

  /** Resolves once every fragment handed to the committer has been acked or failed; the body is done with. */
  async settled(): Promise<void> {
    while (this.commits.size > 0) await Promise.all(this.commits);
    this.window.close();
  }

  private async guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.failOn(err);
    }
  }

  /** Ends the session with the ERROR ack that fits what was thrown. */
  private failOn(err: unknown): void {
    if (err instanceof IngestError) this.fail(err);
    else if (err instanceof MkvFormatError) this.fail(new IngestError('INVALID_MKV_DATA', err.message));
    // The index could not be reached for a fragment number or a track header: storing failed.
    else if (err instanceof ServiceUnavailableException) this.fail(new IngestError('ARCHIVAL_ERROR', err.message));
    else {
      this.options.log.error({ err }, 'PutMedia session failed');
      this.fail(new IngestError('INTERNAL_ERROR', 'internal error'));
    }
  }

  private onEvent(event: MkvEvent): Promise<void> | void {
    switch (event.kind) {
      case 'info':
        this.info = { timecodeScaleNs: event.timecodeScaleNs, bytes: event.bytes };
        return;
      case 'tracks':
        return this.onTracks(event.tracks, event.bytes);
      case 'cluster-start':
        return this.onClusterStart(event.offset);
      case 'cluster-timecode':
        return this.onClusterTimecode(event.timecode);
      case 'frame':
        return this.onFrame(event);
      case 'cluster-end':
        return this.onClusterEnd(event.offset);
      case 'tags':
        return this.onTags(event.tags);
      default:
        return;
    }
  }

  private async onTracks(tracks: readonly TrackInfo[], bytes: Uint8Array): Promise<void> {
    if (tracks.length > MAX_TRACKS) throw new IngestError('MORE_THAN_ALLOWED_TRACKS_FOUND', `${tracks.length} tracks`);
    if (tracks.length === 0) throw new IngestError('INVALID_MKV_DATA', 'Tracks declares no track');
    const tooLarge = tracks.find((t) => t.number > MAX_INDEXED_TRACK_NUMBER);
    if (tooLarge) throw new IngestError('INVALID_MKV_DATA', `track number ${tooLarge.number} is out of range`);
    const info = this.info ?? { timecodeScaleNs: DEFAULT_TIMECODE_SCALE_NS, bytes: new Uint8Array(0) };
    const headerId = await this.options.service.trackHeaderId(info.bytes, bytes);
    this.header = { headerId, timecodeScaleNs: info.timecodeScaleNs, tracks: new Map(tracks.map((t) => [t.number, t])) };
  }

  private async onClusterStart(offset: number): Promise<void> {
    if (this.closing) this.finish(this.closing);
    if (!this.header) throw new IngestError('INVALID_MKV_DATA', 'a Cluster before Tracks');
    this.sawCluster = true;
    const serverTimestampMs = this.options.clock.nowMs();
    const fragmentNumber = await this.options.service.numbers.allocate();
    this.open = new FragmentAssembly(fragmentNumber, offset, serverTimestampMs, this.header);
  }

  private onClusterTimecode(timecode: number): void {
    const fragment = this.expectOpen();
    fragment.clusterTimecode = timecode;
    this.options.send(fragmentAck('BUFFERING', fragment.identity));
  }

  private onFrame(event: Extract<MkvEvent, { kind: 'frame' }>): void {
    const fragment = this.expectOpen();
    fragment.addFrame(event);
    if (fragment.frames.length === 1) this.checkTimecodeOrder(fragment);
  }

  /** A fragment's first frame may not come before the previous fragment's last one. */
  private checkTimecodeOrder(fragment: FragmentAssembly): void {
    const first = fragment.firstFrameTimecode!;
    if (this.previousLastTimecode !== undefined && first < this.previousLastTimecode) {
      throw new IngestError(
        'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
        `first frame at ${first} is before the previous fragment's last frame at ${this.previousLastTimecode}`,
      );
    }
  }

  private onClusterEnd(offset: number): void {
    const fragment = this.expectOpen();
    fragment.endOffset = offset;
    fragment.checkComplete();
    this.open = undefined;
    this.closing = fragment;
    if (this.orphanTags.length > 0) fragment.addTags(this.orphanTags.splice(0));
  }

  private onTags(tags: readonly { name: string; value: string }[]): void {
    const fragment = this.closing;
    // Tags before the first Cluster describe the whole recording (ffmpeg writes some), not a fragment.
    if (!this.sawCluster) return;
    if (!fragment) {
      this.orphanTags.push(...tags.filter((t) => t.name !== END_OF_FRAGMENT_TAG));
      if (this.orphanTags.length > MAX_METADATA_ITEMS) {
        throw new IngestError('FRAGMENT_METADATA_LIMIT_REACHED', `more than ${MAX_METADATA_ITEMS} metadata items`);
      }
      return;
    }
    if (fragment.addTags(tags)) this.finish(fragment);
  }

  private expectOpen(): FragmentAssembly {
    if (!this.open) throw new IngestError('INVALID_MKV_DATA', 'cluster content outside a Cluster');
    return this.open;
  }

  /** The fragment is complete: RECEIVED now, PERSISTED once the committer has made it durable. */
  private finish(fragment: FragmentAssembly): void {
    this.closing = undefined;
    this.previousLastTimecode = fragment.lastFrameTimecode;
    this.options.send(fragmentAck('RECEIVED', fragment.identity));
    const receivedMs = this.options.clock.nowMs();
    const bytes = this.window.slice(fragment.startOffset, fragment.endOffset!);
    const size = fragment.endOffset! - fragment.startOffset;
    this.options.meter?.committing(size);
    const commit = this.options.service.committer
      .commit({ row: this.rowOf(fragment), bytes: bytes.views })
      .then(
        (outcome) => {
          if (outcome === 'stream-gone') {
            this.fail(new IngestError('STREAM_NOT_ACTIVE', 'the stream was deleted'));
            return;
          }
          this.options.metrics?.putMediaFragment(
            this.options.stream.name,
            receivedMs - fragment.serverTimestampMs,
            this.options.clock.nowMs() - receivedMs,
          );
          if (this.options.stream.dataRetentionInHours > 0) this.options.send(fragmentAck('PERSISTED', fragment.identity));
        },
        () => this.fail(new IngestError('ARCHIVAL_ERROR', 'storing the fragment failed')),
      )
      .finally(() => {
        this.options.meter?.committed(size);
        bytes.release();
        this.commits.delete(commit);
      });
    this.commits.add(commit);
  }

  private rowOf(fragment: FragmentAssembly) {
    const clusterTimecode = fragment.clusterTimecode ?? 0;
    const timecodeMs = (clusterTimecode * fragment.header.timecodeScaleNs) / 1e6;
    const producerTimestampMs = Math.round(this.options.timecodeType === 'ABSOLUTE' ? timecodeMs : this.options.producerStartMs + timecodeMs);
    return {
      streamId: this.options.stream.streamId,
      fragmentNumber: fragment.fragmentNumber,
      clusterTimecode,
      producerTimestampMs,
      serverTimestampMs: fragment.serverTimestampMs,
      durationMs: fragment.durationMs(),
      size: fragment.endOffset! - fragment.startOffset,
      headerId: fragment.header.headerId,
      frameIndex: encodeFrameIndex(fragment.frames),
      tags: fragment.tags,
    };
  }
}
