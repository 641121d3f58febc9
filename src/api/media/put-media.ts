import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { IDLE_ACK, IngestError, type Ack } from '../../domain/acks.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type { IdleTimings, WindDownBudget } from '../../ingest/ingest-service.js';
import { WIND_DOWN } from '../../ingest/limits.js';
import { PutMediaSession, type TimecodeType } from '../../ingest/put-media-session.js';
import type { StreamRecord } from '../../domain/stream.js';
import type { RequestContext } from '../context.js';
import { findStream } from '../control/stream-access.js';
import type { StreamOperation } from '../operation.js';
import { operations as media } from '../shapes/kinesis-video-media.js';
import type { StructureShape } from '../shapes/shape.js';
import { validateInput } from '../shapes/validate.js';
import { AckChannel } from './ack-channel.js';
import { BodyReader } from './body-reader.js';

/** PutMedia's parameters travel as headers (kvs-api.md §3.2); they are checked like any input. */
const headerShape: StructureShape = {
  type: 'structure',
  members: {
    StreamName: media.GetMedia!.input.members['StreamName']!,
    StreamARN: media.GetMedia!.input.members['StreamARN']!,
    FragmentTimecodeType: { type: 'string', enum: ['ABSOLUTE', 'RELATIVE'] },
    // Amazon's C producer sends "%u.%03u"; whole seconds are accepted too.
    ProducerStartTimestamp: { type: 'string', pattern: '[0-9]{1,12}(\\.[0-9]{1,3})?' },
  },
  required: ['FragmentTimecodeType'],
};

interface PutMediaHeaders {
  StreamName?: string;
  StreamARN?: string;
  FragmentTimecodeType: TimecodeType;
  ProducerStartTimestamp?: string;
}

function readHeaders(req: IncomingMessage): PutMediaHeaders {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const input = {
    StreamName: header('x-amzn-stream-name'),
    StreamARN: header('x-amzn-stream-arn'),
    FragmentTimecodeType: header('x-amzn-fragment-timecode-type'),
    ProducerStartTimestamp: header('x-amzn-producer-start-timestamp'),
  };
  validateInput(headerShape, input);
  return input as PutMediaHeaders;
}

/**
 * POST /putMedia: headers are checked and the stream found before a byte of the body is read
 * (a bad request gets its 4xx without the body), then the 200 goes out and acks stream back on
 * the same response while the Matroska body is still arriving.
 */
export const putMedia: StreamOperation = {
  name: 'PutMedia',
  path: '/putMedia',
  async handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const headers = readHeaders(req);
    if ((headers.StreamName === undefined) === (headers.StreamARN === undefined)) {
      throw new InvalidArgumentException('Exactly one of x-amzn-stream-name or x-amzn-stream-arn must be specified.');
    }
    const stream = await findStream(ctx, headers);
    ctx.observed.stream = stream.name;
    // Refused once the server is stopping; a stop later ends the session at a fragment boundary.
    const stop: StopRequest = { requested: false, interrupt: () => {} };
    const registered = ctx.ingest.sessions.open(() => {
      stop.requested = true;
      stop.interrupt();
    });
    try {
      await receive(req, res, ctx, stream, headers, stop);
    } finally {
      registered.close();
    }
  },
};

/** Set when the server stops; `interrupt` wakes the session's waiting body read. */
interface StopRequest {
  requested: boolean;
  interrupt(): void;
}

/** The 200, then the body into a session and the acks out, until the response has ended. */
async function receive(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, stream: StreamRecord, headers: PutMediaHeaders, stop: StopRequest): Promise<void> {
  ctx.ingest.committer.prepare(stream.streamId);
  const startedMs = ctx.clock.nowMs();
  // Only now may the producer send its body (Amazon's C producer waits for this).
  if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  const acks = new AckChannel(res, req);
  const send = acks.send;
  // The memory budget may end a session it cannot serve (memory-budget.ts says when).
  const account = ctx.ingest.budget.openAccount({
    stream: stream.name,
    shed: () => {
      session.fail(new IngestError('INTERNAL_ERROR', 'the server is overloaded: the ingest memory budget cannot serve this session'));
      body.interrupt();
    },
  });
  const body = new BodyReader(req, account);
  stop.interrupt = () => body.interrupt();
  const session = new PutMediaSession({
    stream,
    timecodeType: headers.FragmentTimecodeType,
    producerStartMs: headers.ProducerStartTimestamp === undefined ? startedMs : Math.round(Number(headers.ProducerStartTimestamp) * 1000),
    service: ctx.ingest,
    clock: ctx.clock,
    log: ctx.log.child({ requestId: ctx.requestId, stream: stream.name }),
    send,
    metrics: ctx.metrics,
    meter: account,
  });
  const connectionEnded = ctx.metrics.putMediaConnection(stream.name);
  try {
    const unwatch = ctx.access.watch(stream.arn, () => {
      // KVS has no ack error for revoked credentials. 4003 MAX_CONNECTION_DURATION_REACHED is
      // its "the service ends this connection, reconnect" error: producers (Amazon's C producer)
      // reconnect on it, and the reconnection is refused with NotAuthorizedException, which
      // they report as an authorization failure. Fragments already acked PERSISTED stay.
      ctx.log.warn({ requestId: ctx.requestId, accessKeyId: ctx.access.principal.accessKeyId, stream: stream.name }, 'PutMedia ended: credentials revoked');
      session.fail(new IngestError('MAX_CONNECTION_DURATION_REACHED', 'the credentials of this connection were revoked'));
      body.interrupt();
    });
    const received = batchedCount((bytes) => ctx.metrics.putMediaBytes(stream.name, bytes));
    const outcome = await feedSession(body, session, send, ctx.ingest.idle, received.add, () => stop.requested).finally(() => {
      received.flush();
      unwatch();
    });
    // Whatever is read from now on is discarded, not held.
    body.leaveBudget();
    acks.release();
    await windDown(req, res, body, outcome, session, ctx.ingest.idle.windDown ?? WIND_DOWN);
  } finally {
    body.leaveBudget();
    connectionEnded();
  }
}

