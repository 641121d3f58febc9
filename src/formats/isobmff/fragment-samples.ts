/**
 * KVS fragments as MP4 samples: the frame index written at ingest (per frame: track, timecode
 * relative to the Cluster in TimecodeScale ticks, duration, key flag, payload range) turned into
 * per-track sample lists in each track's media timescale, plus the payload byte ranges to stream,
 * in storage order. No Matroska is re-parsed; payloads are copied by the caller, straight from
 * storage. Used by GetClip and by fMP4 media segments alike.
 */
import { msAndNsToTicks, nsToTicks } from './timing.js';

/** One frame of the frame index (structurally domain/fragment.ts FrameEntry). */
export interface IndexedFrame {
  readonly track: number;
  readonly timecode: number;
  readonly duration: number;
  readonly key: boolean;
  readonly offset: number;
  readonly size: number;
}

export interface IndexedFragment {
  /** The fragment's Cluster timecode on the stream's timeline (producer timestamp, ms). */
  readonly producerTimestampMs: number;
  /** In storage order (decode order within each track). */
  readonly frames: readonly IndexedFrame[];
}

export interface SampleTrackSelection {
  readonly trackNumber: number;
  /** Media timescale the times are converted to. */
  readonly timescale: number;
}

export interface TrackSamples {
  readonly trackNumber: number;
  readonly timescale: number;
  /** Presentation time of each sample, decode order, in ticks since the origin. */
  readonly presentationTimes: number[];
  /** Stored duration in ticks; 0 where the frame index has none. */
  readonly storedDurations: number[];
  readonly sizes: number[];
  readonly keys: boolean[];
}

export interface SampleCollection {
  /** In selection order. */
  readonly tracks: readonly TrackSamples[];
  /** For each collected frame in storage order (fragment by fragment), its index in `tracks`. */
  readonly order: Uint8Array;
  /** Per fragment: [offset, size] pairs of its collected frames' payloads, in storage order. */
  readonly payloadRanges: readonly Uint32Array[];
}

/**
 * Collects the frames of the selected tracks. Times are `producerTimestampMs - originMs` plus the
 * frame's timecode × `timecodeScaleNs`, rounded once per frame, so nothing accumulates.
 */
export function collectSamples(
  fragments: readonly IndexedFragment[],
  selection: readonly SampleTrackSelection[],
  timecodeScaleNs: number,
  originMs: number,
): SampleCollection {
  const indexOf = new Map(selection.map((s, i) => [s.trackNumber, i]));
  const tracks: TrackSamples[] = selection.map((s) => ({ ...s, presentationTimes: [], storedDurations: [], sizes: [], keys: [] }));
  const order: number[] = [];
  const payloadRanges = fragments.map((fragment) => {
    const ranges: number[] = [];
    const baseMs = fragment.producerTimestampMs - originMs;
    for (const frame of fragment.frames) {
      const t = indexOf.get(frame.track);
      if (t === undefined) continue;
      const track = tracks[t]!;
      track.presentationTimes.push(msAndNsToTicks(baseMs, frame.timecode * timecodeScaleNs, track.timescale));
      track.storedDurations.push(nsToTicks(frame.duration * timecodeScaleNs, track.timescale));
      track.sizes.push(frame.size);
      track.keys.push(frame.key);
      order.push(t);
      ranges.push(frame.offset, frame.size);
    }
    return Uint32Array.from(ranges);
  });
  return { tracks, order: Uint8Array.from(order), payloadRanges };
}
