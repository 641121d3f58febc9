/**
 * A progressive (non-fragmented) MP4 whose header is computed before any media byte exists:
 * ftyp, a complete moov, and the mdat header. The caller then streams the sample payloads in the
 * order it declared (`mdatOrder`), straight from storage; the chunk offsets in moov already point
 * at where each payload will land (ISO/IEC 14496-12 §8.7.4, §8.7.5).
 */
import type { TrackCodec } from '../codecs/track-codec.js';
import { boxHeader, containerBox } from './box.js';
import { ftyp, mvhd, type EditListEntry } from './movie-boxes.js';
import type { AudioBitrates } from './sample-entries.js';
import { chunkOffsets, ctts, stsc, stss, stsz, stts } from './sample-table-boxes.js';
import type { DecodeTimeline } from './timing.js';
import { rescaleUp } from './timing.js';
import { trak } from './track-boxes.js';

export interface ProgressiveTrack {
  readonly trackId: number;
  readonly codec: TrackCodec;
  /** Media timescale of `timeline`. */
  readonly timescale: number;
  readonly timeline: DecodeTimeline;
  /** Payload size of each sample, decode order. */
  readonly sizes: ArrayLike<number>;
  /** Sync (key) flag of each sample, decode order. */
  readonly keys: ArrayLike<boolean>;
  /** From the movie's start to this track's first presented sample, movie timescale: an empty edit when > 0. */
  readonly startDelay: number;
}

export interface ProgressiveMovie {
  readonly tracks: readonly ProgressiveTrack[];
  /** For each payload in mdat order, the index in `tracks` of its track; each track's samples come in decode order. */
  readonly mdatOrder: ArrayLike<number>;
  readonly movieTimescale: number;
}

export interface ProgressiveHeader {
  /** ftyp + moov + mdat header: every byte before the first payload. */
  readonly header: Uint8Array;
  /** Sum of the payload sizes: what follows `header`. */
  readonly mdatPayloadBytes: number;
  readonly fileBytes: number;
}

/** ISO/IEC 14496-12 §4.3 / Annex E brands ffmpeg and browsers expect of an ordinary .mp4. */
const MAJOR_BRAND = 'isom';
const MINOR_VERSION = 0x200;
const MAX_32 = 0xffffffff;

interface ChunkLayout {
  /** Per track: samples in each chunk, and each chunk's offset from the first payload byte. */
  readonly samplesPerChunk: number[][];
  readonly chunkPayloadOffsets: number[][];
  readonly payloadBytes: number;
}

/** Consecutive payloads of one track form a chunk. */
function layoutChunks(movie: ProgressiveMovie): ChunkLayout {
  const { tracks, mdatOrder } = movie;
  const next = tracks.map(() => 0);
  const samplesPerChunk: number[][] = tracks.map(() => []);
  const chunkPayloadOffsets: number[][] = tracks.map(() => []);
  let position = 0;
  let previous = -1;
  for (let k = 0; k < mdatOrder.length; k++) {
    const t = mdatOrder[k] as number;
    const track = tracks[t];
    if (!track) throw new RangeError(`mdat order names track index ${t}`);
    const sample = next[t]!;
    if (sample >= track.sizes.length) throw new RangeError(`mdat order has more samples than track ${track.trackId}`);
    if (t !== previous) {
      samplesPerChunk[t]!.push(0);
      chunkPayloadOffsets[t]!.push(position);
    }
    samplesPerChunk[t]![samplesPerChunk[t]!.length - 1]! += 1;
    position += track.sizes[sample] as number;
    next[t] = sample + 1;
    previous = t;
  }
  tracks.forEach((track, t) => {
    if (next[t] !== track.sizes.length) throw new RangeError(`mdat order places ${next[t]} of track ${track.trackId}'s ${track.sizes.length} samples`);
  });
  return { samplesPerChunk, chunkPayloadOffsets, payloadBytes: position };
}

/** The ftyp, moov and mdat header for `movie`. */
export function buildProgressiveHeader(movie: ProgressiveMovie): ProgressiveHeader {
  const layout = layoutChunks(movie);
  const brands = progressiveBrands(movie.tracks);
  const fileType = ftyp(MAJOR_BRAND, MINOR_VERSION, brands);
  const mdatHead = boxHeader('mdat', layout.payloadBytes);
  const tables = movie.tracks.map((track, t) => fixedSampleTables(track, layout.samplesPerChunk[t]!));
  // The moov's size does not depend on the offsets' values, only on stco vs co64: build, measure, rebuild.
  let large = false;
  let moov = buildMoov(movie, tables, layout, 0, large);
  let payloadStart = fileType.length + moov.length + mdatHead.length;
  if (payloadStart + layout.payloadBytes > MAX_32) {
    large = true;
    moov = buildMoov(movie, tables, layout, 0, large);
    payloadStart = fileType.length + moov.length + mdatHead.length;
  }
  moov = buildMoov(movie, tables, layout, payloadStart, large);
  const header = new Uint8Array(payloadStart);
  header.set(fileType, 0);
  header.set(moov, fileType.length);
  header.set(mdatHead, fileType.length + moov.length);
  return { header, mdatPayloadBytes: layout.payloadBytes, fileBytes: payloadStart + layout.payloadBytes };
}

