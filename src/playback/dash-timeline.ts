/**
 * The DASH session timeline: the session's fragments laid end to end, each segment starting where
 * the previous one ended, from 0 at the anchor. KVS documents this for DASH: "MPEG-DASH compatible
 * media players do not properly handle gaps in the media timeline. Kinesis Video Streams adjusts
 * the media timeline in the manifest file to enable playback of media with discontinuities.
 * Therefore, the wall-clock time derived from the manifest file may be inaccurate", with the real
 * timestamp on kvs:ts (GetDASHStreamingSessionURL, DisplayFragmentTimestamp). So:
 * - fragments uploaded faster than real time (an offline camera docking), whose server timestamps
 *   are milliseconds apart, never overlap: each takes its own duration;
 * - a gap (a camera offline for minutes) closes, and players play on;
 * - producer timestamps that jump back (a producer clock reset) never make the timeline go back.
 *
 * A fragment's start is the summed duration of what the session lists before it
 * (IndexStore.sumDurationsBefore), so every node computes the same value for the MPD's S@t and
 * for the media segment's tfdt, on every reload. HLS keeps the timestamp timeline
 * (segments/timeline.ts): its players take EXT-X-DISCONTINUITY instead.
 */
import type { IndexStore } from '../storage/index-store.js';
import { timestampOf, type ListedFragment, type PlaylistWindow } from './playlist-window.js';
import { selectorKind, type PlaybackSession } from './session.js';

/** Where one fragment of the session starts on the DASH timeline, ms from the anchor. */
export function dashTimelineStartMs(index: IndexStore, session: PlaybackSession, fragment: Pick<ListedFragment, 'fragmentNumber' | 'producerTimestampMs' | 'serverTimestampMs'>): Promise<number> {
  const by = selectorKind(session);
  return index.sumDurationsBefore(session.streamId, {
    by,
    fromMs: session.anchorMs,
    beforeMs: timestampOf(fragment, by),
    beforeNumber: fragment.fragmentNumber,
    // Producer-timestamp sessions list one fragment per timestamp (playlist-window.ts).
    onePerTimestamp: by === 'producer',
  });
}

/** The timeline start of every fragment of a window, in order: one index read, then running sums. */
export async function dashWindowStartsMs(index: IndexStore, session: PlaybackSession, window: PlaylistWindow): Promise<number[]> {
  const first = window.fragments[0];
  if (!first) return [];
  // A window starting at position 0 starts at the anchor: nothing before it to sum.
  let startMs = window.firstSequence === 0 ? 0 : await dashTimelineStartMs(index, session, first);
  return window.fragments.map((fragment) => {
    const at = startMs;
    startMs += fragment.durationMs;
    return at;
  });
}
