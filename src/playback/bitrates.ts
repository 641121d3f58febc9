/**
 * Bit rates for BANDWIDTH (RFC 8216 §4.3.4.2, the peak of the variant) and DASH @bandwidth
 * (ISO/IEC 23009-1 §5.3.5.2, per Representation), measured on stored fragments: their sizes for
 * the whole stream, their frame indexes for each track.
 */
import { decodeFrameIndex } from '../domain/frame-index.js';
import type { IndexStore } from '../storage/index-store.js';
import type { ListedFragment } from './playlist-window.js';

/** Fragments whose frame index is read per manifest: the peak of a few is a fair sample, and cheap. */
const SAMPLED_FRAGMENTS = 3;
/** A floor, so that a player never divides by zero or starves on a silent sample. */
const MIN_BITS_PER_SECOND = 1000;

export interface StreamBitrates {
  /** Peak over the listed fragments of bytes × 8 / duration, all tracks. */
  readonly peak: number;
  /** Total bytes × 8 / total duration of the listed fragments. */
  readonly average: number;
  /** Per track number, peak over a few sampled fragments. */
  readonly perTrack: ReadonlyMap<number, number>;
}

export async function streamBitrates(index: IndexStore, streamId: number, fragments: readonly ListedFragment[]): Promise<StreamBitrates> {
  let peak = 0;
  let bytes = 0;
  let durationMs = 0;
  for (const fragment of fragments) {
    const seconds = Math.max(fragment.durationMs, 1) / 1000;
    peak = Math.max(peak, (fragment.size * 8) / seconds);
    bytes += fragment.size;
    durationMs += Math.max(fragment.durationMs, 1);
  }
  const perTrack = await trackBitrates(index, streamId, fragments.slice(-SAMPLED_FRAGMENTS));
  return { peak: Math.max(peak, MIN_BITS_PER_SECOND), average: Math.max((bytes * 8000) / Math.max(durationMs, 1), MIN_BITS_PER_SECOND), perTrack };
}

async function trackBitrates(index: IndexStore, streamId: number, sample: readonly ListedFragment[]): Promise<Map<number, number>> {
  const peaks = new Map<number, number>();
  const records = await Promise.all(sample.map((f) => index.getFragment(streamId, f.fragmentNumber)));
  for (const record of records) {
    if (!record) continue;
    const bytesPerTrack = new Map<number, number>();
    for (const frame of decodeFrameIndex(record.frameIndex)) bytesPerTrack.set(frame.track, (bytesPerTrack.get(frame.track) ?? 0) + frame.size);
    const seconds = Math.max(record.durationMs, 1) / 1000;
    for (const [track, trackBytes] of bytesPerTrack) peaks.set(track, Math.max(peaks.get(track) ?? MIN_BITS_PER_SECOND, (trackBytes * 8) / seconds));
  }
  return peaks;
}
