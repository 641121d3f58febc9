import { ResourceNotFoundException } from '../../domain/errors.js';
import { DASH_PATH_PREFIX, DashResource } from '../../formats/manifests/resources.js';
import { fragmentAtPosition } from '../../playback/dash-segments.js';
import { dashTimelineStartMs } from '../../playback/dash-timeline.js';
import { fmp4SegmentBody } from '../../playback/segment-bodies.js';
import type { PlaybackResource } from './resource.js';
import { mp4ContentType, sendSegment, sessionFragment, sessionTrack } from './segment-response.js';
import { openSession, segmentNumberParam, trackNumberParam } from './session-request.js';

/**
 * getMP4MediaFragment.mp4 under /dash/v1/ (kvs-api.md §5): FragmentNumber is the MPD's $Number$,
 * the segment's position in the session, mapped back to its fragment as the MPD numbered it.
 */
export const dashMediaFragmentResource: PlaybackResource = {
  path: `${DASH_PATH_PREFIX}${DashResource.MediaFragment}`,
  async handle(query, res, ctx) {
    const { session } = await openSession(query, ctx, 'DASH', false);
    const trackNumber = trackNumberParam(query, true);
    const position = segmentNumberParam(query);
    const listed = await fragmentAtPosition(ctx.index, ctx.playback, session, position, ctx.clock.nowMs());
    if (!listed) throw new ResourceNotFoundException(`Segment ${position} is not part of this streaming session.`);
    const fragment = await sessionFragment(ctx, session, listed.fragmentNumber);
    const track = await sessionTrack(ctx, 'DASH', fragment.headerId, trackNumber);
    const header = await ctx.playback.trackHeader(fragment.headerId);
    // The DASH timeline lays the session's fragments end to end (dash-timeline.ts), as the MPD does.
    const timing = { fragmentStartMs: await dashTimelineStartMs(ctx.index, session, fragment) };
    await sendSegment(res, await fmp4SegmentBody(ctx.playback, ctx.blobs, fragment, header, trackNumber, timing), mp4ContentType(track));
  },
};
