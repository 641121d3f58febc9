/**
 * Fragmented MP4 (ISO/IEC 14496-12 §8.8; the shape HLS fMP4 — RFC 8216 §3.3 — and DASH —
 * ISO/IEC 23009-1 §6.3.4 — segments take): an init segment (ftyp + moov with empty sample tables
 * and mvex), and for each media segment the bytes before its payloads (optional styp, moof, mdat
 * header). Payloads are streamed by the caller after the header: every sample of the first run in
 * decode order, then every sample of the next run, and so on.
 */
import type { TrackCodec } from '../codecs/track-codec.js';
import { boxHeader, containerBox } from './box.js';
import { mfhd, moof, mvex, runFlagsLayout, tfdt, tfhd, traf, trun, type TrackRun } from './fragment-boxes.js';
import { ftyp, mvhd, styp } from './movie-boxes.js';
import { chunkOffsets, stsc, stsz, stts } from './sample-table-boxes.js';
import type { DecodeTimeline } from './timing.js';
import { trak } from './track-boxes.js';

export interface FragmentedTrack {
  readonly trackId: number;
  readonly codec: TrackCodec;
  /** Media timescale: tfdt and trun durations count in it. */
  readonly timescale: number;
  /**
   * The decode delay its segments use (decodeShift, media ticks): the init segment's edit list
   * then starts presentation that much into the media timeline (ISO/IEC 14496-12 §8.6.6).
   */
  readonly editMediaTime?: number;
}

/** `iso6` brings tfdt and signed trun offsets (ISO/IEC 14496-12 §E.7); `cmfc` would also claim CMAF. */
const INIT_BRANDS = ['iso6', 'isom', 'mp41'];
const SEGMENT_BRANDS = ['msdh', 'msix'];

/** ftyp + moov (mvhd, one trak per track with empty sample tables, mvex / trex). */
export function buildInitSegment(tracks: readonly FragmentedTrack[], movieTimescale = 1000): Uint8Array {
  const traks = tracks.map((track) =>
    trak({
      trackId: track.trackId,
      codec: track.codec,
      timescale: track.timescale,
      mediaDuration: 0,
      movieDuration: 0,
      // segment_duration 0: the edit spans the whole (fragmented, open-ended) media.
      edits: track.editMediaTime ? [{ segmentDuration: 0, mediaTime: track.editMediaTime }] : [],
      sampleTables: [stts([]), stsc([]), stsz([]), chunkOffsets([], false)],
    }),
  );
  const nextTrackId = Math.max(0, ...tracks.map((t) => t.trackId)) + 1;
  const moov = containerBox('moov', [mvhd(movieTimescale, 0, nextTrackId), ...traks, mvex(tracks.map((t) => t.trackId))]);
  const fileType = ftyp('iso6', 0, INIT_BRANDS);
  const out = new Uint8Array(fileType.length + moov.length);
  out.set(fileType, 0);
  out.set(moov, fileType.length);
  return out;
}

export interface SegmentRun extends TrackRun {
  readonly trackId: number;
  /** Decode time of the run's first sample, in the track's media timescale (tfdt). */
  readonly baseDecodeTime: number;
}

export interface MediaSegmentOptions {
  /** mfhd sequence_number: increasing from 1 across a track's segments. */
  readonly sequenceNumber: number;
  readonly runs: readonly SegmentRun[];
  /** Start with an styp box (DASH media segments, ISO/IEC 23009-1 §6.3.4.2). */
  readonly segmentType?: boolean;
}

export interface MediaSegmentHeader {
  /** [styp] + moof + mdat header: every byte before the first payload. */
  readonly header: Uint8Array;
  /** Sum of every run's payload sizes: what follows `header`. */
  readonly payloadBytes: number;
}

/** The bytes of a media segment that precede its payloads. */
export function buildMediaSegmentHeader(options: MediaSegmentOptions): MediaSegmentHeader {
  const runBytes = options.runs.map((run) => sumOf(run.sizes));
  const payloadBytes = runBytes.reduce((a, b) => a + b, 0);
  const mdatHead = boxHeader('mdat', payloadBytes);
  // trun data offsets count from the moof's first byte; its size does not depend on their values.
  const sized = buildMoof(options, runBytes, 0);
  const fragment = buildMoof(options, runBytes, sized.length + mdatHead.length);
  const typeBox = options.segmentType ? styp('msdh', 0, SEGMENT_BRANDS) : new Uint8Array(0);
  const header = new Uint8Array(typeBox.length + fragment.length + mdatHead.length);
  header.set(typeBox, 0);
  header.set(fragment, typeBox.length);
  header.set(mdatHead, typeBox.length + fragment.length);
  return { header, payloadBytes };
}

function buildMoof(options: MediaSegmentOptions, runBytes: readonly number[], firstPayloadOffset: number): Uint8Array {
  let dataOffset = firstPayloadOffset;
  const trafs = options.runs.map((run, r) => {
    const layout = runFlagsLayout(run.keys);
    const box = traf([tfhd(run.trackId, layout.defaultFlags), tfdt(run.baseDecodeTime), trun(run, dataOffset, layout)]);
    dataOffset += runBytes[r]!;
    return box;
  });
  return moof([mfhd(options.sequenceNumber), ...trafs]);
}

function sumOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum;
}

/** A track's run for one media segment, from its decode timeline (track-timing.ts) and samples. */
export function segmentRun(trackId: number, timeline: DecodeTimeline, samples: Pick<TrackRun, 'sizes' | 'keys'>): SegmentRun {
  if (timeline.firstDecodeTime < 0) throw new RangeError(`track ${trackId} would start decoding at ${timeline.firstDecodeTime}, before the media timeline`);
  return {
    trackId,
    baseDecodeTime: timeline.firstDecodeTime,
    durations: timeline.durations,
    sizes: samples.sizes,
    keys: samples.keys,
    compositionOffsets: timeline.compositionOffsets,
  };
}
