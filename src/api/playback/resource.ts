import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';

/**
 * A player-facing HLS/DASH resource (kvs-api.md §5): `GET /hls/v1/<name>` or `/dash/v1/<name>`,
 * authorized by its SessionToken query parameter alone (no SigV4); the HTTP layer adds the CORS
 * headers (http/cors.ts) that let browser players on another origin fetch it. Errors thrown
 * before the response starts become AWS error responses, as for any operation.
 */
export interface PlaybackResource {
  /** Full path, e.g. /hls/v1/getHLSMasterPlaylist.m3u8. */
  readonly path: string;
  handle(query: URLSearchParams, res: ServerResponse, ctx: RequestContext): Promise<void>;
}

/** Every playback path starts with one of these. */
export const PLAYBACK_PREFIXES = ['/hls/v1/', '/dash/v1/'] as const;

export function isPlaybackPath(rawPath: string): boolean {
  return PLAYBACK_PREFIXES.some((prefix) => rawPath.startsWith(prefix));
}
