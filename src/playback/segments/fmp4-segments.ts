/**
 * HLS fMP4 (RFC 8216 §3.3) and DASH (ISO/IEC 23009-1 §6.3.4) segments of KVS fragments, one
 * track each as KVS serves them (TrackNumber), or every track together. Pure: the stored track
 * header and the fragment's frame index in, the init segment or a media segment's header and its
 * payload byte ranges out; segment-io.ts streams the payloads from storage.
 *
 * Timing (ISO/IEC 14496-12 §8.8.12, §8.8.8): decode times are the frames' presentation times in
 * order, and B-frames get signed composition offsets (trun version 1, as CMAF does), so a
 * segment's tfdt is its earliest presented frame on the session timeline (timeline.ts) and no
 * edit list is needed: browsers' MSE ignores edit lists on video, and the init segment cannot
 * know a reorder delay anyway. Video counts at 90 kHz and audio at its sampling rate, with audio
 * frames snapped to their 1024-sample grid wherever the stored millisecond times allow.
 */
import { decodeFrameIndex } from '../../domain/frame-index.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { ResourceNotFoundException } from '../../domain/errors.js';
import { collectSamples, type SampleCollection } from '../../formats/isobmff/fragment-samples.js';
import { buildInitSegment, buildMediaSegmentHeader, segmentRun, type SegmentRun } from '../../formats/isobmff/fragmented.js';
import { trackTimeline } from '../../formats/isobmff/track-timing.js';
import { segmentTracks, type SegmentTrack, type TrackSelection } from './segment-tracks.js';
import { checkedStartMs, segmentSequenceNumber, type SegmentTiming } from './timeline.js';

/** ftyp + moov for the selected tracks; each track's MP4 track_ID is its TrackNumber. */
export function initSegment(trackHeader: Uint8Array, selection: TrackSelection): Uint8Array {
  const { tracks } = segmentTracks(trackHeader, selection);
  return buildInitSegment(tracks.map((track) => ({ trackId: track.trackNumber, codec: track.codec, timescale: track.timescale })));
}

export interface MediaSegmentPlan {
  /** styp + moof + mdat header: every byte before the first payload. */
  readonly header: Uint8Array;
  /** [offset, size] pairs within the fragment's stored bytes, in mdat order: one track's frames after the other's. */
  readonly payloadRanges: Uint32Array;
  /** header + payloads: the segment's Content-Length. */
  readonly byteLength: number;
}

/**
 * A media segment of the selected tracks of one fragment. ResourceNotFoundException when the
 * fragment holds no frame of a track asked for by number (PutMedia lets no such fragment in).
 */
export function planMediaSegment(fragment: FragmentRecord, trackHeader: Uint8Array, selection: TrackSelection, timing: SegmentTiming): MediaSegmentPlan {
  const { timecodeScaleNs, tracks } = segmentTracks(trackHeader, selection);
  const startMs = checkedStartMs(timing);
  const frames = decodeFrameIndex(fragment.frameIndex);
  const selected = tracks.map(({ trackNumber, timescale }) => ({ trackNumber, timescale }));
  const collected = collectSamples([{ producerTimestampMs: startMs, frames }], selected, timecodeScaleNs, 0);
  const present = tracks.flatMap((track, i) => (collected.tracks[i]!.sizes.length > 0 ? [{ track, index: i }] : []));
  if (present.length === 0 || (selection !== 'all' && present.length < tracks.length)) {
    throw new ResourceNotFoundException(`Fragment ${fragment.fragmentNumber} has no frames of track ${selection === 'all' ? 'any' : selection}.`);
  }
  const runs = present.map(({ track, index }) => trackRun(track, collected, index, timecodeScaleNs));
  const built = buildMediaSegmentHeader({ sequenceNumber: segmentSequenceNumber(fragment, timing), runs, segmentType: true });
  const payloadRanges = mdatOrder(collected, present.map((p) => p.index));
  return { header: built.header, payloadRanges, byteLength: built.header.length + built.payloadBytes };
}

function trackRun(track: SegmentTrack, collected: SampleCollection, index: number, timecodeScaleNs: number): SegmentRun {
  const samples = collected.tracks[index]!;
  const timeline = trackTimeline(track.codec, samples, { timecodeScaleNs, negativeOffsets: true });
  return segmentRun(track.trackNumber, timeline, samples);
}

/** The payload ranges of each listed track in turn, each track's frames in storage (decode) order. */
function mdatOrder(collected: SampleCollection, trackIndexes: readonly number[]): Uint32Array {
  const ranges = collected.payloadRanges[0]!;
  const out = new Uint32Array(collected.order.length * 2);
  let at = 0;
  for (const index of trackIndexes) {
    for (let frame = 0; frame < collected.order.length; frame++) {
      if (collected.order[frame] !== index) continue;
      out[at++] = ranges[2 * frame]!;
      out[at++] = ranges[2 * frame + 1]!;
    }
  }
  return out.subarray(0, at);
}
