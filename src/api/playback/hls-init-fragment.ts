import { ResourceNotFoundException } from '../../domain/errors.js';
import { HLS_PATH_PREFIX, HlsResource } from '../../formats/manifests/resources.js';
import { initSegment } from '../../playback/segments/index.js';
import type { PlaybackResource } from './resource.js';
import { mp4ContentType, sessionHeaderId, sessionTrack } from './segment-response.js';
import { openSession, sendBody, sequenceNumberParam, trackNumberParam } from './session-request.js';

/** getMP4InitFragment.mp4 under /hls/v1/ (kvs-api.md §5): ftyp + moov of one track, per track header (SequenceNumber). */
export const hlsInitFragmentResource: PlaybackResource = {
  path: `${HLS_PATH_PREFIX}${HlsResource.InitFragment}`,
  async handle(query, res, ctx) {
    const { session } = await openSession(query, ctx, 'HLS', true);
    const trackNumber = trackNumberParam(query, true);
    const sequenceNumber = sequenceNumberParam(query);
    if (session.containerFormat !== 'FRAGMENTED_MP4') throw new ResourceNotFoundException('An MPEG_TS streaming session has no init fragments.');
    const headerId = await sessionHeaderId(ctx, session, sequenceNumber);
    const track = await sessionTrack(ctx, 'HLS', headerId, trackNumber);
    sendBody(res, mp4ContentType(track), Buffer.from(initSegment(await ctx.playback.trackHeader(headerId), trackNumber)), false);
  },
};
