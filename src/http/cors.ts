import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for every answer: the API routes (the AWS SDKs for JavaScript call them from web pages,
 * as Amazon's sample viewer and KVS dashboards do) and the HLS/DASH resources (players fetch them
 * from the viewer's page). Requests are authorized by SigV4 signatures or session tokens, never
 * by cookies, so allowing every origin (`*`, the default) hands a page nothing it could not do
 * with its own credentials. (Open mode authorizes nothing, so there any page in a browser that can
 * reach the server may use it, as any program there may.) `--cors-origins` narrows it to a list.
 * CORS is not access control: a refused origin's simple requests (no preflight) are still served;
 * the browser only keeps the answers from the page.
 */

/** `*`, or the origins (`scheme://host[:port]`, as browsers serialize them) that may read answers. */
export type CorsOrigins = '*' | readonly string[];

/**
 * Request headers the SDKs send from a browser: v3 (`amz-sdk-*`, `x-amz-user-agent`), v2 (no
 * `amz-sdk-*`), session tokens, and the `x-amzn-*` parameters PutMedia takes as headers; `range`
 * for players. Preflights are answered with this fixed list, not an echo of
 * Access-Control-Request-Headers: the answer is then the same for every preflight, so browsers
 * can cache it (Max-Age) across operations, and a header outside the list is one openkvs does
 * not read. `authorization` must be listed by name: a `*` wildcard never covers it.
 */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-user-agent',
  'x-amz-content-sha256',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amzn-stream-name',
  'x-amzn-stream-arn',
  'x-amzn-fragment-timecode-type',
  'x-amzn-producer-start-timestamp',
  'range',
];

/**
 * Response headers beyond the CORS-safelisted ones that SDKs read: the request id (v2 and v3 put
 * it in `$metadata`/`requestId`), the error name (without it the SDK cannot name the exception
 * and reports a bare HTTP status), `date` (v3 corrects clock skew from it).
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'x-amzn-RequestId',
  'x-amz-RequestId',
  'x-amzn-ErrorType',
  'x-amz-ErrorType',
  'content-type',
  'content-length',
  'date',
];

/** Chromium caps preflight caching at 2 h; a longer value would only matter to Firefox (24 h). */
export const CORS_MAX_AGE_SECONDS = 7200;

export interface Cors {
  /** Sets the headers every answer to `req` carries (Allow-Origin, Expose-Headers, Vary). */
  decorate(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Answers a preflight for a path served with `methods`: 204 with what may be sent, or 403 when
   * the Origin is not allowed (the browser then refuses the request it was asking about).
   */
  preflight(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): void;
}

export function createCors(origins: CorsOrigins): Cors {
  const allowedOrigin = (req: IncomingMessage): string | undefined => {
    if (origins === '*') return '*';
    const origin = req.headers.origin;
    return origin !== undefined && origins.includes(origin) ? origin : undefined;
  };
  return {
    decorate(req, res) {
      // With a list the answer depends on Origin: caches must not hand one origin's answer to another.
      if (origins !== '*') res.setHeader('Vary', 'Origin');
      const origin = allowedOrigin(req);
      if (origin === undefined) return;
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', '));
    },
    preflight(req, res, methods) {
      const allow = [...methods, 'OPTIONS'].join(', ');
      res.setHeader('Allow', allow);
      if (allowedOrigin(req) === undefined) {
        res.writeHead(403).end();
        return;
      }
      res.setHeader('Access-Control-Allow-Methods', allow);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS.join(', '));
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
      res.writeHead(204).end();
    },
  };
}

/**
 * `--cors-origins`: `*`, or a comma-separated list of `http(s)://host[:port]` origins, each
 * normalized the way browsers send Origin (lower-case host, no default port, no slash).
 * Throws an Error saying what is wrong with the first bad entry.
 */
export function parseCorsOrigins(value: string): CorsOrigins {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '*') return '*';
  return entries.map((entry) => {
    if (entry === '*') throw new Error('* cannot be combined with other origins');
    if (entry === '') throw new Error(`empty entry in ${JSON.stringify(value)}`);
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`${JSON.stringify(entry)} is not an origin (scheme://host[:port])`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${JSON.stringify(entry)} must be http(s)`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash || entry.endsWith('#') || entry.endsWith('?')) {
      throw new Error(`${JSON.stringify(entry)} is not an origin: no path, query or credentials (scheme://host[:port])`);
    }
    return url.origin;
  });
}
