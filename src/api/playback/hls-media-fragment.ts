import { ResourceNotFoundException } from '../../domain/errors.js';
import { HLS_PATH_PREFIX, HlsResource } from '../../formats/manifests/resources.js';
import { fmp4SegmentBody } from '../../playback/segment-bodies.js';
import type { PlaybackResource } from './resource.js';
import { mp4ContentType, sendSegment, sessionFragment, sessionTiming, sessionTrack } from './segment-response.js';
import { fragmentNumberParam, openSession, trackNumberParam } from './session-request.js';

/**
 * getMP4MediaFragment.mp4 under /hls/v1/ (kvs-api.md §5): moof + mdat of one track of one
 * fragment (FragmentNumber, the KVS fragment number), its payloads views of the fragment's stored bytes.
 */
export const hlsMediaFragmentResource: PlaybackResource = {
  path: `${HLS_PATH_PREFIX}${HlsResource.MediaFragment}`,
  async handle(query, res, ctx) {
    const { session } = await openSession(query, ctx, 'HLS', false);
    const trackNumber = trackNumberParam(query, true);
    const fragmentNumber = fragmentNumberParam(query);
    if (session.containerFormat !== 'FRAGMENTED_MP4') throw new ResourceNotFoundException('An MPEG_TS streaming session has no fMP4 fragments.');
    const fragment = await sessionFragment(ctx, session, fragmentNumber);
    const track = await sessionTrack(ctx, 'HLS', fragment.headerId, trackNumber);
    const header = await ctx.playback.trackHeader(fragment.headerId);
    await sendSegment(res, await fmp4SegmentBody(ctx.playback, ctx.blobs, fragment, header, trackNumber, sessionTiming(session, fragment)), mp4ContentType(track));
  },
};
