/**
 * What every HLS/DASH resource does first: verify the SessionToken (kvs-api.md §5: a bad or
 * expired token is 403 NotAuthorizedException, "Streaming session token is expired"), check the
 * session's stream is still the one it was made for, and read the query parameters (a bad one is
 * 400 InvalidArgumentException). Then send the body with its Content-Type.
 */
import type { ServerResponse } from 'node:http';
import { ApiError, InvalidArgumentException } from '../../domain/errors.js';
import { parseFragmentNumber } from '../../domain/fragment.js';
import { SessionQuery } from '../../formats/manifests/resources.js';
import type { DashSession, HlsSession, PlaybackProtocol } from '../../playback/session.js';
import type { RequestContext } from '../context.js';

/**
 * NotAuthorizedException as the playback resources answer it: 403, where the API operations'
 * NotAuthorizedException is 401 (the service model). The AWS name stays on the wire.
 */
export class SessionNotAuthorizedException extends ApiError {
  readonly httpStatus = 403;
  override get code(): string {
    return 'NotAuthorizedException';
  }
}

export const ContentType = {
  HlsPlaylist: 'application/vnd.apple.mpegurl',
  DashManifest: 'application/dash+xml',
  Mp4Video: 'video/mp4',
  Mp4Audio: 'audio/mp4',
  MpegTs: 'video/mp2t',
} as const;

export interface OpenSession<S> {
  readonly session: S;
  /** The token as it came, repeated in the URLs of the playlists and manifests built for it. */
  readonly token: string;
}

type SessionOf<P extends PlaybackProtocol> = P extends 'HLS' ? HlsSession : DashSession;

/**
 * The session of a request's token. `checkStream`: also look the stream up, so a session whose
 * stream was deleted (or deleted and re-created under its name) is refused; segment requests skip
 * it, as their fragment lookup by the session's stream id already finds nothing then.
 */
export async function openSession<P extends PlaybackProtocol>(
  query: URLSearchParams,
  ctx: RequestContext,
  protocol: P,
  checkStream: boolean,
): Promise<OpenSession<SessionOf<P>>> {
  const token = query.get(SessionQuery.SessionToken);
  if (token === null || token === '') throw new SessionNotAuthorizedException('Streaming session token is missing');
  const verdict = ctx.playback.tokens.verify(token, ctx.clock.nowMs(), protocol);
  if (!verdict.ok) throw new SessionNotAuthorizedException(verdict.message);
  const session = verdict.session as SessionOf<P>;
  ctx.observed.stream = session.streamName;
  if (checkStream) {
    const stream = await ctx.index.getStreamByName(session.streamName);
    if (!stream || stream.streamId !== session.streamId) {
      throw new SessionNotAuthorizedException('The stream of this streaming session no longer exists');
    }
  }
  return { session, token };
}

/** TrackNumber: a positive integer; undefined when absent and not required. */
export function trackNumberParam(query: URLSearchParams, required: true): number;
export function trackNumberParam(query: URLSearchParams, required: boolean): number | undefined;
export function trackNumberParam(query: URLSearchParams, required: boolean): number | undefined {
  const text = query.get(SessionQuery.TrackNumber);
  if (text === null) {
    if (required) throw new InvalidArgumentException('TrackNumber is required.');
    return undefined;
  }
  return positiveInteger(SessionQuery.TrackNumber, text, 1);
}

/** An HLS FragmentNumber: a KVS fragment number. */
export function fragmentNumberParam(query: URLSearchParams): string {
  const text = query.get(SessionQuery.FragmentNumber);
  if (text === null) throw new InvalidArgumentException('FragmentNumber is required.');
  if (parseFragmentNumber(text) === undefined) throw new InvalidArgumentException(`FragmentNumber ${JSON.stringify(text)} is not a fragment number.`);
  return text;
}

/** A DASH FragmentNumber: the segment's $Number$, a position in the session. */
export function segmentNumberParam(query: URLSearchParams): number {
  const text = query.get(SessionQuery.FragmentNumber);
  if (text === null) throw new InvalidArgumentException('FragmentNumber is required.');
  return positiveInteger(SessionQuery.FragmentNumber, text, 0);
}

/** SequenceNumber on an init segment: which track header (codec private data version). */
export function sequenceNumberParam(query: URLSearchParams): number | undefined {
  const text = query.get(SessionQuery.SequenceNumber);
  return text === null ? undefined : positiveInteger(SessionQuery.SequenceNumber, text, 0);
}

export function positiveInteger(name: string, text: string, min: number): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min)) throw new InvalidArgumentException(`${name} must be an integer of at least ${min}, not ${JSON.stringify(text)}.`);
  return value;
}

/** A whole body at once. Live playlists must not be cached: the next reload may list a new fragment. */
export function sendBody(res: ServerResponse, contentType: string, body: Buffer, live: boolean): void {
  res.writeHead(200, {
    'Content-Type': contentType,
    'Content-Length': body.byteLength,
    'Cache-Control': live ? 'no-cache, no-store' : 'private, max-age=300',
  });
  res.end(body);
}
