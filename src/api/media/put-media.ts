import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDLE_ACK, IngestError, serializeAck, type Ack } from '../../domain/acks.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type { IdleTimings } from '../../ingest/ingest-service.js';
import { PutMediaSession, type TimecodeType } from '../../ingest/put-media-session.js';
import type { RequestContext } from '../context.js';
import { findStream } from '../control/stream-access.js';
import type { StreamOperation } from '../operation.js';
import { operations as media } from '../shapes/kinesis-video-media.js';
import type { StructureShape } from '../shapes/shape.js';
import { validateInput } from '../shapes/validate.js';

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
    const startedMs = ctx.clock.nowMs();
    // Only now may the producer send its body (Amazon's C producer waits for this).
    if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const send = (ack: Ack) => {
      if (!res.writableEnded) res.write(serializeAck(ack));
    };
    const session = new PutMediaSession({
      stream,
      timecodeType: headers.FragmentTimecodeType,
      producerStartMs: headers.ProducerStartTimestamp === undefined ? startedMs : Math.round(Number(headers.ProducerStartTimestamp) * 1000),
      service: ctx.ingest,
      clock: ctx.clock,
      log: ctx.log.child({ requestId: ctx.requestId, stream: stream.name }),
      send,
    });
    const complete = await readBody(req, session, send, ctx.ingest.idle);
    await session.settled();
    res.end(() => {
      // A body we stopped reading leaves the connection unusable; a complete one can be reused.
      if (!complete) req.socket.destroy();
    });
  },
};

/** Feeds the body to the session; returns whether the body was read to its end. */
async function readBody(req: IncomingMessage, session: PutMediaSession, send: (ack: Ack) => void, timings: IdleTimings): Promise<boolean> {
  const chunks = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const idle = idleWatch(send, timings);
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), idle.timeout()]).catch(() => 'broken' as const);
      if (next === 'timeout') return false;
      if (next === 'broken') {
        // The producer went away mid-body; nobody may be left to read the ack, but the log says why.
        session.fail(new IngestError('STREAM_READ_ERROR', 'the request body broke off'));
        return false;
      }
      if (next.done) break;
      idle.touch();
      await session.push(next.value);
      if (!session.alive) return false;
    }
    await session.end();
    return session.alive;
  } finally {
    idle.stop();
  }
}

/**
 * IDLE acks while no data arrives; `timeout()` resolves once `timings.timeoutMs` pass without data.
 * Each wait gets a promise of its own: racing every read against one long-lived pending promise
 * would pile a reaction per read onto it, each holding its chunk, for the whole session.
 */
function idleWatch(send: (ack: Ack) => void, timings: IdleTimings) {
  let lastDataMs = Date.now();
  let timeUp: ((value: 'timeout') => void) | undefined;
  const timer = setInterval(() => {
    const quietMs = Date.now() - lastDataMs;
    if (quietMs >= timings.timeoutMs) timeUp?.('timeout');
    else if (quietMs >= timings.ackIntervalMs) send(IDLE_ACK);
  }, timings.ackIntervalMs);
  return {
    timeout: () => new Promise<'timeout'>((resolve) => (timeUp = resolve)),
    touch: () => (lastDataMs = Date.now()),
    stop: () => clearInterval(timer),
  };
}
