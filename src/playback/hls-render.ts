/**
 * A session's HLS playlists from its window and media: the session's options in the terms of the
 * playlist builders (formats/manifests/hls.ts), which do the writing.
 */
import { hlsMasterPlaylist, hlsMediaPlaylist, type HlsPlaylistFragment } from '../formats/manifests/hls.js';
import type { StreamBitrates } from './bitrates.js';
import { timestampOf, type PlaylistWindow } from './playlist-window.js';
import { selectorKind, type HlsSession } from './session.js';
import type { SessionTrack, StreamMedia } from './stream-media.js';

export function hlsMasterText(session: HlsSession, token: string, media: StreamMedia, bitrates: StreamBitrates): string {
  const video = media.video;
  const audio = media.audio;
  return hlsMasterPlaylist({
    sessionToken: token,
    containerFormat: session.containerFormat,
    video: video && {
      trackNumber: video.trackNumber,
      codecs: video.codec.codecString,
      width: video.codec.media === 'video' ? video.codec.width : undefined,
      height: video.codec.media === 'video' ? video.codec.height : undefined,
      frameRate: video.codec.media === 'video' ? video.codec.frameRate : undefined,
    },
    audio: audio && { trackNumber: audio.trackNumber, codecs: audio.codec.codecString, channels: channelsOf(audio) },
    bandwidth: bitrates.peak,
    averageBandwidth: bitrates.average,
  });
}

function channelsOf(track: SessionTrack): number | undefined {
  return track.codec.media === 'audio' ? track.codec.channelCount : undefined;
}

/**
 * A media playlist: fMP4 for one track (its init segment named per track header, so a producer
 * that changes codec private data mid-session gets a new EXT-X-MAP), MPEG-TS for all tracks.
 */
export function hlsMediaText(session: HlsSession, token: string, window: PlaylistWindow, trackNumber: number | undefined, discontinuitySequence?: number): string {
  const by = selectorKind(session);
  const fragments: HlsPlaylistFragment[] = window.fragments.map((f) => ({
    fragmentNumber: f.fragmentNumber,
    timestampMs: timestampOf(f, by),
    durationMs: f.durationMs,
    initSequenceNumber: f.headerId,
  }));
  return hlsMediaPlaylist({
    sessionToken: token,
    containerFormat: session.containerFormat,
    trackNumber,
    playbackMode: session.playbackMode,
    discontinuityMode: session.discontinuityMode,
    programDateTime: session.displayFragmentTimestamp === 'ALWAYS',
    mediaSequence: window.firstSequence,
    discontinuitySequence,
    fragments,
    complete: window.complete,
  });
}
