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
  readonly presentationTimes: Float64Array;
  /** Stored duration in ticks; 0 where the frame index has none. */
  readonly storedDurations: Float64Array;
  readonly sizes: Uint32Array;
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
 * frame's timecode × `timecodeScaleNs`, rounded once per frame, so nothing accumulates. Arrays
 * are sized by a counting pass first: a 200-fragment clip has tens of thousands of frames.
 */
export function collectSamples(
  fragments: readonly IndexedFragment[],
  selection: readonly SampleTrackSelection[],
  timecodeScaleNs: number,
  originMs: number,
): SampleCollection {
  const indexOf = new Map(selection.map((s, i) => [s.trackNumber, i]));
  const counts = selection.map(() => 0);
  const perFragment = fragments.map((fragment) => {
    let selected = 0;
    for (const frame of fragment.frames) {
      const t = indexOf.get(frame.track);
      if (t === undefined) continue;
      counts[t]! += 1;
      selected++;
    }
    return selected;
  });
  const tracks: TrackSamples[] = selection.map((s, t) => ({
    ...s,
    presentationTimes: new Float64Array(counts[t]!),
    storedDurations: new Float64Array(counts[t]!),
    sizes: new Uint32Array(counts[t]!),
    keys: new Array<boolean>(counts[t]!).fill(false),
  }));
  const order = new Uint8Array(perFragment.reduce((a, b) => a + b, 0));
  const filled = selection.map(() => 0);
  let k = 0;
  const payloadRanges = fragments.map((fragment, f) => {
    const ranges = new Uint32Array(2 * perFragment[f]!);
    let r = 0;
    const baseMs = fragment.producerTimestampMs - originMs;
    for (const frame of fragment.frames) {
      const t = indexOf.get(frame.track);
      if (t === undefined) continue;
      const track = tracks[t]!;
      const i = filled[t]!++;
      track.presentationTimes[i] = msAndNsToTicks(baseMs, frame.timecode * timecodeScaleNs, track.timescale);
      track.storedDurations[i] = frame.duration === 0 ? 0 : nsToTicks(frame.duration * timecodeScaleNs, track.timescale);
      track.sizes[i] = frame.size;
      track.keys[i] = frame.key;
      order[k++] = t;
      ranges[r++] = frame.offset;
      ranges[r++] = frame.size;
    }
    return ranges;
  });
  return { tracks, order, payloadRanges };
}
