import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';

/**
 * A player-facing HLS/DASH resource (kvs-api.md §5): `GET /hls/v1/<name>` or `/dash/v1/<name>`,
 * authorized by its SessionToken query parameter alone (no SigV4), answered with CORS headers so
 * browser players on another origin can fetch it. Errors thrown before the response starts become
 * AWS error responses, as for any operation.
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

/** CORS: any origin may read playback resources; the token in the URL is the credential. */
export function setCorsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Range, Content-Type');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Type, x-amzn-RequestId, x-amz-ErrorType, x-amzn-ErrorType');
  res.setHeader('Access-Control-Max-Age', '86400');
}
