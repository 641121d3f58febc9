import { ResourceNotFoundException } from '../../domain/errors.js';
import { HLS_PATH_PREFIX, HlsResource } from '../../formats/manifests/resources.js';
import { hlsDiscontinuitySequence } from '../../playback/hls-discontinuities.js';
import { hlsMediaText } from '../../playback/hls-render.js';
import { FragmentWaiter } from '../../playback/live-wait.js';
import type { PlaylistWindow } from '../../playback/playlist-window.js';
import type { HlsSession } from '../../playback/session.js';
import type { RequestContext } from '../context.js';
import type { PlaybackResource } from './resource.js';
import { ContentType, openSession, positiveInteger, sendBody, trackNumberParam } from './session-request.js';

/** RFC 8216bis §6.2.5.2 blocking reload: `_HLS_msn=M` holds the request until segment M is listed. */
const BLOCKING_MSN_PARAM = '_HLS_msn';
/** How long a blocking reload may hold: three target durations, as RFC 8216bis asks, at least this. */
const MIN_BLOCK_MS = 3000;
/** LIVE_REPLAY gains fragments as time passes, not as they are indexed: how often a held request looks again. */
const REPLAY_RECHECK_MS = 100;

/**
 * getHLSMediaPlaylist.m3u8 (kvs-api.md §5): one track's playlist (fMP4, TrackNumber) or the muxed
 * one (MPEG-TS). ON_DEMAND is built once per node; LIVE and LIVE_REPLAY are read from the index on
 * every request, so a fragment shows the moment it is indexed. A client that knows the next media
 * sequence number may ask with `_HLS_msn` and get the playlist as soon as it lists that segment.
 */
export const hlsMediaPlaylistResource: PlaybackResource = {
  path: `${HLS_PATH_PREFIX}${HlsResource.MediaPlaylist}`,
  async handle(query, res, ctx) {
    const { session, token } = await openSession(query, ctx, 'HLS', true);
    const trackNumber = session.containerFormat === 'FRAGMENTED_MP4' ? trackNumberParam(query, true) : undefined;
    const msnText = query.get(BLOCKING_MSN_PARAM);
    const blockUntil = msnText === null ? undefined : positiveInteger(BLOCKING_MSN_PARAM, msnText, 0);
    const body = await ctx.playback.renderedOnce(session, `media/${trackNumber ?? 'ts'}`, async () => {
      const window = blockUntil === undefined ? await ctx.playback.window(session, ctx.clock.nowMs()) : await windowListing(ctx, session, blockUntil);
      await checkTrack(ctx, window, trackNumber);
      return hlsMediaText(session, token, window, trackNumber, await hlsDiscontinuitySequence(ctx.index, session, window));
    });
    sendBody(res, ContentType.HlsPlaylist, body, session.playbackMode !== 'ON_DEMAND');
  },
};

/** An fMP4 playlist is for one of the session's tracks. */
async function checkTrack(ctx: RequestContext, window: PlaylistWindow, trackNumber: number | undefined): Promise<void> {
  const first = window.fragments[0];
  if (trackNumber === undefined || !first) return;
  const media = await ctx.playback.streamMedia(first.headerId, 'HLS');
  if (!media.tracks.some((t) => t.trackNumber === trackNumber)) {
    throw new ResourceNotFoundException(`Track ${trackNumber} is not a track of this streaming session.`);
  }
}

/** The window once it lists media sequence number `msn` (or is complete), or as it is when the wait runs out. */
async function windowListing(ctx: RequestContext, session: HlsSession, msn: number): Promise<PlaylistWindow> {
  const waiter = new FragmentWaiter(ctx.feed, session.streamId);
  try {
    let window = await ctx.playback.window(session, ctx.clock.nowMs());
    const longestMs = Math.max(0, ...window.fragments.map((f) => f.durationMs));
    const deadline = performance.now() + Math.max(MIN_BLOCK_MS, 3 * longestMs);
    while (!window.complete && window.firstSequence + window.fragments.length <= msn) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const wake = await waiter.next(session.playbackMode === 'LIVE_REPLAY' ? Math.min(remaining, REPLAY_RECHECK_MS) : remaining);
      if (wake === 'deleted') break;
      window = await ctx.playback.window(session, ctx.clock.nowMs());
    }
    return window;
  } finally {
    waiter.close();
  }
}
