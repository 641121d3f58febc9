/**
 * DASH segment URLs carry $Number$: the segment's position in the session, counted from the
 * anchor (SegmentTemplate@startNumber is the window's first position). This maps a position back
 * to its fragment the way the MPD numbered it: through the session's current window, or, for a
 * live player a little behind the window, by reading the fragments just before it.
 */
import type { IndexStore } from '../storage/index-store.js';
import type { PlaybackService } from './playback-service.js';
import { dedupeByTimestamp, timestampOf, type ListedFragment } from './playlist-window.js';
import { selectorKind, type PlaybackSession } from './session.js';

/** How far behind the current window a live player may still fetch (fragments). */
export const MAX_POSITIONS_BEHIND = 1000;

export async function fragmentAtPosition(
  index: IndexStore,
  playback: PlaybackService,
  session: PlaybackSession,
  position: number,
  nowMs: number,
): Promise<ListedFragment | undefined> {
  const window = await playback.window(session, nowMs);
  const offset = position - window.firstSequence;
  if (offset >= 0) return window.fragments[offset];
  const first = window.fragments[0];
  if (session.playbackMode === 'ON_DEMAND' || !first || -offset > MAX_POSITIONS_BEHIND) return undefined;
  return fragmentBefore(index, session, first, -offset);
}

/** The fragment `distance` positions before `first`, reading back from it toward the anchor. */
async function fragmentBefore(index: IndexStore, session: PlaybackSession, first: ListedFragment, distance: number): Promise<ListedFragment | undefined> {
  const by = selectorKind(session);
  const firstMs = timestampOf(first, by);
  // Strictly before `first` in (timestamp, number) order: earlier timestamps, or the same one
  // with a smaller number — except with producer timestamps, where those are hidden duplicates.
  const range = { by, startMs: session.anchorMs, endMs: firstMs };
  // Room for duplicates of a timestamp, which take one position between them.
  const rows = await index.fragmentsByTime(session.streamId, { range, limit: distance * 2 + 8, newestFirst: true });
  const before = rows.filter((f) => timestampOf(f, by) < firstMs || (by === 'server' && f.fragmentNumber < first.fragmentNumber));
  const listed = dedupeByTimestamp(before.reverse(), by);
  return listed[listed.length - distance];
}
