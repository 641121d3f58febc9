/**
 * PutMedia client: one long-lived chunked HTTP/1.1 POST of a Matroska stream, with the JSON acks
 * read from the response while the body is still being written (kvs-api.md §3.2). No AWS SDK
 * offers PutMedia, so this speaks the wire protocol the way Amazon's C producer does (§11),
 * including its SigV4 flavour, and works against openkvs and the real service alike.
 */
import http from 'node:http';
import https from 'node:https';
import { AckObjectSplitter, parseAck, type AckErrorEvent, type AckEvent, type AckEventType } from './acks.js';
import { resolveCredentials, resolveRegion, type CredentialsOption } from './aws-config.js';
import { httpErrorFrom } from './errors.js';
import { EventQueue } from './event-queue.js';
import { signRequest, type AwsCredentials } from './sigv4-sign.js';
import { USER_AGENT } from './version.js';

export interface PutMediaOptions {
  /** Data endpoint (GetDataEndpoint's answer), e.g. http://127.0.0.1:4570; /putMedia is appended. */
  endpoint: string;
  /** Exactly one of streamName and streamArn. */
  streamName?: string;
  streamArn?: string;
  /** The Matroska stream: one EBML header, one Segment, Clusters (one per fragment). */
  body: AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;
  /** How Cluster timecodes are read: epoch ms (ABSOLUTE, default) or ms since the start timestamp. */
  timecodeType?: 'ABSOLUTE' | 'RELATIVE';
  /** x-amzn-producer-start-timestamp in epoch ms; default: now. */
  producerStartTimestampMs?: number;
  /** SigV4 region; default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host's region, us-east-1. */
  region?: string;
  /** Default: the AWS default chain; if it finds nothing, the request goes unsigned. */
  credentials?: CredentialsOption;
  /** Aborting stops the upload; `done` rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PutMediaSummary {
  /** Body bytes handed to the connection. */
  readonly bytesSent: number;
  /** The whole body was sent and the request ended (false when the server ended the response first). */
  readonly bodyComplete: boolean;
  readonly acks: Readonly<Record<AckEventType, number>>;
  /** Distinct fragments named by any ack, and how many of them were acked PERSISTED. */
  readonly fragments: { readonly seen: number; readonly persisted: number };
  readonly errors: readonly AckErrorEvent[];
  /** x-amzn-RequestId of the response. */
  readonly requestId: string | undefined;
  /** False when no credentials were found and the request went unsigned. */
  readonly signed: boolean;
}

/** Iterate it for the acks as they arrive; `done` settles when the response ends. */
export interface PutMediaSession extends AsyncIterable<AckEvent> {
  readonly done: Promise<PutMediaSummary>;
  /** Body bytes sent so far (for progress displays). */
  readonly bytesSent: number;
}

/** Mutable progress shared by the session object and the transfer. */
interface SessionState {
  bytesSent: number;
  bodyComplete: boolean;
  signed: boolean;
  requestId: string | undefined;
  acks: Record<AckEventType, number>;
  fragmentsSeen: Set<string>;
  fragmentsPersisted: Set<string>;
  errors: AckErrorEvent[];
}

export function putMedia(options: PutMediaOptions): PutMediaSession {
  const endpoint = checkOptions(options);
  const state: SessionState = {
    bytesSent: 0,
    bodyComplete: false,
    signed: false,
    requestId: undefined,
    acks: { BUFFERING: 0, RECEIVED: 0, PERSISTED: 0, IDLE: 0, ERROR: 0 },
    fragmentsSeen: new Set(),
    fragmentsPersisted: new Set(),
    errors: [],
  };
  const queue = new EventQueue<AckEvent>();
  const onAck = (ack: AckEvent) => {
    recordAck(state, ack);
    queue.push(ack);
  };
  const done = runSession(options, endpoint, state, onAck);
  // Also marks `done` as handled: a caller who only iterates still sees the failure there.
  done.then(
    () => queue.end(),
    (err: unknown) => queue.fail(err),
  );
  return {
    done,
    get bytesSent() {
      return state.bytesSent;
    },
    [Symbol.asyncIterator]: () => queue.iterator(),
  };
}

