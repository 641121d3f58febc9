/**
 * Starting a session (GetHLSStreamingSessionURL / GetDASHStreamingSessionURL, kvs-api.md §4.5,
 * §4.6): find the fragment it starts from — which fixes its anchor — and check that the stream
 * holds media the protocol plays, answering AWS's errors in AWS's order: retention, fragments,
 * then the media of the fragment the player would start with.
 */
import { NoDataRetentionException, ResourceNotFoundException } from '../domain/errors.js';
import type { FragmentRecord } from '../domain/fragment.js';
import type { StreamRecord } from '../domain/stream.js';
import { newSessionId } from './session-token.js';
import type { IndexStore } from '../storage/index-store.js';
import type { PlaybackService } from './playback-service.js';
import { dedupeByTimestamp, NO_END_MS, timestampOf } from './playlist-window.js';
import { bindSession, selectorKind, type PlaybackSession, type SessionOptions } from './session.js';

/** LIVE needs a fragment received this recently (kvs-api.md §4.5, ResourceNotFoundException). */
export const LIVE_RECENT_MS = 30_000;

export async function startSession(
  index: IndexStore,
  playback: PlaybackService,
  stream: StreamRecord,
  options: SessionOptions,
  nowMs: number,
): Promise<PlaybackSession> {
  if (stream.dataRetentionInHours === 0) {
    throw new NoDataRetentionException(`Stream ${stream.name} has no data retention, so it has no archived media to play back.`);
  }
  const { anchorMs, playerStart } =
    options.playbackMode === 'LIVE' ? await liveStart(index, stream.streamId, options, nowMs) : await rangeStart(index, stream.streamId, options);
  // The fragment a player starts with must be playable; the error names what is wrong with it.
  await playback.streamMedia(playerStart.headerId, options.protocol);
  return bindSession(options, { sessionId: newSessionId(), streamId: stream.streamId, streamName: stream.name, anchorMs });
}

interface Start {
  /** Where the session's sequence numbers count from. */
  readonly anchorMs: number;
  /** The fragment whose media the first playlist or manifest describes. */
  readonly playerStart: FragmentRecord;
}

/** LIVE: the newest fragments, if the stream received one in the last 30 s; the oldest of them is the anchor. */
async function liveStart(index: IndexStore, streamId: number, options: SessionOptions, nowMs: number): Promise<Start> {
  const recentRange = { by: 'server', startMs: nowMs - LIVE_RECENT_MS, endMs: NO_END_MS } as const;
  const [recent] = await index.fragmentsByTime(streamId, { range: recentRange, limit: 1, newestFirst: true });
  if (!recent) throw new ResourceNotFoundException(`No fragments found in the stream in the last ${LIVE_RECENT_MS / 1000} seconds.`);
  const by = selectorKind(options);
  const newest = await index.fragmentsByTime(streamId, {
    range: { by, startMs: 0, endMs: NO_END_MS },
    limit: options.maxFragmentResults * 2,
    newestFirst: true,
  });
  const listed = dedupeByTimestamp(newest.reverse(), by).slice(-options.maxFragmentResults);
  const oldest = listed[0];
  return { anchorMs: oldest ? timestampOf(oldest, by) : timestampOf(recent, by), playerStart: recent };
}

/** ON_DEMAND and LIVE_REPLAY: the first fragment in range is the anchor. */
async function rangeStart(index: IndexStore, streamId: number, options: SessionOptions): Promise<Start> {
  const by = selectorKind(options);
  const range = { by, startMs: options.startTimestampMs ?? 0, endMs: options.endTimestampMs ?? NO_END_MS };
  const [first] = await index.fragmentsByTime(streamId, { range, limit: 1 });
  if (!first) throw new ResourceNotFoundException('No fragments found in the stream for the requested time range.');
  return { anchorMs: timestampOf(first, by), playerStart: first };
}
