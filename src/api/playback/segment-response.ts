/**
 * What the init and media segment resources share: finding the session's fragment or track header
 * a request names (404 ResourceNotFoundException when it is not part of the session), and
 * streaming a segment with backpressure, a fragment's payload views corked into one write.
 */
import type { ServerResponse } from 'node:http';
import { ResponseSink } from '../../archive/response-sink.js';
import { ResourceNotFoundException } from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { MAX_POSITIONS_BEHIND } from '../../playback/dash-segments.js';
import { timestampOf } from '../../playback/playlist-window.js';
import { fragmentTimelineMs, type SegmentBody, type SegmentTiming } from '../../playback/segments/index.js';
import { selectorKind, type PlaybackProtocol, type PlaybackSession } from '../../playback/session.js';
import type { SessionTrack } from '../../playback/stream-media.js';
import type { RequestContext } from '../context.js';
import { ContentType } from './session-request.js';

/** A fragment of the session's stream within the session's range; 404 otherwise (unknown, another stream's, out of range). */
export async function sessionFragment(ctx: RequestContext, session: PlaybackSession, fragmentNumber: string): Promise<FragmentRecord> {
  const fragment = await ctx.index.getFragment(session.streamId, fragmentNumber);
  if (!fragment || !inSession(session, fragment)) {
    throw new ResourceNotFoundException(`Fragment ${fragmentNumber} is not part of this streaming session.`);
  }
  return fragment;
}

/** Nothing before the anchor (the session's first fragment) nor after the range's end belongs to the session. */
function inSession(session: PlaybackSession, fragment: FragmentRecord): boolean {
  const timestampMs = timestampOf(fragment, selectorKind(session));
  return timestampMs >= session.anchorMs && (session.endTimestampMs === undefined || timestampMs <= session.endTimestampMs);
}

/** One of the tracks a session plays from this header; 404 for any other track number. */
export async function sessionTrack(ctx: RequestContext, protocol: PlaybackProtocol, headerId: number, trackNumber: number): Promise<SessionTrack> {
  const media = await ctx.playback.streamMedia(headerId, protocol);
  const track = media.tracks.find((t) => t.trackNumber === trackNumber);
  if (!track) throw new ResourceNotFoundException(`Track ${trackNumber} is not a track of this streaming session.`);
  return track;
}

/**
 * The track header an init segment is for. SequenceNumber (HLS, from EXT-X-MAP) names it, and
 * must be one the session currently lists; without it, the header of the first fragment listed.
 */
export async function sessionHeaderId(ctx: RequestContext, session: PlaybackSession, sequenceNumber: number | undefined): Promise<number> {
  const window = await ctx.playback.window(session, ctx.clock.nowMs());
  const first = window.fragments[0];
  if (!first) throw new ResourceNotFoundException('The streaming session has no fragments to play.');
  if (sequenceNumber === undefined) return first.headerId;
  if (window.fragments.some((f) => f.headerId === sequenceNumber)) return sequenceNumber;
  // A live player a little behind the window (a DASH Period that just slid out) may still need it.
  if (session.playbackMode !== 'ON_DEMAND' && (await headerJustBefore(ctx, session, first, sequenceNumber))) return sequenceNumber;
  throw new ResourceNotFoundException(`SequenceNumber ${sequenceNumber} names no codec private data of this streaming session.`);
}

/** Whether one of the fragments listed just before the window (as far back as DASH segments are served) has this header. */
async function headerJustBefore(ctx: RequestContext, session: PlaybackSession, first: { producerTimestampMs: number; serverTimestampMs: number }, headerId: number): Promise<boolean> {
  const by = selectorKind(session);
  const range = { by, startMs: session.anchorMs, endMs: timestampOf(first, by) };
  const before = await ctx.index.fragmentsByTime(session.streamId, { range, limit: MAX_POSITIONS_BEHIND, newestFirst: true });
  return before.some((f) => f.headerId === headerId);
}

/** Where the session timeline places the fragment (its segments' tfdt, PTS, and the MPD's S@t). */
export function sessionTiming(session: PlaybackSession, fragment: FragmentRecord): SegmentTiming {
  return { fragmentStartMs: fragmentTimelineMs(fragment, session.fragmentSelectorType, session.anchorMs) };
}

export function mp4ContentType(track: SessionTrack): string {
  return track.codec.media === 'video' ? ContentType.Mp4Video : ContentType.Mp4Audio;
}

/** Streams a segment: headers at once, then each batch of views in one corked write, waiting while the socket is full. */
export async function sendSegment(res: ServerResponse, body: SegmentBody, contentType: string = body.contentType): Promise<void> {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.byteLength, 'Cache-Control': 'private, max-age=300' });
  const sink = new ResponseSink(res);
  try {
    for await (const batch of body.batches) if (!(await sink.writeBatch(batch))) return;
    sink.end();
  } finally {
    // The client left or a write failed: a storage read still open must close.
    await body.release();
  }
}