function progressiveBrands(tracks: readonly ProgressiveTrack[]): string[] {
  const brands = ['isom', 'iso2', 'mp41'];
  if (tracks.some((t) => t.codec.kind === 'avc')) brands.push('avc1');
  return brands;
}

function buildMoov(movie: ProgressiveMovie, tables: readonly Uint8Array[][], layout: ChunkLayout, payloadStart: number, large: boolean): Uint8Array {
  const traks: Uint8Array[] = [];
  let movieDuration = 0;
  movie.tracks.forEach((track, t) => {
    const edits = editList(track, movie.movieTimescale);
    const trackDuration = edits.reduce((sum, e) => sum + e.segmentDuration, 0);
    movieDuration = Math.max(movieDuration, trackDuration);
    const offsets = layout.chunkPayloadOffsets[t]!.map((offset) => offset + payloadStart);
    traks.push(
      trak({
        trackId: track.trackId,
        codec: track.codec,
        timescale: track.timescale,
        mediaDuration: sumOf(track.timeline.durations),
        movieDuration: trackDuration,
        edits,
        sampleTables: [...tables[t]!, chunkOffsets(offsets, large)],
        bitrates: track.codec.media === 'audio' ? audioBitrates(track) : undefined,
      }),
    );
  });
  const nextTrackId = Math.max(0, ...movie.tracks.map((t) => t.trackId)) + 1;
  return containerBox('moov', [mvhd(movie.movieTimescale, movieDuration, nextTrackId), ...traks]);
}

/**
 * §8.6.6: an empty edit for a track that starts after the movie does, then the whole media from
 * its first presented frame (the decode-order shift of B-frames is hidden here, so players start
 * at the first frame and tracks stay aligned).
 */
function editList(track: ProgressiveTrack, movieTimescale: number): EditListEntry[] {
  const edits: EditListEntry[] = [];
  if (track.startDelay > 0) edits.push({ segmentDuration: track.startDelay, mediaTime: -1 });
  edits.push({
    segmentDuration: rescaleUp(track.timeline.presentationDuration, track.timescale, movieTimescale),
    mediaTime: track.timeline.editMediaTime,
  });
  return edits;
}

/** Every sample table but the chunk offsets, which depend on where the mdat starts. */
function fixedSampleTables(track: ProgressiveTrack, samplesPerChunk: number[]): Uint8Array[] {
  const tables = [stts(track.timeline.durations)];
  if (track.timeline.compositionOffsets) tables.push(ctts(track.timeline.compositionOffsets));
  if (!allTrue(track.keys)) tables.push(stss(track.keys));
  tables.push(stsc(samplesPerChunk), stsz(track.sizes));
  return tables;
}

/** esds bit rates: the average, the largest over any one-second window, the largest frame. */
function audioBitrates(track: ProgressiveTrack): AudioBitrates {
  const { durations } = track.timeline;
  let totalBytes = 0;
  let windowBytes = 0;
  let windowTicks = 0;
  let maxWindowBytes = 0;
  let largest = 0;
  let first = 0;
  for (let i = 0; i < track.sizes.length; i++) {
    const size = track.sizes[i] as number;
    totalBytes += size;
    largest = Math.max(largest, size);
    windowBytes += size;
    windowTicks += durations[i]!;
    while (windowTicks > track.timescale && first < i) {
      windowBytes -= track.sizes[first] as number;
      windowTicks -= durations[first]!;
      first++;
    }
    maxWindowBytes = Math.max(maxWindowBytes, windowBytes);
  }
  const seconds = sumOf(durations) / track.timescale;
  const avgBitrate = seconds > 0 ? Math.round((totalBytes * 8) / seconds) : 0;
  return { avgBitrate, maxBitrate: Math.max(avgBitrate, maxWindowBytes * 8), bufferSizeBytes: largest };
}

function sumOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum;
}

function allTrue(values: ArrayLike<boolean>): boolean {
  for (let i = 0; i < values.length; i++) if (!values[i]) return false;
  return true;
}
