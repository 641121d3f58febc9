import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesis-video-archived-media.js';
import { dashSessionUrl } from '../../formats/manifests/resources.js';
import { startSession } from '../../playback/session-start.js';
import { dashSessionOptions, type DashSessionInput } from './session-options.js';

/**
 * GetDASHStreamingSessionURL (kvs-api.md §4.6): as GetHLSStreamingSessionURL, for an MPD whose
 * segments are always fMP4; G.711 audio is playable here, not in HLS.
 */
export const getDashStreamingSessionUrl: JsonOperation<DashSessionInput & StreamRef> = {
  name: 'GetDASHStreamingSessionURL',
  shape: operations.GetDASHStreamingSessionURL,
  async handle(input, ctx) {
    const nowMs = ctx.clock.nowMs();
    const options = dashSessionOptions(input, nowMs);
    const stream = await findStream(ctx, input);
    const session = await startSession(ctx.index, ctx.playback, stream, options, nowMs);
    return { DASHStreamingSessionURL: dashSessionUrl(ctx.publicUrl, ctx.playback.tokens.issue(session)) };
  },
};
