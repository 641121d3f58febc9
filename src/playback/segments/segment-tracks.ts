/**
 * The tracks a segment carries, from the stored track header (Info + Tracks as PutMedia sent
 * them): each track's codec as MP4 sample entries and the TS muxer need it, its media timescale,
 * and the Matroska TimestampScale its frame index counts in. Codec private data that cannot be
 * played becomes the archived-media exception KVS names for it.
 */
import {
  InvalidCodecPrivateDataException,
  MissingCodecPrivateDataException,
  ResourceNotFoundException,
  UnsupportedStreamMediaTypeException,
  type ApiError,
} from '../../domain/errors.js';
import { CodecConfigError, type CodecProblem } from '../../formats/codecs/codec-error.js';
import { describeTrackCodec, type TrackCodec } from '../../formats/codecs/track-codec.js';
import { describeTrackHeader, type TrackDescription, type TrackHeaderDescription } from '../../formats/codecs/track-info.js';
import { mediaTimescale } from '../../formats/isobmff/timing.js';

/** A track of a segment: TrackNumber (also its MP4 track_ID), codec and media timescale. */
export interface SegmentTrack {
  readonly trackNumber: number;
  readonly codec: TrackCodec;
  /** Video 90 kHz, audio its sampling rate (formats/isobmff/timing.ts). */
  readonly timescale: number;
}

export interface SegmentTracks {
  /** TimestampScale of the header: frame-index timecodes count in it. */
  readonly timecodeScaleNs: number;
  /** In TrackEntry order. */
  readonly tracks: readonly SegmentTrack[];
}

/** KVS's TrackNumber query parameter, or every track of the stream. */
export type TrackSelection = number | 'all';

const CODEC_ERRORS: Readonly<Record<CodecProblem, new (message: string) => ApiError>> = {
  missing: MissingCodecPrivateDataException,
  invalid: InvalidCodecPrivateDataException,
  unsupported: UnsupportedStreamMediaTypeException,
};

/**
 * The selected tracks of a stored track header. ResourceNotFoundException when the header has no
 * such track; the codec exceptions when a selected track cannot be played.
 */
export function segmentTracks(trackHeader: Uint8Array, selection: TrackSelection): SegmentTracks {
  const header = describeStoredHeader(trackHeader);
  const chosen = selection === 'all' ? header.tracks : header.tracks.filter((track) => track.number === selection);
  if (chosen.length === 0) {
    throw new ResourceNotFoundException(selection === 'all' ? 'The stream has no track.' : `The stream has no track ${selection}.`);
  }
  return { timecodeScaleNs: header.timecodeScaleNs, tracks: chosen.map(segmentTrack) };
}

/** The stored header's TrackEntries, undecoded codecs; a header that does not parse is invalid codec private data. */
export function describeStoredHeader(trackHeader: Uint8Array): TrackHeaderDescription {
  return withApiErrors(() => describeTrackHeader(trackHeader));
}

/** One TrackEntry as a segment track: its codec decoded, or the API exception saying why not. */
export function segmentTrack(track: TrackDescription): SegmentTrack {
  if (track.kind === 'other') throw new UnsupportedStreamMediaTypeException(`Track ${track.number} (${track.codecId}) is neither video nor audio.`);
  const codec = withApiErrors(() => describeTrackCodec(track));
  return { trackNumber: track.number, codec, timescale: mediaTimescale(codec) };
}

/** Runs a codec parser, turning its CodecConfigError into the API exception for its reason. */
export function withApiErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof CodecConfigError) throw new CODEC_ERRORS[err.reason](err.message);
    throw err;
  }
}
