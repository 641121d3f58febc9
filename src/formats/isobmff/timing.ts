/**
 * Media time for MP4: track timescales, Matroska nanoseconds → timescale ticks without drift, and
 * decode times for frames that Matroska gives only presentation times for.
 *
 * Matroska block timestamps are presentation times (RFC 9559 §10.1) and blocks are stored in
 * decode order. MP4 wants decode times (stts / tfdt + trun durations) plus composition offsets
 * (ctts / trun). Decode times here are the sorted presentation times, pushed back by the largest
 * reorder delay so that no frame is decoded after it is shown (ISO/IEC 14496-12 §8.6.1.1).
 */
import type { TrackCodec } from '../codecs/track-codec.js';

/** 90 kHz: the MPEG system clock, exact for every common frame rate and for millisecond timecodes. */
export const VIDEO_TIMESCALE = 90_000;
const NS_PER_SECOND = 1_000_000_000;

/** Video at 90 kHz; audio at its sampling rate, so every AAC / G.711 frame lasts a whole number of ticks. */
export function mediaTimescale(codec: TrackCodec): number {
  return codec.media === 'video' ? VIDEO_TIMESCALE : codec.sampleRate;
}

/**
 * `ns` nanoseconds (a safe integer, may be negative) as ticks of `timescale`, rounded to the
 * nearest tick. Whole seconds convert exactly, so absolute times never drift; only the sub-second
 * remainder is rounded, in integer arithmetic that stays exact for timescales up to 9·10⁶.
 */
export function nsToTicks(ns: number, timescale: number): number {
  const seconds = Math.floor(ns / NS_PER_SECOND);
  const remainderNs = ns - seconds * NS_PER_SECOND;
  const product = remainderNs * timescale;
  if (!Number.isSafeInteger(product)) {
    const exact = (BigInt(remainderNs) * BigInt(timescale) * 2n + BigInt(NS_PER_SECOND)) / (2n * BigInt(NS_PER_SECOND));
    return seconds * timescale + Number(exact);
  }
  return seconds * timescale + Math.floor((2 * product + NS_PER_SECOND) / (2 * NS_PER_SECOND));
}

/**
 * A time given as whole milliseconds (epoch-sized values are fine) plus nanoseconds, as ticks of
 * `timescale` rounded to the nearest: the form KVS times take (producer timestamp in ms, then a
 * frame's offset in TimecodeScale units).
 */
export function msAndNsToTicks(ms: number, ns: number, timescale: number): number {
  const seconds = Math.floor(ms / 1000);
  return seconds * timescale + nsToTicks((ms - seconds * 1000) * 1_000_000 + ns, timescale);
}

/** `ticks` of `from` in units of `to`, rounded up (an edit that ends early would drop a frame). */
export function rescaleUp(ticks: number, from: number, to: number): number {
  if (from === to) return ticks;
  const product = ticks * to;
  if (Number.isSafeInteger(product)) return Math.ceil(product / from);
  return Number((BigInt(ticks) * BigInt(to) + BigInt(from) - 1n) / BigInt(from));
}

/**
 * Snaps audio frame times onto the grid their nominal durations make (1024 samples an AAC frame),
 * as long as each stays within `toleranceTicks` of its stored time: millisecond Matroska
 * timecodes jitter by up to half a millisecond, real gaps are larger and are kept. With
 * `previousEnd` (where the track's previous segment ended) the first frame snaps onto that too.
 */
export function snapToFrameGrid(times: ArrayLike<number>, nominalDurations: ArrayLike<number>, toleranceTicks: number, previousEnd?: number): Float64Array {
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const stored = times[i] as number;
    const expected = i > 0 ? out[i - 1]! + (nominalDurations[i - 1] as number) : (previousEnd ?? stored);
    out[i] = Math.abs(stored - expected) <= toleranceTicks ? expected : stored;
  }
  return out;
}

export interface DecodeTimeline {
  /** Decode time of the first sample, in the presentation times' time base (≤ presentationStart). */
  readonly firstDecodeTime: number;
  /** stts / trun sample_duration: decode time delta of each sample, the last one included. */
  readonly durations: Uint32Array;
  /** ctts / trun sample_composition_time_offset; undefined when every offset is 0. */
  readonly compositionOffsets: Int32Array | undefined;
  /** Earliest presentation time. */
  readonly presentationStart: number;
  /** From the earliest presentation time to the end of the last presented frame. */
  readonly presentationDuration: number;
  /** Where the first presented frame sits on the media timeline that starts at the first decode time (the edit's media_time). */
  readonly editMediaTime: number;
}

export interface DecodeTimelineOptions {
  /** How long the last sample lasts (its stored duration or a nominal one); ≤ 0: the previous delta. */
  readonly lastDuration: number;
  /**
   * How decode times relate to presentation times (all keep decode order = storage order):
   * - default: decode times are the sorted presentation times shifted back by the largest
   *   reorder delay these samples need, so offsets are ≥ 0 (ctts version 0, which every player
   *   reads); the edit list's media_time hides the shift. For a progressive file.
   * - `negativeOffsets`: decode times are the sorted presentation times; offsets may be negative
   *   (trun / ctts version 1), no edit list needed.
   * - `decodeShift`: decode times are the sorted presentation times and every composition time
   *   is pushed `decodeShift` later, so segments built one at a time share one constant offset,
   *   which the init segment's edit list (media_time = decodeShift) takes back.
   */
  readonly negativeOffsets?: boolean;
  readonly decodeShift?: number;
}

/** Decode times, durations and composition offsets for presentation times given in decode order. */
export function decodeTimeline(presentationTimes: ArrayLike<number>, options: DecodeTimelineOptions): DecodeTimeline {
  const count = presentationTimes.length;
  if (count === 0) throw new RangeError('a track needs at least one sample');
  const sorted = Float64Array.from(presentationTimes).sort();
  const compositionShift = options.decodeShift ?? 0;
  const shiftDecodeBack = !options.negativeOffsets && options.decodeShift === undefined;
  const decode = strictlyIncreasing(sorted);
  if (shiftDecodeBack) {
    let delay = 0;
    for (let i = 0; i < count; i++) delay = Math.max(delay, decode[i]! - (presentationTimes[i] as number));
    for (let i = 0; i < count; i++) decode[i]! -= delay;
  }
  const durations = new Uint32Array(count);
  for (let i = 0; i + 1 < count; i++) durations[i] = decode[i + 1]! - decode[i]!;
  durations[count - 1] = options.lastDuration > 0 ? options.lastDuration : count > 1 ? durations[count - 2]! : 1;
  const offsets = new Int32Array(count);
  let anyOffset = false;
  for (let i = 0; i < count; i++) {
    offsets[i] = (presentationTimes[i] as number) + compositionShift - decode[i]!;
    if (offsets[i] !== 0) anyOffset = true;
  }
  const presentationStart = sorted[0]!;
  const presentationEnd = Math.max(sorted[count - 1]!, decode[count - 1]!) + durations[count - 1]!;
  return {
    firstDecodeTime: decode[0]!,
    durations,
    compositionOffsets: anyOffset ? offsets : undefined,
    presentationStart,
    presentationDuration: presentationEnd - presentationStart,
    editMediaTime: presentationStart + compositionShift - decode[0]!,
  };
}

/** The sorted times, nudged up a tick where equal ones would give a zero-length sample. */
function strictlyIncreasing(sorted: Float64Array): Float64Array {
  const out = Float64Array.from(sorted);
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i]!, out[i - 1]! + 1);
  return out;
}
