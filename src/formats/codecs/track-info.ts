/**
 * The stored track header (the Info and Tracks elements exactly as PutMedia received them, back
 * to back; Info may be absent) as typed track descriptions, through the Matroska parsers the
 * ingest uses (RFC 9559 §5.1.2, §5.1.4).
 */
import { forEachChild, type Span } from '../matroska/ebml-reader.js';
import { MkvFormatError, type TrackInfo } from '../matroska/events.js';
import { MatroskaId } from '../matroska/ids.js';
import { DEFAULT_TIMESTAMP_SCALE_NS, decodeInfo } from '../matroska/info.js';
import { decodeTracks } from '../matroska/tracks.js';
import { CodecConfigError } from './codec-error.js';

/** RFC 9559 §5.1.4.1.3 TrackType values. */
const TRACK_TYPE_VIDEO = 1;
const TRACK_TYPE_AUDIO = 2;

export type TrackKind = 'video' | 'audio' | 'other';

/** A TrackEntry as the ingest decodes it, its TrackType named. */
export interface TrackDescription extends Pick<TrackInfo, 'number' | 'codecId' | 'codecPrivate' | 'defaultDurationNs' | 'name' | 'video' | 'audio'> {
  readonly kind: TrackKind;
}

export interface TrackHeaderDescription {
  /** TimestampScale: nanoseconds per block/cluster timecode tick. */
  readonly timecodeScaleNs: number;
  /** In TrackEntry order. */
  readonly tracks: readonly TrackDescription[];
}

/** Decodes a stored track header; a header the Matroska parsers refuse gives CodecConfigError. */
export function describeTrackHeader(header: Uint8Array): TrackHeaderDescription {
  let timecodeScaleNs = DEFAULT_TIMESTAMP_SCALE_NS;
  const tracks: TrackDescription[] = [];
  try {
    forEachChild({ bytes: header, start: 0, end: header.length, base: 0 }, (id: number, child: Span) => {
      if (id === MatroskaId.Info) timecodeScaleNs = decodeInfo(child).timecodeScaleNs;
      else if (id === MatroskaId.Tracks) tracks.push(...decodeTracks(child).map(describeTrack));
    });
  } catch (err) {
    if (err instanceof MkvFormatError) throw new CodecConfigError(`track header: ${err.message}`);
    throw err;
  }
  return { timecodeScaleNs, tracks };
}

function describeTrack(track: TrackInfo): TrackDescription {
  const kind: TrackKind = track.type === TRACK_TYPE_VIDEO ? 'video' : track.type === TRACK_TYPE_AUDIO ? 'audio' : 'other';
  return {
    number: track.number,
    kind,
    codecId: track.codecId,
    codecPrivate: track.codecPrivate,
    defaultDurationNs: track.defaultDurationNs,
    name: track.name,
    video: track.video,
    audio: track.audio,
  };
}
