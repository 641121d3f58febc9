/**
 * A session's MPD from its window and media, in the terms of the MPD builder
 * (formats/manifests/dash.ts). Segments sit on the session timeline — the fragment's timestamp
 * by the session's selector, minus its anchor, in ms — exactly where their media segments' tfdt
 * puts them (segments/timeline.ts computes both), and are numbered by their position in the
 * session ($Number$, counted from the anchor), which dash-segments.ts maps back.
 */
import { dashManifest, type DashPresentation, type DashTrack } from '../formats/manifests/dash.js';
import type { StreamBitrates } from './bitrates.js';
import { timestampOf, type PlaylistWindow } from './playlist-window.js';
import { selectorKind, type DashSession } from './session.js';
import type { SessionTrack, StreamMedia } from './stream-media.js';

/** How often a LIVE MPD is reloaded: KVS refreshes live playlists about every second. */
const MINIMUM_UPDATE_PERIOD_MS = 1000;

export function dashManifestText(
  session: DashSession,
  token: string,
  window: PlaylistWindow,
  media: StreamMedia,
  bitrates: StreamBitrates,
  nowMs: number,
): string {
  const by = selectorKind(session);
  const fragments = window.fragments.map((f) => ({
    fragmentNumber: f.fragmentNumber,
    timestampMs: timestampOf(f, by),
    timelineStartMs: timestampOf(f, by) - session.anchorMs,
    durationMs: f.durationMs,
  }));
  const first = fragments[0];
  const isStatic = session.playbackMode === 'ON_DEMAND' || window.complete;
  return dashManifest({
    sessionToken: token,
    presentation: isStatic ? { type: 'static' } : livePresentation(session, window, nowMs),
    tracks: media.tracks.map((track) => dashTrack(track, bitrates)),
    fragments,
    startNumber: window.firstSequence,
    displayFragmentTimestamp: session.displayFragmentTimestamp === 'ALWAYS',
    displayFragmentNumber: session.displayFragmentNumber === 'ALWAYS',
    // Static: the presentation starts at the first segment. Dynamic: at the anchor (see below).
    presentationTimeOffsetMs: isStatic && first ? first.timelineStartMs : 0,
  });
}

/**
 * A dynamic MPD: timeline position 0 is the anchor. LIVE: the anchor's timestamp is when it was
 * recorded (producer clock) or received (server clock), so it is availabilityStartTime and each
 * segment becomes available as its fragment ends. LIVE_REPLAY replays the anchor at the session's
 * creation and advances in real time from there (playlist-window.ts), so that instant is.
 */
function livePresentation(session: DashSession, window: PlaylistWindow, nowMs: number): DashPresentation {
  let longestMs = 0;
  let spanMs = 0;
  for (const fragment of window.fragments) {
    longestMs = Math.max(longestMs, fragment.durationMs);
    spanMs += fragment.durationMs;
  }
  return {
    type: 'dynamic',
    availabilityStartTimeMs: session.playbackMode === 'LIVE_REPLAY' ? session.createdAtMs : session.anchorMs,
    publishTimeMs: Math.floor(nowMs),
    minimumUpdatePeriodMs: MINIMUM_UPDATE_PERIOD_MS,
    timeShiftBufferDepthMs: spanMs + longestMs,
    suggestedPresentationDelayMs: 2 * longestMs,
  };
}

function dashTrack(track: SessionTrack, bitrates: StreamBitrates): DashTrack {
  const bandwidth = bitrates.perTrack.get(track.trackNumber) ?? bitrates.peak;
  const codec = track.codec;
  if (codec.media === 'video') {
    return { trackNumber: track.trackNumber, contentType: 'video', codecs: codec.codecString, bandwidth, width: codec.width, height: codec.height, frameRate: codec.frameRate };
  }
  return {
    trackNumber: track.trackNumber,
    contentType: 'audio',
    codecs: codec.codecString,
    bandwidth,
    audioSamplingRate: codec.sampleRate,
    audioChannels: codec.channelCount,
  };
}
