/**
 * A GetClip MP4 planned from KVS fragments: which payload bytes to stream, and the ftyp + moov +
 * mdat header to send before them. Payloads go into mdat in storage order (each fragment's frames
 * as they were received), so the caller reads each fragment once, front to back.
 *
 * Timing: video at 90 kHz and audio at its sampling rate; audio frames snapped to their
 * 1024-sample grid while the stored millisecond times allow it; decode times derived from the
 * presentation times (timing.ts); an edit list per track so every track starts at its first
 * presented frame and tracks keep their relative offsets.
 */
import type { TrackCodec } from '../codecs/track-codec.js';
import { collectSamples, type IndexedFragment } from './fragment-samples.js';
import { buildProgressiveHeader, type ProgressiveTrack } from './progressive.js';
import { VIDEO_TIMESCALE, mediaTimescale } from './timing.js';
import { trackTimeline } from './track-timing.js';

export interface ClipTrack {
  readonly trackNumber: number;
  readonly codec: TrackCodec;
}

export interface ClipRequest {
  /** Tracks in the order their trak boxes get (track_ID 1, 2, …). */
  readonly tracks: readonly ClipTrack[];
  readonly timecodeScaleNs: number;
  /** In clip order (ascending time); the clip's time 0 is the earliest presented frame. */
  readonly fragments: readonly IndexedFragment[];
}

export interface ClipPlan {
  /** Bytes before the first payload. */
  readonly header: Uint8Array;
  readonly totalBytes: number;
  /** Per fragment, [offset, size] pairs of the payloads to stream after `header`, in order. */
  readonly payloadRanges: readonly Uint32Array[];
  /** Presentation length of the clip, ms. */
  readonly durationMs: number;
}

/** Plans the clip; tracks without a single frame in `fragments` are left out. */
export function planProgressiveClip(request: ClipRequest): ClipPlan {
  const first = request.fragments[0];
  if (!first) throw new RangeError('a clip needs at least one fragment');
  const selection = request.tracks.map((t) => ({ trackNumber: t.trackNumber, timescale: mediaTimescale(t.codec) }));
  const collected = collectSamples(request.fragments, selection, request.timecodeScaleNs, first.producerTimestampMs);
  const present = request.tracks.map((track, t) => ({ track, samples: collected.tracks[t]! })).filter((p) => p.samples.sizes.length > 0);
  const timelines = present.map((p) => trackTimeline(p.track.codec, p.samples, { timecodeScaleNs: request.timecodeScaleNs }));
  const movieTimescale = present.some((p) => p.track.codec.media === 'video') ? VIDEO_TIMESCALE : (present[0]?.samples.timescale ?? VIDEO_TIMESCALE);
  const starts = present.map((p, k) => rescaleNearest(timelines[k]!.presentationStart, p.samples.timescale, movieTimescale));
  const movieStart = Math.min(...starts);
  const progressiveTracks: ProgressiveTrack[] = present.map((p, k) => ({
    trackId: k + 1,
    codec: p.track.codec,
    timescale: p.samples.timescale,
    timeline: timelines[k]!,
    sizes: p.samples.sizes,
    keys: p.samples.keys,
    startDelay: starts[k]! - movieStart,
  }));
  // Dropped tracks have no frames in the order, but the indexes of the tracks after them move down.
  let kept = 0;
  const remap = collected.tracks.map((samples) => (samples.sizes.length > 0 ? kept++ : -1));
  const mdatOrder = collected.order.map((t) => remap[t]!);
  const built = buildProgressiveHeader({ tracks: progressiveTracks, mdatOrder, movieTimescale });
  const durationTicks = Math.max(...progressiveTracks.map((t) => rescaleNearest(t.timeline.presentationDuration, t.timescale, movieTimescale) + t.startDelay));
  return {
    header: built.header,
    totalBytes: built.fileBytes,
    payloadRanges: collected.payloadRanges,
    durationMs: (durationTicks * 1000) / movieTimescale,
  };
}

function rescaleNearest(ticks: number, from: number, to: number): number {
  return from === to ? ticks : Math.round((ticks * to) / from);
}
