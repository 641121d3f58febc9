import { ResourceNotFoundException } from '../../domain/errors.js';
import { HLS_PATH_PREFIX, HlsResource } from '../../formats/manifests/resources.js';
import { streamBitrates } from '../../playback/bitrates.js';
import { hlsMasterText } from '../../playback/hls-render.js';
import type { PlaybackResource } from './resource.js';
import { ContentType, openSession, sendBody } from './session-request.js';

/**
 * getHLSMasterPlaylist.m3u8 (kvs-api.md §5): the variant with CODECS, RESOLUTION, FRAME-RATE and
 * BANDWIDTH from the stored codec private data and fragment sizes; fMP4 audio as a rendition.
 */
export const hlsMasterPlaylistResource: PlaybackResource = {
  path: `${HLS_PATH_PREFIX}${HlsResource.MasterPlaylist}`,
  async handle(query, res, ctx) {
    const { session, token } = await openSession(query, ctx, 'HLS', true);
    const body = await ctx.playback.renderedOnce(session, 'master', async () => {
      const window = await ctx.playback.window(session, ctx.clock.nowMs());
      const first = window.fragments[0];
      if (!first) throw new ResourceNotFoundException('The streaming session has no fragments to play.');
      const media = await ctx.playback.streamMedia(first.headerId, 'HLS');
      return hlsMasterText(session, token, media, await streamBitrates(ctx.index, session.streamId, window.fragments));
    });
    sendBody(res, ContentType.HlsPlaylist, body, session.playbackMode !== 'ON_DEMAND');
  },
};
