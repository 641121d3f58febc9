import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestAccess } from '../access/request-access.js';
import type { Principal } from '../access/principal.js';
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
import { streamNameFromArn } from '../util/metrics.js';

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
  /** GET/HEAD path → operability resource (`/metrics`, `/health/live`, `/health/ready`): no SigV4. */
  readonly operability?: Map<string, GetResource>;
  /**
   * Static web pages (the console): asked only for GET/HEAD requests that no API, playback or
   * operability route takes; answers true when it served the request.
   */
  readonly site?: (req: IncomingMessage, res: ServerResponse, rawPath: string) => Promise<boolean>;
}

/** A plain GET resource outside the KVS API. */
export type GetResource = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createRequestHandler(app: AppContext, routes: RouteTables, authenticate: Authenticate, cors: Cors) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    const started = performance.now();
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('x-amz-RequestId', requestId);
    // On every answer, errors and 404s included: a page's SDK reads the error name only if the
    // browser lets it see the answer.
    cors.decorate(req, res);
    // Until authentication says otherwise, nothing is allowed (playback and preflights never authorize).
    const access = requestAccess(NOBODY, 'None', { accountId: app.accountId, log: app.log, requestId, keys: undefined });
    const ctx: RequestContext = { ...app, requestId, access, observed: {} };
    countOutgoingBytes(res, ctx);
    handle(req, res, ctx, routes, authenticate, cors)
      .catch((err: unknown) => {
        // A body we stopped reading cannot leave the connection reusable.
        if (!req.complete) res.setHeader('connection', 'close');
        sendError(res, toApiError(err, app.log, requestId));
      })
      .finally(() => {
        const ms = Math.round((performance.now() - started) * 10) / 10;
        app.log.info({ requestId, method: req.method, path: req.url, status: res.statusCode, ms }, 'request');
        const { operation, stream } = ctx.observed;
        if (operation !== undefined) app.metrics.request(operation, stream, (performance.now() - started) / 1000, res.statusCode < 400);
      });
  };
}

/**
 * `<Operation>.OutgoingBytes`: every body byte written to the response, counted under the
 * operation and stream the request turned out to be (known before the body starts).
 */
function countOutgoingBytes(res: ServerResponse, ctx: RequestContext): void {
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const count = (chunk: unknown, encoding: unknown) => {
    const { operation, stream } = ctx.observed;
    if (operation === undefined || !ctx.metrics.countsOutgoingBytes(operation)) return;
    if (typeof chunk === 'string') ctx.metrics.outgoingBytes(operation, stream, Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) ctx.metrics.outgoingBytes(operation, stream, chunk.byteLength);
  };
  res.write = ((...args: unknown[]) => {
    count(args[0], args[1]);
    return write(...args);
  }) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return end(...args);
  }) as typeof res.end;
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
  if (isPlaybackPath(rawPath)) {
    const resource = routes.playback.get(rawPath);
    if (resource) ctx.observed.operation = playbackOperationName(rawPath);
    return handlePlayback(req, res, ctx, resource, rawQuery, cors);
  }
  const operability = routes.operability?.get(rawPath);
  if (operability && (req.method === 'GET' || req.method === 'HEAD')) return operability(req, res);
  // Preflights carry no credentials: answered before authentication, for every routed operation
  // (unsupported ones too, so the page can read their 501) and PutMedia.
  if (req.method === 'OPTIONS' && routes.operations.has(rawPath)) return cors.preflight(req, res, ['POST']);
  const route = req.method === 'POST' ? routes.operations.get(rawPath) : undefined;
  if (!route) {
    if ((req.method === 'GET' || req.method === 'HEAD') && routes.site && (await routes.site(req, res, rawPath))) return;
    throw new UnknownOperationException(`No operation at ${req.method} ${rawPath}.`);
  }
  ctx.observed.operation = route.kind === 'unsupported' ? route.name : route.operation.name;
  if (route.kind === 'stream') {
    answerAfterClientFin(req, res);
    const principal = authenticate(req, 'streaming');
    return route.operation.handle(req, res, authorized(ctx, principal, route.operation.name));
  }
  continueIfExpected(req, res);
  const body = await readBody(req);
  const principal = authenticate(req, body.sha256);
  if (route.kind === 'unsupported') {
    throw new UnsupportedOperationException(`openkvs does not implement ${route.name} yet.`);
  }
  const input = parseJsonObject(body.bytes);
  validateInput(route.operation.shape.input, input);
  ctx.observed.stream = streamOfInput(input);
  const opCtx = authorized(ctx, principal, route.operation.name);
  if (route.kind === 'json-stream') return route.operation.handle(input as never, res, opCtx);
  sendJson(res, 200, await route.operation.handle(input as never, opCtx));
}

/** A principal with a policy that allows nothing: the context before authentication. */
const NOBODY: Principal = { accessKeyId: 'none', name: 'none', policies: [{ statements: [] }] };

/**
 * The context an operation runs in: the authenticated caller and the operation's IAM action.
 * The operation authorizes itself once the resource is known (the stream's ARN needs a lookup):
 * stream operations in api/control/stream-access.ts, CreateStream and ListStreams in their own files.
 */
function authorized(ctx: RequestContext, principal: Principal, operation: string): RequestContext {
  return { ...ctx, access: requestAccess(principal, operation, ctx) };
}

/** The stream an API input names, for metrics labels. */
function streamOfInput(input: Record<string, unknown>): string | undefined {
  const name = input['StreamName'];
  if (typeof name === 'string') return name;
  const arn = input['StreamARN'] ?? input['ResourceARN'];
  return typeof arn === 'string' ? streamNameFromArn(arn) : undefined;
}

/** `/hls/v1/getHLSMediaPlaylist.m3u8` → `GetHLSMediaPlaylist`. */
function playbackOperationName(rawPath: string): string {
  const file = rawPath.slice(rawPath.lastIndexOf('/') + 1).replace(/\.[a-z0-9]+$/i, '');
  return file.charAt(0).toUpperCase() + file.slice(1);
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
