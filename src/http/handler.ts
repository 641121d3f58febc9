import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext, RequestContext } from '../api/context.js';
import { isPlaybackPath, type PlaybackResource } from '../api/playback/resource.js';
import type { Route } from '../api/routes.js';
import { validateInput } from '../api/shapes/validate.js';
import { ApiError, UnknownOperationException } from '../domain/errors.js';
import { splitTarget, type Authenticate } from './authenticate.js';
import type { Cors } from './cors.js';
import { answerAfterClientFin } from './half-close.js';
import { sendError, toApiError } from './errors.js';
import { parseJsonObject, readBody, sendJson } from './wire.js';

class UnsupportedOperationException extends ApiError {
  readonly httpStatus = 501;
}

/**
 * The request pipeline: CORS headers → preflight, or route → read body → authenticate → parse →
 * validate → operation → JSON answer. Every failure becomes an AWS error response; nothing
 * escapes to crash the process.
 */
export interface RouteTables {
  /** POST path → API operation. */
  readonly operations: Map<string, Route>;
  /** GET path → HLS/DASH session resource. */
  readonly playback: Map<string, PlaybackResource>;
  /** GET /metrics (Prometheus text), when something in the process reports metrics (serve --relays). */
  readonly metrics?: () => string;
}

export function createRequestHandler(app: AppContext, routes: RouteTables, authenticate: Authenticate, cors: Cors) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    const started = performance.now();
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('x-amz-RequestId', requestId);
    // On every answer, errors and 404s included: a page's SDK reads the error name only if the
    // browser lets it see the answer.
    cors.decorate(req, res);
    const ctx: RequestContext = { ...app, requestId };
    handle(req, res, ctx, routes, authenticate, cors)
      .catch((err: unknown) => {
        // A body we stopped reading cannot leave the connection reusable.
        if (!req.complete) res.setHeader('connection', 'close');
        sendError(res, toApiError(err, app.log, requestId));
      })
      .finally(() => {
        const ms = Math.round((performance.now() - started) * 10) / 10;
        app.log.info({ requestId, method: req.method, path: req.url, status: res.statusCode, ms }, 'request');
      });
  };
}

/**
 * `Expect: 100-continue` requests reach us through 'checkContinue' so that a streaming operation
 * can refuse bad headers before the client sends its body; everything else continues at once.
 */
export function continueIfExpected(req: IncomingMessage, res: ServerResponse): void {
  if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  routes: RouteTables,
  authenticate: Authenticate,
  cors: Cors,
): Promise<void> {
  const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
  if (isPlaybackPath(rawPath)) return handlePlayback(req, res, ctx, routes.playback.get(rawPath), rawQuery, cors);
  if (rawPath === '/metrics' && req.method === 'GET' && routes.metrics) {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(routes.metrics());
    return;
  }
  // Preflights carry no credentials: answered before authentication, for every routed operation
  // (unsupported ones too, so the page can read their 501) and PutMedia.
  if (req.method === 'OPTIONS' && routes.operations.has(rawPath)) return cors.preflight(req, res, ['POST']);
  const route = req.method === 'POST' ? routes.operations.get(rawPath) : undefined;
  if (!route) throw new UnknownOperationException(`No operation at ${req.method} ${rawPath}.`);
  if (route.kind === 'stream') {
    answerAfterClientFin(req, res);
    authenticate(req, 'streaming');
    return route.operation.handle(req, res, ctx);
  }
  continueIfExpected(req, res);
  const body = await readBody(req);
  authenticate(req, body.sha256);
  if (route.kind === 'unsupported') {
    throw new UnsupportedOperationException(`openkvs does not implement ${route.name} yet.`);
  }
  const input = parseJsonObject(body.bytes);
  validateInput(route.operation.shape.input, input);
  if (route.kind === 'json-stream') return route.operation.handle(input as never, res, ctx);
  sendJson(res, 200, await route.operation.handle(input as never, ctx));
}

/** HLS/DASH GETs: no SigV4 (the session token authorizes). */
async function handlePlayback(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  resource: PlaybackResource | undefined,
  rawQuery: string,
  cors: Cors,
): Promise<void> {
  if (resource && req.method === 'OPTIONS') return cors.preflight(req, res, ['GET', 'HEAD']);
  if (!resource || (req.method !== 'GET' && req.method !== 'HEAD')) {
    throw new UnknownOperationException(`No playback resource at ${req.method} ${splitTarget(req.url ?? '/').rawPath}.`);
  }
  return resource.handle(new URLSearchParams(rawQuery), res, ctx);
}
