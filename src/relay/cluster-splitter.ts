/**
 * ffmpeg's Matroska (stdout) → fragments. Each whole Cluster is one KVS fragment; what comes
 * before the first Cluster (EBML header, Segment, Info, Tracks) becomes the track header every
 * PutMedia session opens with. Built on the ingest's incremental parser, so the relay and the
 * server agree on what a Cluster is; payloads are not copied until a Cluster is complete.
 */
import { MkvParser } from '../formats/matroska/parser.js';
import type { MkvEvent, TrackInfo } from '../formats/matroska/events.js';
import { MatroskaId } from '../formats/matroska/ids.js';
import { ebmlHeaderElement, elementHeader } from '../formats/matroska/writer.js';
import { concatBytes } from '../formats/bytes/read.js';
import { cutAtKeyFrames } from './cluster-cut.js';
import { inBandChange, replaceVideoTrack, startsWholePicture, tidyKeyFrame } from './key-frame.js';

export interface SourceHeader {
  /** EBML header + unknown-size Segment + Info + Tracks: the start of every PutMedia body. */
  readonly bytes: Uint8Array;
  readonly tracks: readonly TrackInfo[];
  readonly timecodeScaleNs: number;
  /** Equal keys mean the same header: a new key needs a new PutMedia session. */
  readonly key: string;
}

export interface SourceCluster {
  readonly header: SourceHeader;
  /** The Cluster as ffmpeg wrote it (ID, size, children). */
  readonly bytes: Uint8Array;
  /** Cluster Timestamp in source milliseconds. */
  readonly sourceMs: number;
  /** From the Cluster start to the end of its last frame, estimated from the video frame rate. */
  readonly durationMs: number;
  /** The last frame's time from the Cluster start (the next fragment must start after it: KVS 4004). */
  readonly lastFrameMs: number;
  /** The first video frame's time from the Cluster start (an audio frame may come first). */
  readonly videoStartMs: number;
  /** The video's nominal frame interval: its track's DefaultDuration, which ffmpeg writes when it knows the frame rate. */
  readonly frameMs: number | undefined;
  /** The Cluster's first video frame is a whole key frame (a fragment KVS can start playback at). */
  readonly startsWithKey: boolean;
  readonly frames: number;
  readonly videoFrames: number;
}

export class ClusterSplitter {
  private readonly parser = new MkvParser();
  private readonly events: MkvEvent[] = [];
  /** Chunks not yet consumed, the first one starting at `base` (absolute stream offset). */
  private chunks: Uint8Array[] = [];
  private base = 0;
  private info: { timecodeScaleNs: number; bytes: Uint8Array } | undefined;
  private header: SourceHeader | undefined;
  /** The Tracks element the header holds (rewritten when the camera changes its parameter sets in band). */
  private tracksBytes: Uint8Array | undefined;
  private videoTrack: number | undefined;
  // The Cluster being read.
  private clusterStart = -1;
  private clusterTc = 0;
  private maxFrameTc = 0;
  private frames = 0;
  private videoFrames = 0;
  private firstVideoKey: boolean | undefined;
  private lastVideoTc: number | undefined;
  /** Last seen interval between video frames, in ticks (the duration of the Cluster's last frame). */
  private frameInterval = 0;
  private cutShortAt: number | undefined;

  /** Feeds ffmpeg's output; returns the Clusters it completes. Throws MkvFormatError on bad input. */
  push(chunk: Uint8Array): SourceCluster[] {
    this.chunks.push(chunk);
    this.events.length = 0;
    this.parser.push(chunk, this.events);
    return this.handle();
  }

  /**
   * ffmpeg was told to stop reading a network source: the Cluster it writes on its way out ends
   * with whatever part of a picture it had (its parser hands over what it holds), so the last
   * video frame of Clusters that end from here on is dropped. A picture cut short decodes with
   * part of it concealed; losing one frame at the end of a run costs nothing.
   */
  cutShort(): void {
    this.cutShortAt ??= this.base + this.chunks.reduce((n, c) => n + c.length, 0);
  }

  /** ffmpeg exited: an unknown-size last Cluster ends here. */
  end(): SourceCluster[] {
    this.events.length = 0;
    try {
      this.parser.end(this.events);
    } catch {
      // A run cut short mid-element (ffmpeg killed): its partial Cluster is not a fragment.
    }
    return this.handle();
  }

  private handle(): SourceCluster[] {
    const out: SourceCluster[] = [];
    for (const e of this.events) {
      switch (e.kind) {
        case 'info':
          this.info = { timecodeScaleNs: e.timecodeScaleNs, bytes: e.bytes };
          break;
        case 'tracks':
          this.setHeader(e.tracks, e.bytes);
          break;
        case 'cluster-start':
          this.clusterStart = e.offset;
          this.frames = this.videoFrames = 0;
          this.maxFrameTc = 0;
          this.firstVideoKey = undefined;
          break;
        case 'cluster-timecode':
          this.clusterTc = e.timecode;
          break;
        case 'frame':
          this.frame(e.track, e.timecode, e.key);
          break;
        case 'cluster-end':
          out.push(...this.finish(e.offset));
          break;
        default:
          break;
      }
    }
    this.trim();
    return out;
  }

