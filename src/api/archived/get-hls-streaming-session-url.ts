import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesis-video-archived-media.js';
import { hlsSessionUrl } from '../../formats/manifests/resources.js';
import { startSession } from '../../playback/session-start.js';
import { hlsSessionOptions, type HlsSessionInput } from './session-options.js';

/**
 * GetHLSStreamingSessionURL (kvs-api.md §4.5): a session URL on this server's public URL whose
 * token carries the session — stream, options, anchor and expiry — so that any node serves it.
 */
export const getHlsStreamingSessionUrl: JsonOperation<HlsSessionInput & StreamRef> = {
  name: 'GetHLSStreamingSessionURL',
  shape: operations.GetHLSStreamingSessionURL,
  async handle(input, ctx) {
    const nowMs = ctx.clock.nowMs();
    const options = hlsSessionOptions(input, nowMs);
    const stream = await findStream(ctx, input);
    const session = await startSession(ctx.index, ctx.playback, stream, options, nowMs);
    return { HLSStreamingSessionURL: hlsSessionUrl(ctx.publicUrl, ctx.playback.tokens.issue(session)) };
  },
};
