import { IngestError } from '../domain/acks.js';
import type { FragmentTag, FrameEntry } from '../domain/fragment.js';
import type { MkvEvent, MkvTag, TrackInfo } from '../formats/matroska/events.js';
import {
  END_OF_FRAGMENT_TAG,
  MAX_FRAGMENT_BYTES,
  MAX_FRAGMENT_DURATION_MS,
  MAX_METADATA_ITEMS,
  MAX_METADATA_NAME_BYTES,
  MAX_METADATA_VALUE_BYTES,
  PRODUCER_AWS_TAGS,
} from './limits.js';

/** What a session knows from the Info and Tracks it was sent. */
export interface SessionHeader {
  readonly headerId: number;
  readonly timecodeScaleNs: number;
  readonly tracks: ReadonlyMap<number, TrackInfo>;
}

type FrameEvent = Extract<MkvEvent, { kind: 'frame' }>;

/**
 * One fragment while its Cluster streams in: the frame index grows frame by frame and every
 * per-fragment rule of PutMedia is checked as early as the data allows.
 */
export class FragmentAssembly {
  readonly frames: FrameEntry[] = [];
  readonly tags: FragmentTag[] = [];
  clusterTimecode: number | undefined;
  /** Body offset one past the Cluster, once it is complete. */
  endOffset: number | undefined;
  private minTimecode = Infinity;
  private maxEnd = -Infinity;
  private lastAbsoluteTimecode: number | undefined;

  constructor(
    readonly fragmentNumber: string,
    /** Body offset of the Cluster's first byte. */
    readonly startOffset: number,
    readonly serverTimestampMs: number,
    readonly header: SessionHeader,
  ) {}

  get identity() {
    return { clusterTimecode: this.clusterTimecode ?? 0, fragmentNumber: this.fragmentNumber };
  }

  /** Absolute timecode (ticks) of the frame sent first, and of the frame sent last. */
  get firstFrameTimecode(): number | undefined {
    const first = this.frames[0];
    return first && (this.clusterTimecode ?? 0) + first.timecode;
  }

  get lastFrameTimecode(): number | undefined {
    return this.lastAbsoluteTimecode;
  }

  addFrame(event: FrameEvent): FrameEntry {
    const track = this.header.tracks.get(event.track);
    if (!track) throw new IngestError('TRACK_NUMBER_MISMATCH', `a frame of track ${event.track}, which Tracks does not declare`);
    const defaultTicks = track.defaultDurationNs === undefined ? undefined : Math.round(track.defaultDurationNs / this.header.timecodeScaleNs);
    const timecode = event.timecode + event.laceIndex * (defaultTicks ?? 0);
    const frame: FrameEntry = {
      track: event.track,
      timecode,
      duration: event.duration ?? defaultTicks ?? 0,
      key: event.key,
      offset: event.offset - this.startOffset,
      size: event.size,
    };
    if (frame.offset + frame.size > MAX_FRAGMENT_BYTES) {
      throw new IngestError('MAX_FRAGMENT_SIZE_REACHED', `fragment passes ${MAX_FRAGMENT_BYTES} bytes`);
    }
    this.frames.push(frame);
    this.minTimecode = Math.min(this.minTimecode, timecode);
    this.maxEnd = Math.max(this.maxEnd, timecode + frame.duration);
    this.lastAbsoluteTimecode = (this.clusterTimecode ?? 0) + timecode;
    if (this.durationMs() > MAX_FRAGMENT_DURATION_MS) {
      throw new IngestError('MAX_FRAGMENT_DURATION_REACHED', `fragment passes ${MAX_FRAGMENT_DURATION_MS} ms`);
    }
    return frame;
  }

  /** Checks the size of a Cluster as it grows (also for clusters whose frames are still arriving). */
  checkSize(bodyOffset: number): void {
    if (bodyOffset - this.startOffset > MAX_FRAGMENT_BYTES) {
      throw new IngestError('MAX_FRAGMENT_SIZE_REACHED', `fragment passes ${MAX_FRAGMENT_BYTES} bytes`);
    }
  }

  /** Adds producer metadata; returns whether it asked to close the fragment now. */
  addTags(tags: readonly MkvTag[]): boolean {
    let endOfFragment = false;
    for (const tag of tags) {
      if (tag.name === END_OF_FRAGMENT_TAG) {
        endOfFragment = true;
        continue;
      }
      checkMetadataItem(tag);
      this.tags.push({ name: tag.name, value: tag.value });
    }
    if (this.tags.length > MAX_METADATA_ITEMS) {
      throw new IngestError('FRAGMENT_METADATA_LIMIT_REACHED', `more than ${MAX_METADATA_ITEMS} metadata items`);
    }
    return endOfFragment;
  }

  durationMs(): number {
    if (this.frames.length === 0) return 0;
    return Math.round(((this.maxEnd - this.minTimecode) * this.header.timecodeScaleNs) / 1e6);
  }

  /** The Cluster is complete: every declared track must have sent a frame. */
  checkComplete(): void {
    for (const track of this.header.tracks.keys()) {
      if (!this.frames.some((f) => f.track === track)) {
        throw new IngestError('FRAMES_MISSING_FOR_TRACK', `no frame of track ${track} in the fragment`);
      }
    }
  }
}

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

function checkMetadataItem(tag: MkvTag): void {
  if (utf8Length(tag.name) > MAX_METADATA_NAME_BYTES || utf8Length(tag.value) > MAX_METADATA_VALUE_BYTES) {
    throw new IngestError('FRAGMENT_METADATA_LIMIT_REACHED', `metadata ${tag.name.slice(0, 40)} is too long`);
  }
  if (tag.name.startsWith('AWS') && !PRODUCER_AWS_TAGS.has(tag.name)) {
    throw new IngestError('FRAGMENT_METADATA_LIMIT_REACHED', `metadata name ${tag.name} is reserved`);
  }
}
