import { ResourceNotFoundException } from '../../domain/errors.js';
import { HLS_PATH_PREFIX, HlsResource } from '../../formats/manifests/resources.js';
import { tsSegmentBody } from '../../playback/segment-bodies.js';
import type { PlaybackResource } from './resource.js';
import { sendSegment, sessionFragment, sessionTiming } from './segment-response.js';
import { ContentType, fragmentNumberParam, openSession } from './session-request.js';

/** getTSFragment.ts (kvs-api.md §5): one fragment, every playable track muxed into MPEG-TS. */
export const hlsTsFragmentResource: PlaybackResource = {
  path: `${HLS_PATH_PREFIX}${HlsResource.TsFragment}`,
  async handle(query, res, ctx) {
    const { session } = await openSession(query, ctx, 'HLS', false);
    const fragmentNumber = fragmentNumberParam(query);
    if (session.containerFormat !== 'MPEG_TS') throw new ResourceNotFoundException('A FRAGMENTED_MP4 streaming session has no MPEG-TS fragments.');
    const fragment = await sessionFragment(ctx, session, fragmentNumber);
    const header = await ctx.playback.trackHeader(fragment.headerId);
    await sendSegment(res, await tsSegmentBody(ctx.playback, ctx.blobs, fragment, header, sessionTiming(session, fragment)), ContentType.MpegTs);
  },
};
