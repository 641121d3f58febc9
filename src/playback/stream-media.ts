/**
 * What a stored track header plays as in a session: the video and audio tracks, each with its
 * typed codec (codec strings, dimensions, sample rates from the codec private data, never guessed),
 * or the AWS error GetHLSStreamingSessionURL / GetDASHStreamingSessionURL answers for it
 * (kvs-api.md §4.5): UnsupportedStreamMediaType, MissingCodecPrivateData, InvalidCodecPrivateData.
 */
import { InvalidCodecPrivateDataException, MissingCodecPrivateDataException, UnsupportedStreamMediaTypeException } from '../domain/errors.js';
import { CodecConfigError } from '../formats/codecs/codec-error.js';
import { describeTrackCodec, type TrackCodec } from '../formats/codecs/track-codec.js';
import { describeTrackHeader, type TrackHeaderDescription } from '../formats/codecs/track-info.js';
import { playableTracks } from './media-support.js';
import type { PlaybackProtocol } from './session.js';

export interface SessionTrack {
  /** The Matroska TrackNumber: TrackNumber in resource URLs, the frame index's track. */
  readonly trackNumber: number;
  readonly codec: TrackCodec;
}

export interface StreamMedia {
  readonly header: TrackHeaderDescription;
  readonly video: SessionTrack | undefined;
  readonly audio: SessionTrack | undefined;
  /** Video first, then audio: the tracks a session serves. */
  readonly tracks: readonly SessionTrack[];
}

/** The playable tracks of a stored header for `protocol`; throws the AWS error when there are none. */
export function describeStreamMedia(headerBytes: Uint8Array, protocol: PlaybackProtocol): StreamMedia {
  const header = asApiError(() => describeTrackHeader(headerBytes));
  const playable = playableTracks(
    protocol,
    header.tracks.map((t) => ({ trackNumber: t.number, codecId: t.codecId, codecPrivate: t.codecPrivate })),
  );
  const codecOf = (trackNumber: number): SessionTrack => {
    const track = header.tracks.find((t) => t.number === trackNumber);
    if (!track) throw new InvalidCodecPrivateDataException(`Track ${trackNumber} is not in the track header.`);
    return { trackNumber, codec: asApiError(() => describeTrackCodec(track)) };
  };
  const video = playable.video ? codecOf(playable.video.trackNumber) : undefined;
  const audio = playable.audio ? codecOf(playable.audio.trackNumber) : undefined;
  return { header, video, audio, tracks: [video, audio].filter((t): t is SessionTrack => t !== undefined) };
}

/** CodecConfigError → the AWS exception its reason names. */
function asApiError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof CodecConfigError)) throw err;
    if (err.reason === 'missing') throw new MissingCodecPrivateDataException(`Missing codec private data: ${err.message}.`);
    if (err.reason === 'unsupported') throw new UnsupportedStreamMediaTypeException(`Unsupported media: ${err.message}.`);
    throw new InvalidCodecPrivateDataException(`Invalid codec private data: ${err.message}.`);
  }
}
