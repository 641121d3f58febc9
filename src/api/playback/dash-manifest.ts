import { ResourceNotFoundException } from '../../domain/errors.js';
import { DASH_PATH_PREFIX, DashResource } from '../../formats/manifests/resources.js';
import { streamBitrates } from '../../playback/bitrates.js';
import { dashManifestText, headerRuns, type PeriodMedia } from '../../playback/dash-render.js';
import { dashWindowStartsMs } from '../../playback/dash-timeline.js';
import type { PlaybackResource } from './resource.js';
import { ContentType, openSession, sendBody } from './session-request.js';

/**
 * getDASHManifest.mpd (kvs-api.md §5): static for ON_DEMAND (built once per node), dynamic for
 * LIVE and LIVE_REPLAY (read from the index on every request), with kvs:ts / kvs:fn per the options;
 * a Period per track header (codec private data) the window lists.
 */
export const dashManifestResource: PlaybackResource = {
  path: `${DASH_PATH_PREFIX}${DashResource.Manifest}`,
  async handle(query, res, ctx) {
    const { session, token } = await openSession(query, ctx, 'DASH', true);
    const body = await ctx.playback.renderedOnce(session, 'mpd', async () => {
      const nowMs = ctx.clock.nowMs();
      const window = await ctx.playback.window(session, nowMs);
      if (window.fragments.length === 0) throw new ResourceNotFoundException('The streaming session has no fragments to play.');
      // One Period per track header the window lists (dash-render.ts), each with its media and bit rates.
      const periodMedia = new Map<number, PeriodMedia>();
      for (const run of headerRuns(window.fragments)) {
        if (periodMedia.has(run.headerId)) continue;
        const media = await ctx.playback.streamMedia(run.headerId, 'DASH');
        const fragments = window.fragments.filter((f) => f.headerId === run.headerId);
        periodMedia.set(run.headerId, { media, bitrates: await streamBitrates(ctx.index, session.streamId, fragments) });
      }
      const startsMs = await dashWindowStartsMs(ctx.index, session, window);
      return dashManifestText(session, token, window, startsMs, (headerId) => periodMedia.get(headerId) as PeriodMedia, nowMs);
    });
    sendBody(res, ContentType.DashManifest, body, session.playbackMode !== 'ON_DEMAND');
  },
};