/** Bytes between counter updates of PutMedia.IncomingBytes. */
const COUNT_STEP_BYTES = 1024 * 1024;

/**
 * Adds up body bytes and hands them on every COUNT_STEP_BYTES and at `flush`: a labelled counter
 * update per socket chunk was 1 % of the event loop at 500 cameras.
 */
function batchedCount(update: (bytes: number) => void) {
  let pending = 0;
  const flush = () => {
    if (pending > 0) update(pending);
    pending = 0;
  };
  return {
    add: (bytes: number) => {
      pending += bytes;
      if (pending >= COUNT_STEP_BYTES) flush();
    },
    flush,
  };
}

/** How the session stopped reading the body ('stopped': the server is stopping). */
type BodyOutcome = 'complete' | 'refused' | 'idle' | 'broken' | 'stopped';

/**
 * Feeds the body to the session until it ends, the session refuses it, the producer goes quiet or
 * away, or the server stops (checked between chunks: a chunk's fragments are handed on whole).
 */
async function feedSession(
  body: BodyReader,
  session: PutMediaSession,
  send: (ack: Ack) => void,
  timings: IdleTimings,
  received: (bytes: number) => void,
  stopRequested: () => boolean,
): Promise<BodyOutcome> {
  const idle = idleWatch(send, timings, () => body.interrupt());
  try {
    for (;;) {
      if (stopRequested()) return 'stopped';
      const chunk = await body.read();
      if (chunk === 'timeout') return stopRequested() ? 'stopped' : session.alive ? 'idle' : 'refused';
      if (chunk === 'broken') {
        // The producer went away mid-body; nobody may be left to read the ack, but the log says why.
        session.fail(new IngestError('STREAM_READ_ERROR', 'the request body broke off'));
        return 'broken';
      }
      if (chunk === 'end') break;
      received(chunk.byteLength);
      idle.touch();
      const pending = session.push(chunk);
      if (pending) await pending;
      if (!session.alive) return 'refused';
    }
    await session.end();
    return 'complete';
  } finally {
    idle.stop();
  }
}

/**
 * Ends the response once every fragment handed to the committer has its ack, without letting a
 * reset destroy acks the producer has not read yet (WindDownBudget says why and how long).
 */
async function windDown(req: IncomingMessage, res: ServerResponse, body: BodyReader, outcome: BodyOutcome, session: PutMediaSession, budget: WindDownBudget): Promise<void> {
  if (outcome === 'broken') {
    await session.settled();
    req.socket.destroy();
    return;
  }
  if (outcome === 'stopped') {
    // The body is not read on (the producer is held back by TCP) until the committed fragments
    // have their PERSISTED, then the response ends and the connection closes as after an ERROR.
    session.stop();
    req.pause();
    await session.settled();
    res.end(() => lingerThenClose(req.socket, body, budget, budget.drainBytes));
    return;
  }
  const drained = outcome === 'complete' ? { ended: true, bytes: 0 } : drain(body, budget);
  const [{ ended, bytes }] = await Promise.all([drained, session.settled()]);
  res.end(() => {
    if (!ended) lingerThenClose(req.socket, body, budget, budget.drainBytes - bytes);
  });
}

/**
 * Reads and discards the body until it ends, the producer pauses for `quietMs`, or the budget is
 * spent; the producer may read its acks meanwhile (discarded chunks are not kept).
 */
async function drain(body: BodyReader, budget: WindDownBudget): Promise<{ ended: boolean; bytes: number }> {
  const deadline = Date.now() + budget.drainMs;
  let bytes = 0;
  while (bytes < budget.drainBytes) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const quiet = setTimeout(() => body.interrupt(), Math.min(budget.quietMs, left));
    const chunk = await body.read();
    clearTimeout(quiet);
    if (chunk === 'end') return { ended: true, bytes };
    if (chunk === 'broken' || chunk === 'timeout') break;
    bytes += chunk.byteLength;
  }
  return { ended: false, bytes };
}

/**
 * The response has ended, the body has not. When the connection is still open (Node drops it
 * itself when the producer asked for `Connection: close`), it is half-closed so the producer sees
 * the end, read from (within what is left of the byte budget) so no reset is sent while the
 * producer may still be reading, and dropped when the producer closes its side or `lingerMs` pass.
 */
function lingerThenClose(socket: Socket, body: BodyReader, budget: WindDownBudget, bytesLeft: number): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), budget.lingerMs);
  socket.once('close', () => clearTimeout(timer));
  void (async () => {
    while (bytesLeft > 0) {
      const chunk = await body.read();
      if (typeof chunk === 'string') break;
      bytesLeft -= chunk.byteLength;
    }
    if (body.ended) socket.destroy();
  })();
}

/** IDLE acks while no data arrives; `timeUp` once `timings.timeoutMs` pass without data. */
function idleWatch(send: (ack: Ack) => void, timings: IdleTimings, timeUp: () => void) {
  let lastDataMs = Date.now();
  const timer = setInterval(() => {
    const quietMs = Date.now() - lastDataMs;
    if (quietMs >= timings.timeoutMs) timeUp();
    else if (quietMs >= timings.ackIntervalMs) send(IDLE_ACK);
  }, timings.ackIntervalMs);
  return {
    touch: () => (lastDataMs = Date.now()),
    stop: () => clearInterval(timer),
  };
}
