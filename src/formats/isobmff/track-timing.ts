/**
 * Decode timelines for the samples of one track (fragment-samples.ts), the same way for a whole
 * clip and for one media segment: video keeps its stored presentation times; audio is snapped to
 * its frame grid (1024 samples an AAC frame, a byte a sample for G.711) wherever the stored
 * millisecond times allow, so sample durations are exact.
 */
import type { TrackCodec } from '../codecs/track-codec.js';
import type { TrackSamples } from './fragment-samples.js';
import { decodeTimeline, nsToTicks, snapToFrameGrid, type DecodeTimeline } from './timing.js';

export interface TrackTimelineOptions {
  /** TimestampScale of the stored times: one tick of it is the rounding slack audio snapping allows. */
  readonly timecodeScaleNs: number;
  /** Signed composition offsets, no decode shift (fMP4 segments); see DecodeTimelineOptions. */
  readonly negativeOffsets?: boolean;
  /** A fixed decode delay (media ticks) for every segment of a track; see DecodeTimelineOptions. */
  readonly decodeShift?: number;
  /**
   * Where the next segment of this track starts (media ticks): the last sample then lasts up to
   * it, so consecutive segments tile the timeline exactly.
   */
  readonly nextStart?: number;
  /**
   * Where the previous segment of this track ended (media ticks): an audio segment whose first
   * frame is within rounding of it starts exactly there.
   */
  readonly previousEnd?: number;
}

/** PCM samples in one audio frame: an AAC access unit is 1024 (or 960); G.711 is a byte per sample per channel. */
export function audioFrameSamples(codec: TrackCodec, payloadBytes: number): number {
  if (codec.kind === 'aac') return codec.samplesPerFrame;
  if (codec.kind === 'g711') return Math.max(1, Math.floor(payloadBytes / codec.channelCount));
  return 0;
}

export function trackTimeline(codec: TrackCodec, samples: TrackSamples, options: TrackTimelineOptions): DecodeTimeline {
  const count = samples.sizes.length;
  let times: ArrayLike<number> = samples.presentationTimes;
  let lastDuration = samples.storedDurations[count - 1] ?? 0;
  if (codec.media === 'audio') {
    const nominal = new Float64Array(count);
    for (let i = 0; i < count; i++) nominal[i] = audioFrameSamples(codec, samples.sizes[i]!);
    // One stored tick (1 ms at the usual TimecodeScale) of slack: rounding, not a gap.
    const tolerance = Math.max(1, nsToTicks(options.timecodeScaleNs, samples.timescale));
    times = snapToFrameGrid(samples.presentationTimes, nominal, tolerance, options.previousEnd);
    lastDuration = nominal[count - 1] ?? 0;
  }
  if (options.nextStart !== undefined) {
    // Decode times are the sorted presentation times, so the last one decoded is the latest shown.
    let latest = -Infinity;
    for (let i = 0; i < count; i++) latest = Math.max(latest, times[i] as number);
    if (options.nextStart > latest) lastDuration = options.nextStart - latest;
  }
  return decodeTimeline(times, { lastDuration, negativeOffsets: options.negativeOffsets ?? false, decodeShift: options.decodeShift });
}