/** Programming errors are thrown at once rather than through `done`. */
function checkOptions(options: PutMediaOptions): URL {
  if ((options.streamName === undefined) === (options.streamArn === undefined)) {
    throw new TypeError('putMedia: give exactly one of streamName and streamArn');
  }
  if (options.timecodeType !== undefined && options.timecodeType !== 'ABSOLUTE' && options.timecodeType !== 'RELATIVE') {
    throw new TypeError(`putMedia: timecodeType must be ABSOLUTE or RELATIVE, got ${String(options.timecodeType)}`);
  }
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    throw new TypeError(`putMedia: endpoint is not a URL: ${options.endpoint}`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new TypeError(`putMedia: endpoint must be http(s), got ${endpoint.protocol}`);
  }
  return endpoint;
}

async function runSession(options: PutMediaOptions, endpoint: URL, state: SessionState, onAck: (ack: AckEvent) => void): Promise<PutMediaSummary> {
  options.signal?.throwIfAborted();
  const credentials = await resolveCredentials(options.credentials);
  state.signed = credentials !== undefined;
  const path = putMediaPath(endpoint);
  const headers = requestHeaders(options, endpoint, path, credentials);
  await transfer({ endpoint, path, headers, body: options.body, signal: options.signal, state, onAck });
  return summarize(state);
}

/** The endpoint may carry a path prefix (a proxy); /putMedia goes after it. */
function putMediaPath(endpoint: URL): string {
  return `${endpoint.pathname.replace(/\/+$/, '')}/putMedia`;
}

/** The headers Amazon's C producer sends (kvs-api.md §3.2, §11), signed as it signs them. */
function requestHeaders(options: PutMediaOptions, endpoint: URL, path: string, credentials: AwsCredentials | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    host: endpoint.host,
    'user-agent': USER_AGENT,
    connection: 'keep-alive',
    'transfer-encoding': 'chunked',
    ...(options.streamName !== undefined ? { 'x-amzn-stream-name': options.streamName } : { 'x-amzn-stream-arn': options.streamArn ?? '' }),
    'x-amzn-fragment-timecode-type': options.timecodeType ?? 'ABSOLUTE',
    'x-amzn-producer-start-timestamp': formatStartTimestamp(options.producerStartTimestampMs ?? Date.now()),
    'x-amzn-fragment-acknowledgment-required': '1',
  };
  if (!credentials) return headers;
  const region = resolveRegion(options.region, endpoint);
  return signRequest({ method: 'POST', path, headers }, { credentials, region, nowMs: Date.now() });
}