  private setHeader(tracks: readonly TrackInfo[], tracksBytes: Uint8Array): void {
    const info = this.info ?? { timecodeScaleNs: 1_000_000, bytes: new Uint8Array(0) };
    const bytes = concatBytes([ebmlHeaderElement(), elementHeader(MatroskaId.Segment, undefined), info.bytes, tracksBytes]);
    this.videoTrack = tracks.find((t) => t.type === 1)?.number;
    this.tracksBytes = tracksBytes;
    this.header = { bytes, tracks, timecodeScaleNs: info.timecodeScaleNs, key: Buffer.from(concatBytes([info.bytes, tracksBytes])).toString('base64') };
  }

  private frame(track: number, timecode: number, key: boolean): void {
    this.frames++;
    if (timecode > this.maxFrameTc) this.maxFrameTc = timecode;
    if (track !== this.videoTrack) return;
    this.videoFrames++;
    if (this.firstVideoKey === undefined) this.firstVideoKey = key;
    const absolute = this.clusterTc + timecode;
    if (this.lastVideoTc !== undefined && absolute > this.lastVideoTc && absolute - this.lastVideoTc < 1000 * this.ticksPerMs()) {
      this.frameInterval = absolute - this.lastVideoTc;
    }
    this.lastVideoTc = absolute;
  }

  /** The Cluster just read, cut into one Cluster per GOP (cluster-cut.ts). */
  private finish(end: number): SourceCluster[] {
    if (!this.header || this.clusterStart < 0) return [];
    const bytes = this.bytesBetween(this.clusterStart, end);
    this.clusterStart = -1;
    const perMs = this.ticksPerMs();
    const cutShort = this.cutShortAt !== undefined && end > this.cutShortAt;
    const videoTrack = this.header.tracks.find((t) => t.number === this.videoTrack);
    const tidy = (frame: Uint8Array) => (videoTrack ? tidyKeyFrame(videoTrack, frame) : undefined);
    return cutAtKeyFrames(bytes, this.videoTrack, perMs, cutShort, tidy).map((c) => {
      const header = c.keyFrame ? this.headerFor(c.keyFrame) : this.header!;
      const video = header.tracks.find((t) => t.number === this.videoTrack);
      return {
        header,
        bytes: c.bytes,
        sourceMs: c.timecode / perMs,
        durationMs: (c.maxBlockTc + this.frameInterval) / perMs,
        lastFrameMs: c.maxBlockTc / perMs,
        videoStartMs: c.videoStartTc / perMs,
        frameMs: video?.defaultDurationNs ? video.defaultDurationNs / 1_000_000 : undefined,
        startsWithKey: c.startsWithKey && !(video && c.keyFrame && !startsWholePicture(video, c.keyFrame)),
        frames: c.frames,
        videoFrames: c.videoFrames,
      };
    });
  }

  /** The header for a GOP opening with this key frame: a new one when it carries new parameter sets. */
  private headerFor(keyFrame: Uint8Array): SourceHeader {
    const header = this.header!;
    const video = header.tracks.find((t) => t.number === this.videoTrack);
    const change = video && this.tracksBytes ? inBandChange(video, keyFrame) : undefined;
    if (!change) return header;
    const tracks = replaceVideoTrack(this.tracksBytes!, video!.number, change);
    this.setHeader(tracks.tracks, tracks.bytes);
    return this.header!;
  }

  private ticksPerMs(): number {
    return 1_000_000 / (this.header?.timecodeScaleNs ?? 1_000_000);
  }

  /** A copy of stream bytes [start, end) from the kept chunks. */
  private bytesBetween(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let at = this.base;
    for (const c of this.chunks) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + c.length);
      if (to > from) out.set(c.subarray(from - at, to - at), from - start);
      at += c.length;
    }
    return out;
  }

  /**
   * Drops chunks wholly before the Cluster being read. Between Clusters the last few bytes stay:
   * a Cluster header split across chunks is reported with the offset of its first byte.
   */
  private trim(): void {
    const streamEnd = this.base + this.chunks.reduce((n, c) => n + c.length, 0);
    const keepFrom = this.clusterStart >= 0 ? this.clusterStart : streamEnd - 64;
    while (this.chunks.length > 0) {
      const first = this.chunks[0]!;
      if (this.base + first.length > keepFrom) break;
      this.chunks.shift();
      this.base += first.length;
    }
  }
}
