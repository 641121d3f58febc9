import type { FragmentRecord } from '../domain/fragment.js';
import type { FragmentTimestampKind, IndexStore } from '../storage/index-store.js';

/**
 * Which fragments an HLS media playlist or DASH manifest lists right now (kvs-api.md §4.5):
 * - ON_DEMAND: the oldest `maxFragments` in [start, end], a fixed list;
 * - LIVE: the newest `maxFragments`, never older than the session's first listed fragment;
 * - LIVE_REPLAY: from `startMs`, one more fragment each time a fragment's duration elapses since
 *   the session began, the newest `maxFragments` of those, ending once `endMs` is reached.
 * With PRODUCER_TIMESTAMP, of several fragments sharing a start time the largest number is kept.
 */
export interface PlaylistSession {
  readonly streamId: number;
  readonly mode: 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
  readonly by: FragmentTimestampKind;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly maxFragments: number;
  /** When the session URL was issued. */
  readonly createdMs: number;
  /**
   * Timestamp of the first fragment the session ever lists (LIVE: the oldest of its first
   * playlist; otherwise the first fragment in range): media sequence numbers count from it.
   */
  readonly anchorMs: number;
}

export interface PlaylistWindow {
  readonly fragments: readonly FragmentRecord[];
  /** Media sequence number of fragments[0]; the others follow one by one. */
  readonly firstSequence: number;
  /** No fragment will ever be added (ON_DEMAND, or LIVE_REPLAY past its end). */
  readonly complete: boolean;
}

/** "No upper bound": the largest valid Date, in ms (8.64e15, a safe integer, a BIGINT too). */
const NO_END_MS = 8_640_000_000_000_000 / 1000;

export async function playlistWindow(index: IndexStore, session: PlaylistSession, nowMs: number): Promise<PlaylistWindow> {
  if (session.mode === 'ON_DEMAND') return onDemandWindow(index, session);
  if (session.mode === 'LIVE') return liveWindow(index, session, session.anchorMs, NO_END_MS, false);
  const elapsedMs = Math.max(0, nowMs - session.createdMs);
  const reachedMs = session.anchorMs + elapsedMs;
  const endMs = session.endMs ?? NO_END_MS;
  return liveWindow(index, session, session.startMs ?? session.anchorMs, Math.min(reachedMs, endMs), reachedMs >= endMs);
}

async function onDemandWindow(index: IndexStore, session: PlaylistSession): Promise<PlaylistWindow> {
  const range = { by: session.by, startMs: session.startMs ?? 0, endMs: session.endMs ?? NO_END_MS };
  // Extra rows so that dropping same-timestamp duplicates still fills the playlist.
  const rows = await index.fragmentsByTime(session.streamId, { range, limit: session.maxFragments * 2 });
  const fragments = dedupeByTimestamp(rows, session.by).slice(0, session.maxFragments);
  return { fragments, firstSequence: 0, complete: true };
}

async function liveWindow(
  index: IndexStore,
  session: PlaylistSession,
  fromMs: number,
  untilMs: number,
  complete: boolean,
): Promise<PlaylistWindow> {
  const range = { by: session.by, startMs: fromMs, endMs: untilMs };
  const newest = await index.fragmentsByTime(session.streamId, { range, limit: session.maxFragments * 2, newestFirst: true });
  const fragments = dedupeByTimestamp(newest.reverse(), session.by).slice(-session.maxFragments);
  const first = fragments[0];
  if (!first) return { fragments, firstSequence: 0, complete };
  const firstSequence = await index.countFragmentsBefore(session.streamId, {
    by: session.by,
    fromMs: session.anchorMs,
    beforeMs: timestampOf(first, session.by),
    beforeNumber: first.fragmentNumber,
  });
  return { fragments, firstSequence, complete };
}

export function timestampOf(fragment: FragmentRecord, by: FragmentTimestampKind): number {
  return by === 'producer' ? fragment.producerTimestampMs : fragment.serverTimestampMs;
}

/**
 * Of fragments sharing a producer timestamp (a producer that restarted and re-sent), keeps the
 * one with the largest number, as KVS does. Input and output are in (timestamp, number) order.
 */
function dedupeByTimestamp(fragments: readonly FragmentRecord[], by: FragmentTimestampKind): FragmentRecord[] {
  if (by !== 'producer') return [...fragments];
  const kept: FragmentRecord[] = [];
  for (const fragment of fragments) {
    const last = kept.at(-1);
    if (last && last.producerTimestampMs === fragment.producerTimestampMs) kept[kept.length - 1] = fragment;
    else kept.push(fragment);
  }
  return kept;
}

/**
 * Whether a discontinuity tag goes before `fragment` (DiscontinuityMode): ALWAYS before every
 * fragment, NEVER, or ON_DISCONTINUITY when it starts more than 50 ms away from where the
 * previous one ended (a gap or an overlap).
 */
export function isDiscontinuity(
  mode: 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY',
  previous: FragmentRecord | undefined,
  fragment: FragmentRecord,
  by: FragmentTimestampKind,
): boolean {
  if (mode === 'ALWAYS') return true;
  if (mode === 'NEVER' || !previous) return false;
  const expectedMs = timestampOf(previous, by) + previous.durationMs;
  return Math.abs(timestampOf(fragment, by) - expectedMs) > 50;
}
