/**
 * Which streams a session can play (kvs-api.md §4.5, §4.6): track 1 is H.264 or H.265 video
 * (or, for HLS, AAC audio alone); an optional track 2 is audio: AAC for HLS (both fMP4 and
 * MPEG-TS), AAC or G.711 for DASH. Anything else is UnsupportedStreamMediaTypeException, which
 * GetHLSStreamingSessionURL / GetDASHStreamingSessionURL answer before a session exists.
 */
import { UnsupportedStreamMediaTypeException } from '../domain/errors.js';
import type { PlaybackProtocol } from './session.js';

export type PlayableCodec = 'H264' | 'H265' | 'AAC' | 'G711';

export interface StreamTrack {
  readonly trackNumber: number;
  /** Matroska CodecID. */
  readonly codecId: string;
  /** CodecPrivate; for A_MS/ACM it says which codec the WAVEFORMATEX wraps. */
  readonly codecPrivate?: Uint8Array | undefined;
}

export interface PlayableTrack {
  readonly trackNumber: number;
  readonly codec: PlayableCodec;
}

export interface PlayableTracks {
  readonly video: PlayableTrack | undefined;
  readonly audio: PlayableTrack | undefined;
}

const VIDEO_CODECS: ReadonlyMap<string, PlayableCodec> = new Map([
  // The Matroska id, and the spellings the KVS documentation uses.
  ['V_MPEG4/ISO/AVC', 'H264'],
  ['V_MPEG/ISO/AVC', 'H264'],
  ['V_MPEGH/ISO/HEVC', 'H265'],
  ['V_MPEG/ISO/HEVC', 'H265'],
]);

/** WAVEFORMATEX wFormatTag values of G.711: 6 A-law, 7 µ-law. */
const G711_FORMAT_TAGS: ReadonlySet<number> = new Set([6, 7]);

function audioCodecOf(track: StreamTrack): PlayableCodec | undefined {
  // A_AAC, and the older A_AAC/MPEG4/LC-style ids.
  if (track.codecId === 'A_AAC' || track.codecId.startsWith('A_AAC/')) return 'AAC';
  if (track.codecId !== 'A_MS/ACM') return undefined;
  const tag = track.codecPrivate !== undefined && track.codecPrivate.length >= 2 ? (track.codecPrivate[0] as number) | ((track.codecPrivate[1] as number) << 8) : undefined;
  // Without CodecPrivate the format is unknown; MissingCodecPrivateData is the caller's verdict.
  return tag === undefined || G711_FORMAT_TAGS.has(tag) ? 'G711' : undefined;
}

/** The video and audio tracks of a playable stream, in the stream's track order; throws when it is not playable. */
export function playableTracks(protocol: PlaybackProtocol, tracks: readonly StreamTrack[]): PlayableTracks {
  const [first, second, ...rest] = tracks;
  if (first === undefined) throw new UnsupportedStreamMediaTypeException('The stream has no track.');
  if (rest.length > 0) throw new UnsupportedStreamMediaTypeException(`The stream has ${tracks.length} tracks; ${protocol} plays at most a video and an audio track.`);
  const videoCodec = VIDEO_CODECS.get(first.codecId);
  if (videoCodec === undefined) {
    const audio = audioTrack(protocol, first);
    if (second === undefined && audio !== undefined && protocol === 'HLS') return { video: undefined, audio };
    throw new UnsupportedStreamMediaTypeException(`Track 1 has codec ID ${first.codecId}; ${protocol} needs H.264 (V_MPEG/ISO/AVC) or H.265 (V_MPEGH/ISO/HEVC) video in track 1${protocol === 'HLS' ? ', or AAC audio alone' : ''}.`);
  }
  const video = { trackNumber: first.trackNumber, codec: videoCodec };
  if (second === undefined) return { video, audio: undefined };
  const audio = audioTrack(protocol, second);
  if (audio === undefined) {
    throw new UnsupportedStreamMediaTypeException(`Track 2 has codec ID ${second.codecId}; ${protocol} needs ${protocol === 'HLS' ? 'AAC (A_AAC)' : 'AAC (A_AAC) or G.711 (A_MS/ACM)'} audio in track 2.`);
  }
  return { video, audio };
}

function audioTrack(protocol: PlaybackProtocol, track: StreamTrack): PlayableTrack | undefined {
  const codec = audioCodecOf(track);
  // G.711 has no place in HLS: neither in fMP4 HLS nor in MPEG-TS (no stream_type for it there).
  if (codec === undefined || (codec === 'G711' && protocol === 'HLS')) return undefined;
  return { trackNumber: track.trackNumber, codec };
}
