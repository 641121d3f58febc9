import { ResourceNotFoundException } from '../../domain/errors.js';
import { DASH_PATH_PREFIX, DashResource } from '../../formats/manifests/resources.js';
import { streamBitrates } from '../../playback/bitrates.js';
import { dashManifestText } from '../../playback/dash-render.js';
import type { PlaybackResource } from './resource.js';
import { ContentType, openSession, sendBody } from './session-request.js';

/**
 * getDASHManifest.mpd (kvs-api.md §5): static for ON_DEMAND (built once per node), dynamic for
 * LIVE and LIVE_REPLAY (read from the index on every request), with kvs:ts / kvs:fn per the options.
 */
export const dashManifestResource: PlaybackResource = {
  path: `${DASH_PATH_PREFIX}${DashResource.Manifest}`,
  async handle(query, res, ctx) {
    const { session, token } = await openSession(query, ctx, 'DASH', true);
    const body = await ctx.playback.renderedOnce(session, 'mpd', async () => {
      const nowMs = ctx.clock.nowMs();
      const window = await ctx.playback.window(session, nowMs);
      const first = window.fragments[0];
      if (!first) throw new ResourceNotFoundException('The streaming session has no fragments to play.');
      // DASH sessions keep one codec private data (kvs-api.md §4.6): the first fragment's.
      const media = await ctx.playback.streamMedia(first.headerId, 'DASH');
      const bitrates = await streamBitrates(ctx.index, session.streamId, window.fragments);
      return dashManifestText(session, token, window, media, bitrates, nowMs);
    });
    sendBody(res, ContentType.DashManifest, body, session.playbackMode !== 'ON_DEMAND');
  },
};
