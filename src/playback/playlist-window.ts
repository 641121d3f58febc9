import type { FragmentRecord } from '../domain/fragment.js';
import type { FragmentTimestampKind, IndexStore } from '../storage/index-store.js';
import { selectorKind, type PlaybackSession } from './session.js';

/**
 * Which fragments an HLS media playlist or DASH manifest lists right now (kvs-api.md §4.5):
 * - ON_DEMAND: the oldest `maxFragmentResults` in [start, end], a fixed list;
 * - LIVE: the newest `maxFragmentResults`, never older than the session's anchor;
 * - LIVE_REPLAY: from the start, one more fragment each time a fragment's duration elapses since
 *   the session began ("Instead of fragments being added as they are ingested, fragments are
 *   added as the duration of the next fragment elapses", GetHLSStreamingSessionURL PlaybackMode):
 *   a fragment is listed once the session has run as long as the fragments before it last, so a
 *   gap in the recording is skipped and fragments uploaded faster than real time (server
 *   timestamps milliseconds apart) come one duration at a time. The newest `maxFragmentResults`
 *   of those; complete once every fragment up to the end has been listed and has played.
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

export async function playlistWindow(index: IndexStore, session: PlaybackSession, nowMs: number, replays?: ReplayMemo): Promise<PlaylistWindow> {
  if (session.playbackMode === 'ON_DEMAND') return onDemandWindow(index, session);
  if (session.playbackMode === 'LIVE') return liveWindow(index, session, session.anchorMs, NO_END_MS, false);
  const replay = await replayProgress(index, session, nowMs, replays);
  return liveWindow(index, session, session.startTimestampMs ?? session.anchorMs, replay.reachedMs, replay.complete);
}

/**
 * How far a LIVE_REPLAY session has got: the last fragment (in the session's order) whose
 * predecessors' durations add up to no more than the time since the session began, and the sum
 * through it. Only moves forward, so a node remembers it per session (ReplayMemo) and reads on
 * from there; a node that never saw the session reads from the anchor once.
 */
export interface ReplayState {
  /** Time since creation this state was computed for. */
  readonly elapsedMs: number;
  /** The last listed fragment: its timestamp by the selector and number. Undefined: none yet. */
  readonly lastMs: number | undefined;
  readonly lastNumber: string;
  /** Durations of every listed fragment, the last one included. */
  readonly sumThroughMs: number;
  /** Nothing more in range when last looked. */
  readonly exhausted: boolean;
}

/** Per-process memory of replay progress by session id (PlaybackService owns one). */
export interface ReplayMemo {
  get(sessionId: string): ReplayState | undefined;
  set(sessionId: string, state: ReplayState): void;
}

/** Fragments read per step while a replay catches up. */
const REPLAY_PAGE = 256;

async function replayProgress(index: IndexStore, session: PlaybackSession, nowMs: number, memo: ReplayMemo | undefined): Promise<{ reachedMs: number; complete: boolean }> {
  const by = selectorKind(session);
  const elapsedMs = Math.max(0, nowMs - session.createdAtMs);
  const endMs = session.endTimestampMs ?? NO_END_MS;
  const remembered = memo?.get(session.sessionId);
  let state: ReplayState =
    remembered && remembered.elapsedMs <= elapsedMs
      ? { ...remembered, elapsedMs }
      : { elapsedMs, lastMs: undefined, lastNumber: '', sumThroughMs: 0, exhausted: false };
  for (;;) {
    const fromMs = state.lastMs ?? session.startTimestampMs ?? session.anchorMs;
    const rows = await index.fragmentsByTime(session.streamId, { range: { by, startMs: fromMs, endMs }, limit: REPLAY_PAGE });
    const after = rows.filter((f) => isAfter(f, by, state));
    const fresh = by === 'producer' ? dedupeByTimestamp(after, by) : after.map(listedFragment);
    let stopped = false;
    for (const fragment of fresh) {
      // Listed once everything before it has had its duration's time.
      if (state.sumThroughMs > elapsedMs) {
        stopped = true;
        break;
      }
      state = { ...state, lastMs: timestampOf(fragment, by), lastNumber: fragment.fragmentNumber, sumThroughMs: state.sumThroughMs + fragment.durationMs };
    }
    state = { ...state, exhausted: !stopped && rows.length < REPLAY_PAGE };
    // A full page of nothing new (more fragments sharing one timestamp than a page holds): stop
    // here rather than read the same page again.
    if (stopped || rows.length < REPLAY_PAGE || fresh.length === 0) break;
  }
  memo?.set(session.sessionId, state);
  const reachedMs = state.lastMs ?? (session.startTimestampMs ?? session.anchorMs) - 1;
  // Every fragment up to the end listed and played; with producer timestamps (the producer's
  // clock) none can still come once the clock has passed the end.
  const complete = session.endTimestampMs !== undefined && state.exhausted && elapsedMs >= state.sumThroughMs && (by === 'server' || nowMs >= endMs);
  return { reachedMs, complete };
}

/** After the replay's last listed fragment in (timestamp, number) order; producer duplicates of its timestamp are hidden. */
function isAfter(fragment: FragmentRecord, by: FragmentTimestampKind, state: ReplayState): boolean {
  if (state.lastMs === undefined) return true;
  const ms = timestampOf(fragment, by);
  if (ms !== state.lastMs) return ms > state.lastMs;
  return by === 'server' && fragment.fragmentNumber > state.lastNumber;
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
