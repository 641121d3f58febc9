import { DASH_PATH_PREFIX, DashResource } from '../../formats/manifests/resources.js';
import { initSegment } from '../../playback/segments/index.js';
import type { PlaybackResource } from './resource.js';
import { mp4ContentType, sessionHeaderId, sessionTrack } from './segment-response.js';
import { openSession, sendBody, sequenceNumberParam, trackNumberParam } from './session-request.js';

/**
 * getMP4InitFragment.mp4 under /dash/v1/ (kvs-api.md §5): ftyp + moov of one track, of the track
 * header its Period names (SequenceNumber, as HLS's EXT-X-MAP); without it, the header of the
 * first fragment the session lists.
 */
export const dashInitFragmentResource: PlaybackResource = {
  path: `${DASH_PATH_PREFIX}${DashResource.InitFragment}`,
  async handle(query, res, ctx) {
    const { session } = await openSession(query, ctx, 'DASH', true);
    const trackNumber = trackNumberParam(query, true);
    const headerId = await sessionHeaderId(ctx, session, sequenceNumberParam(query));
    const track = await sessionTrack(ctx, 'DASH', headerId, trackNumber);
    sendBody(res, mp4ContentType(track), Buffer.from(initSegment(await ctx.playback.trackHeader(headerId), trackNumber)), false);
  },
};