/** Epoch seconds with milliseconds, "1597730826.769", as the C/C++ SDKs format it (%u.%03u). */
export function formatStartTimestamp(epochMs: number): string {
  const ms = Math.round(epochMs);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

function recordAck(state: SessionState, ack: AckEvent): void {
  state.acks[ack.type]++;
  if (ack.type === 'ERROR') state.errors.push(ack);
  const fragment = ack.fragmentNumber ?? (ack.fragmentTimecode === undefined ? undefined : `timecode:${ack.fragmentTimecode}`);
  if (fragment === undefined || ack.type === 'IDLE') return;
  state.fragmentsSeen.add(fragment);
  if (ack.type === 'PERSISTED') state.fragmentsPersisted.add(fragment);
}

function summarize(state: SessionState): PutMediaSummary {
  return {
    bytesSent: state.bytesSent,
    bodyComplete: state.bodyComplete,
    acks: { ...state.acks },
    fragments: { seen: state.fragmentsSeen.size, persisted: state.fragmentsPersisted.size },
    errors: [...state.errors],
    requestId: state.requestId,
    signed: state.signed,
  };
}

// ---------------------------------------------------------------------------------------------
// The transfer: body out and acks in at the same time on one HTTP/1.1 connection

interface Transfer {
  endpoint: URL;
  path: string;
  headers: Record<string, string>;
  body: PutMediaOptions['body'];
  signal: AbortSignal | undefined;
  state: SessionState;
  onAck: (ack: AckEvent) => void;
}

/** Resolves when the response has ended; rejects on an HTTP error, a broken connection or abort. */
function transfer(t: Transfer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const transport = t.endpoint.protocol === 'https:' ? https : http;
    const request = transport.request({
      method: 'POST',
      hostname: t.endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: t.endpoint.port || undefined,
      path: t.path,
      headers: t.headers,
      // A connection of its own: the upload holds it for as long as the stream runs.
      agent: false,
    });
    const body = t.body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
    let settled = false;
    const stopBody = () => void body.return?.().catch(() => undefined);
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      t.signal?.removeEventListener('abort', onAbort);
      stopBody();
      // Done with the connection: a body the server stopped reading is not sent on.
      if (error !== undefined || !t.state.bodyComplete) request.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => settle(abortReason(t.signal));
    t.signal?.addEventListener('abort', onAbort, { once: true });
    if (t.signal?.aborted) onAbort();
    request.on('error', (err) => settle(err));
    request.on('finish', () => (t.state.bodyComplete = true));
    request.on('response', (response) => {
      if (response.statusCode === 200) readAcks(response, t, settle);
      else readHttpError(response, settle);
    });
    writeBody(body, request, t.state, () => settled).catch((err: unknown) => settle(err));
  });
}

/** Writes the body chunk by chunk, waiting for 'drain' when the socket is full (backpressure). */
async function writeBody(
  body: AsyncIterator<Uint8Array | string>,
  request: http.ClientRequest,
  state: SessionState,
  stopped: () => boolean,
): Promise<void> {
  for (let next = await body.next(); !next.done && !stopped(); next = await body.next()) {
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    // An empty chunk would read as the end of a chunked body.
    if (chunk.length === 0) continue;
    state.bytesSent += chunk.length;
    if (!request.write(chunk)) await drained(request);
  }
  if (!stopped()) request.end();
}

function drained(request: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      request.off('drain', done);
      request.off('close', done);
      resolve();
    };
    request.on('drain', done);
    request.on('close', done);
  });
}

/** Acks as they arrive; the response ends when the server has acked what it will ack. */
function readAcks(response: http.IncomingMessage, t: Transfer, settle: (error?: unknown) => void): void {
  t.state.requestId = headerText(response.headers['x-amzn-requestid']);
  const splitter = new AckObjectSplitter();
  response.on('data', (chunk: Buffer) => {
    try {
      for (const json of splitter.push(chunk)) {
        const ack = parseAck(json);
        if (ack) t.onAck(ack);
      }
    } catch (err) {
      settle(err);
    }
  });
  response.on('end', () => settle());
  response.on('error', (err) => settle(err));
  response.on('close', () => {
    if (!response.complete) settle(new Error('PutMedia connection closed before the response ended'));
  });
}

/** Reads the (small) error body, then fails with the AWS error it names. */
function readHttpError(response: http.IncomingMessage, settle: (error?: unknown) => void): void {
  const parts: Buffer[] = [];
  let length = 0;
  response.on('data', (chunk: Buffer) => {
    if (length < 64 * 1024) parts.push(chunk);
    length += chunk.length;
  });
  const fail = () => settle(httpErrorFrom(response.statusCode ?? 0, response.headers, Buffer.concat(parts).toString('utf8')));
  response.on('end', fail);
  response.on('error', fail);
}

function abortReason(signal: AbortSignal | undefined): unknown {
  if (signal?.reason instanceof Error) return signal.reason;
  const error = new Error('PutMedia aborted');
  error.name = 'AbortError';
  return error;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
