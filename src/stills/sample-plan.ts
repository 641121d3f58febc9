/**
 * Which frame each GetImages sample shows, and the least decoding that yields them: pure
 * planning over fragment records and their frame indexes (no bytes, no codec).
 *
 * KVS documents GetImages as "a list of images corresponding to each timestamp" (API_reader_GetImages)
 * and names no key-frame snapping, so a sample shows the frame on screen at its instant: the
 * video frame with the latest presentation time at or before it (the first frame when the
 * instant falls before every frame of the fragment that covers it). Decoding starts at the key
 * frame before that frame in decode order and stops at the last frame a sample of the GOP needs;
 * samples that share a GOP share one decode (GopJob).
 */
import type { FrameEntry, FragmentRecord } from '../domain/fragment.js';
import type { FragmentTimestampKind } from '../storage/index-store.js';

/** The sample instants of a request: from start every interval, before end; at least start. */
export interface SampleSchedule {
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
}

/**
 * How many samples a request has. The end is exclusive: a 300-s range at 3 s is 100 images
 * (0, 3, …, 297 s), and a range shorter than the interval gives the image at StartTimestamp,
 * as the SamplingInterval documentation says.
 */
export function sampleCount(s: SampleSchedule): number {
  const span = s.endMs - s.startMs;
  return span < s.intervalMs ? 1 : Math.ceil(span / s.intervalMs);
}

export function sampleTime(s: SampleSchedule, k: number): number {
  return s.startMs + k * s.intervalMs;
}

/** A fragment with its decoded frame index. */
export interface IndexedFragmentRecord {
  readonly record: FragmentRecord;
  readonly frames: readonly FrameEntry[];
}

/** One decode: frames [keyIndex, lastIndex] of a fragment's track, for the samples in `targets`. */
export interface GopJob {
  readonly fragment: IndexedFragmentRecord;
  readonly track: number;
  /** Frame-index positions (all of `track`) from the key frame to the last target, decode order. */
  readonly frameIndexes: number[];
  /** Sample number → frame-index position of the frame it shows. */
  readonly targets: { sample: number; frameIndex: number }[];
}

export type SampleOutcome = { kind: 'no-media' } | { kind: 'media-error' } | { kind: 'image'; job: GopJob };

export interface PlanInput {
  readonly by: FragmentTimestampKind;
  /** Sample numbers and their instants, ascending. */
  readonly samples: readonly { sample: number; timeMs: number }[];
  /** The fragments that may cover the samples (any order). */
  readonly fragments: readonly IndexedFragmentRecord[];
  /** Ticks of the frame index in ns, per fragment (from its track header). */
  readonly timecodeScaleNs: (fragment: FragmentRecord) => number;
  /** The video track to show for a fragment, or undefined when its track 1 is not H.264/H.265 video. */
  readonly videoTrack: (fragment: FragmentRecord) => number | undefined;
}

/** One outcome per sample, in `samples` order; samples in the same GOP share one GopJob. */
export function planSamples(input: PlanInput): SampleOutcome[] {
  const jobs = new Map<string, GopJob>();
  const ordered = orderForCoverage(input.fragments, input.by);
  return input.samples.map(({ sample, timeMs }) => {
    const fragment = coveringFragment(ordered, input.by, timeMs);
    if (!fragment) return { kind: 'no-media' };
    const track = input.videoTrack(fragment.record);
    if (track === undefined) return { kind: 'media-error' };
    const offsetMs = timeMs - stamp(fragment.record, input.by);
    const shown = frameOnScreen(fragment.frames, track, offsetMs, input.timecodeScaleNs(fragment.record));
    if (shown === undefined) return { kind: 'media-error' };
    const key = keyFrameBefore(fragment.frames, track, shown);
    if (key === undefined) return { kind: 'media-error' };
    const id = `${fragment.record.fragmentNumber}/${key}`;
    let job = jobs.get(id);
    if (!job) {
      job = { fragment, track, frameIndexes: [], targets: [] };
      jobs.set(id, job);
    }
    job.targets.push({ sample, frameIndex: shown });
    extendTo(job, key, shown);
    return { kind: 'image', job };
  });
}

function stamp(fragment: FragmentRecord, by: FragmentTimestampKind): number {
  return by === 'server' ? fragment.serverTimestampMs : fragment.producerTimestampMs;
}

/**
 * Latest start first; among equal starts the earliest ingested (smallest number) first, as
 * GetClip and HLS de-duplicate repeated producer timestamps.
 */
function orderForCoverage(fragments: readonly IndexedFragmentRecord[], by: FragmentTimestampKind): IndexedFragmentRecord[] {
  return [...fragments].sort(
    (a, b) => stamp(b.record, by) - stamp(a.record, by) || (a.record.fragmentNumber < b.record.fragmentNumber ? -1 : 1),
  );
}

/** The fragment with the latest start at or before `t` whose duration reaches past `t`. */
function coveringFragment(ordered: readonly IndexedFragmentRecord[], by: FragmentTimestampKind, t: number): IndexedFragmentRecord | undefined {
  for (const fragment of ordered) {
    const start = stamp(fragment.record, by);
    if (start > t) continue;
    return t < start + Math.max(fragment.record.durationMs, 1) ? fragment : undefined;
  }
  return undefined;
}

/** The frame of `track` presented at `offsetMs` into the fragment, or its first one before any. */
export function frameOnScreen(frames: readonly FrameEntry[], track: number, offsetMs: number, scaleNs: number): number | undefined {
  let best: number | undefined;
  let bestTime = -Infinity;
  let first: number | undefined;
  let firstTime = Infinity;
  frames.forEach((frame, i) => {
    if (frame.track !== track) return;
    const ms = (frame.timecode * scaleNs) / 1e6;
    if (ms <= offsetMs && ms > bestTime) {
      best = i;
      bestTime = ms;
    }
    if (ms < firstTime) {
      first = i;
      firstTime = ms;
    }
  });
  return best ?? first;
}

function keyFrameBefore(frames: readonly FrameEntry[], track: number, index: number): number | undefined {
  for (let i = index; i >= 0; i--) {
    const frame = frames[i]!;
    if (frame.track === track && frame.key) return i;
  }
  return undefined;
}

/** Makes the job decode every frame of its track from `key` through `last`. */
function extendTo(job: GopJob, key: number, last: number): void {
  const from = job.frameIndexes.length === 0 ? key : job.frameIndexes[job.frameIndexes.length - 1]! + 1;
  for (let i = from; i <= last; i++) {
    if (job.fragment.frames[i]!.track === job.track) job.frameIndexes.push(i);
  }
}
