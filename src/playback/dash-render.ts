/**
 * A session's MPD from its window and media, in the terms of the MPD builder
 * (formats/manifests/dash.ts). Segments sit on the DASH session timeline (dash-timeline.ts: the
 * session's fragments end to end from the anchor, as KVS closes gaps), exactly where their media
 * segments' tfdt puts them, and are numbered by their position in the session ($Number$, counted
 * from the anchor), which dash-segments.ts maps back. Each run of fragments sharing a track header
 * is a Period with its own init segment (SequenceNumber = the header id, as in HLS's EXT-X-MAP).
 */
import { dashManifest, type DashFragment, type DashPeriod, type DashPresentation, type DashTrack } from '../formats/manifests/dash.js';
import type { StreamBitrates } from './bitrates.js';
import { timestampOf, type ListedFragment, type PlaylistWindow } from './playlist-window.js';
import { selectorKind, type DashSession } from './session.js';
import type { SessionTrack, StreamMedia } from './stream-media.js';

/** What a Period needs of its track header: the playable tracks and their bit rates. */
export interface PeriodMedia {
  readonly media: StreamMedia;
  readonly bitrates: StreamBitrates;
}

/** Consecutive fragments sharing a track header, with their positions in the window. */
export interface HeaderRun {
  readonly headerId: number;
  /** Index in window.fragments of the run's first fragment. */
  readonly from: number;
  readonly fragments: readonly ListedFragment[];
}

/** The window cut where the track header changes: one Period each. */
export function headerRuns(fragments: readonly ListedFragment[]): HeaderRun[] {
  const runs: Array<{ headerId: number; from: number; fragments: ListedFragment[] }> = [];
  fragments.forEach((fragment, i) => {
    const last = runs.at(-1);
    if (last && last.headerId === fragment.headerId) last.fragments.push(fragment);
    else runs.push({ headerId: fragment.headerId, from: i, fragments: [fragment] });
  });
  return runs;
}

/** How often a LIVE MPD is reloaded: KVS refreshes live playlists about every second. */
const MINIMUM_UPDATE_PERIOD_MS = 1000;

export function dashManifestText(
  session: DashSession,
  token: string,
  window: PlaylistWindow,
  startsMs: readonly number[],
  mediaOf: (headerId: number) => PeriodMedia,
  nowMs: number,
): string {
  const by = selectorKind(session);
  const segment = (f: ListedFragment, i: number): DashFragment => ({
    fragmentNumber: f.fragmentNumber,
    timestampMs: timestampOf(f, by),
    timelineStartMs: startsMs[i] as number,
    durationMs: f.durationMs,
  });
  const runs = headerRuns(window.fragments);
  const periods: DashPeriod[] = runs.map((run, r) => {
    const { media, bitrates } = mediaOf(run.headerId);
    return {
      id: periodId(runs, r, window.firstSequence),
      tracks: media.tracks.map((track) => dashTrack(track, bitrates)),
      fragments: run.fragments.map((f, i) => segment(f, run.from + i)),
      startNumber: window.firstSequence + run.from,
      initSequenceNumber: run.headerId,
    };
  });
  const isStatic = session.playbackMode === 'ON_DEMAND' || window.complete;
  return dashManifest({
    sessionToken: token,
    presentation: isStatic ? { type: 'static' } : livePresentation(session, window, startsMs, nowMs),
    periods,
    displayFragmentTimestamp: session.displayFragmentTimestamp === 'ALWAYS',
    displayFragmentNumber: session.displayFragmentNumber === 'ALWAYS',
    // Static: the presentation starts at the first segment. Dynamic: at the timeline's 0 (see below).
    presentationTimeOffsetMs: isStatic ? (startsMs[0] ?? 0) : 0,
  });
}

/**
 * Period@id, stable while a dynamic MPD's window slides: a Period whose run starts inside the
 * window is named by its first position; the first run may have started before the window, so
 * it is named by its header alone (a header that comes back within one window keeps the position
 * form, which changes once the earlier run slides out: rare, and named in architecture.md).
 */
function periodId(runs: readonly HeaderRun[], r: number, firstSequence: number): string {
  const run = runs[r] as HeaderRun;
  if (r === 0) return `h${run.headerId}`;
  const repeats = runs.slice(0, r).some((earlier) => earlier.headerId === run.headerId);
  return repeats ? `h${run.headerId}-n${firstSequence + run.from}` : `h${run.headerId}`;
}

/**
 * A dynamic MPD: timeline position 0 is availabilityStartTime. LIVE_REPLAY replays the anchor at
 * the session's creation and runs in real time from there (playlist-window.ts), so that instant
 * is. LIVE: the timeline closes gaps and overlaps, so it drifts from the wall clock; the newest
 * listed segment is placed to end when its fragment did (its timestamp plus its duration), which
 * keeps players' live edge on the newest fragment whatever came before.
 */
function livePresentation(session: DashSession, window: PlaylistWindow, startsMs: readonly number[], nowMs: number): DashPresentation {
  let longestMs = 0;
  let spanMs = 0;
  for (const fragment of window.fragments) {
    longestMs = Math.max(longestMs, fragment.durationMs);
    spanMs += fragment.durationMs;
  }
  const newest = window.fragments.at(-1);
  const newestStartMs = startsMs.at(-1) ?? 0;
  const liveOriginMs = newest ? timestampOf(newest, selectorKind(session)) - newestStartMs : session.anchorMs;
  return {
    type: 'dynamic',
    availabilityStartTimeMs: session.playbackMode === 'LIVE_REPLAY' ? session.createdAtMs : liveOriginMs,
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
