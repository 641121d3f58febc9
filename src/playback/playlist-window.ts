import type { FragmentRecord } from '../domain/fragment.js';
import type { FragmentTimestampKind, IndexStore } from '../storage/index-store.js';
import { selectorKind, type PlaybackSession } from './session.js';

/**
 * Which fragments an HLS media playlist or DASH manifest lists right now (kvs-api.md §4.5):
 * - ON_DEMAND: the oldest `maxFragmentResults` in [start, end], a fixed list;
 * - LIVE: the newest `maxFragmentResults`, never older than the session's anchor;
 * - LIVE_REPLAY: from the start, one more fragment each time a fragment's duration elapses since
 *   the session began, the newest `maxFragmentResults` of those, ending once the end is reached.
 * With PRODUCER_TIMESTAMP, of several fragments sharing a start time the largest number is kept.
 */

/** What playlists need of a fragment; the frame index, tags and location stay in the index. */
export type ListedFragment = Pick<FragmentRecord, 'fragmentNumber' | 'producerTimestampMs' | 'serverTimestampMs' | 'durationMs' | 'size' | 'headerId'>;

export interface PlaylistWindow {
  readonly fragments: readonly ListedFragment[];
  /**
   * Position of fragments[0] in the session, counted from the anchor (0 for the anchor itself):
   * the HLS media sequence number and the DASH $Number$; the others follow one by one.
   */
  readonly firstSequence: number;
  /** No fragment will ever be added (ON_DEMAND, or LIVE_REPLAY past its end). */
  readonly complete: boolean;
}

/** "No upper bound": the largest valid Date, in ms (8.64e15, a safe integer, a BIGINT too). */
export const NO_END_MS = 8_640_000_000_000_000 / 1000;

export async function playlistWindow(index: IndexStore, session: PlaybackSession, nowMs: number): Promise<PlaylistWindow> {
  if (session.playbackMode === 'ON_DEMAND') return onDemandWindow(index, session);
  if (session.playbackMode === 'LIVE') return liveWindow(index, session, session.anchorMs, NO_END_MS, false);
  const reachedMs = replayReachedMs(session, nowMs);
  const endMs = session.endTimestampMs ?? NO_END_MS;
  return liveWindow(index, session, session.startTimestampMs ?? session.anchorMs, Math.min(reachedMs, endMs), reachedMs >= endMs);
}

/** LIVE_REPLAY: how far into the recording the session has played, on the selector's timeline. */
export function replayReachedMs(session: PlaybackSession, nowMs: number): number {
  return session.anchorMs + Math.max(0, nowMs - session.createdAtMs);
}

async function onDemandWindow(index: IndexStore, session: PlaybackSession): Promise<PlaylistWindow> {
  const by = selectorKind(session);
  const range = { by, startMs: session.startTimestampMs ?? 0, endMs: session.endTimestampMs ?? NO_END_MS };
  // Extra rows so that dropping same-timestamp duplicates still fills the playlist.
  const rows = await index.fragmentsByTime(session.streamId, { range, limit: session.maxFragmentResults * 2 });
  const fragments = dedupeByTimestamp(rows, by).slice(0, session.maxFragmentResults);
  return { fragments, firstSequence: 0, complete: true };
}

async function liveWindow(index: IndexStore, session: PlaybackSession, fromMs: number, untilMs: number, complete: boolean): Promise<PlaylistWindow> {
  const by = selectorKind(session);
  const range = { by, startMs: fromMs, endMs: untilMs };
  const newest = await index.fragmentsByTime(session.streamId, { range, limit: session.maxFragmentResults * 2, newestFirst: true });
  const fragments = dedupeByTimestamp(newest.reverse(), by).slice(-session.maxFragmentResults);
  const first = fragments[0];
  if (!first) return { fragments, firstSequence: 0, complete };
  return { fragments, firstSequence: await sessionPosition(index, session, first), complete };
}

/**
 * A fragment's position in the session: how many fragments the session lists before it, counted
 * from the anchor. With producer timestamps that is the number of distinct timestamps before it,
 * so a duplicate (hidden, or arriving later and replacing the one shown) never shifts a number.
 */
export function sessionPosition(index: IndexStore, session: PlaybackSession, fragment: ListedFragment): Promise<number> {
  const by = selectorKind(session);
  const beforeMs = timestampOf(fragment, by);
  if (by === 'producer') return index.countTimestampsBefore(session.streamId, { by, fromMs: session.anchorMs, beforeMs });
  return index.countFragmentsBefore(session.streamId, { by, fromMs: session.anchorMs, beforeMs, beforeNumber: fragment.fragmentNumber });
}

export function timestampOf(fragment: Pick<FragmentRecord, 'producerTimestampMs' | 'serverTimestampMs'>, by: FragmentTimestampKind): number {
  return by === 'producer' ? fragment.producerTimestampMs : fragment.serverTimestampMs;
}

/**
 * Of fragments sharing a producer timestamp (a producer that restarted and re-sent), keeps the
 * one with the largest number, as KVS does. Input and output are in (timestamp, number) order.
 * The kept fragments are lean copies: a cached window must not pin every frame index.
 */
export function dedupeByTimestamp(fragments: readonly FragmentRecord[], by: FragmentTimestampKind): ListedFragment[] {
  const kept: ListedFragment[] = [];
  for (const fragment of fragments) {
    const listed = listedFragment(fragment);
    const last = kept.at(-1);
    if (by === 'producer' && last && last.producerTimestampMs === fragment.producerTimestampMs) kept[kept.length - 1] = listed;
    else kept.push(listed);
  }
  return kept;
}

function listedFragment(f: FragmentRecord): ListedFragment {
  return {
    fragmentNumber: f.fragmentNumber,
    producerTimestampMs: f.producerTimestampMs,
    serverTimestampMs: f.serverTimestampMs,
    durationMs: f.durationMs,
    size: f.size,
    headerId: f.headerId,
  };
}
