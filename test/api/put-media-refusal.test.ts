/**
 * A refused PutMedia body must not cost the producer its ERROR ack. The server stops using a body
 * after an ERROR ack, but the producer may still be sending; closing a socket with unread bytes
 * makes the kernel answer with a reset, which discards whatever the producer has not read yet.
 * These tests drive raw sockets (so nothing in an HTTP client library hides a reset) that keep
 * sending after the ERROR ack, and check that the ack always arrives and that a producer that
 * never stops is still cut off in bounded time.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const rng = prng(0x2ef05e);
/** Two declared tracks, a cluster with frames of track 1 only: 4011 FRAMES_MISSING_FOR_TRACK once the cluster ends. */
const REFUSED_START = Buffer.concat([
  streamHeader({ audio: true }),
  cluster({ timecode: 1_700_000_000_000, frames: [randomBytes(rng, 3000), randomBytes(rng, 3000)], frameMs: 33, knownSize: true }),
]);
/** What the producer keeps sending after that (its content no longer matters to the server). */
const FILLER = Buffer.from(randomBytes(rng, 64 * 1024));

interface RawExchange {
  /** Everything the producer read from the connection. */
  readonly received: string;
  /** The connection ended in a reset (or another socket error). */
  readonly error: string | undefined;
  /** From the first byte sent until the connection closed. */
  readonly ms: number;
}

interface Producer {
  readonly stream: string;
  readonly connection: 'keep-alive' | 'close';
  /** Body bytes sent after the refused start; Infinity: never stop. */
  readonly extraBytes: number;
  /** Read the response only once the body is sent (a plain request-then-response client). */
  readonly readAfterSending: boolean;
}

const chunk = (bytes: Uint8Array) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);

/** One PutMedia over a raw socket: a refused body start, then `extraBytes` more, as fast as the socket takes them. */
function rawRefusedPutMedia(port: number, producer: Producer): Promise<RawExchange> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let error: string | undefined;
  if (producer.readAfterSending) socket.pause();
  socket.setEncoding('latin1');
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  const closed = new Promise<RawExchange>((resolve) => {
    socket.on('close', () => resolve({ received, error, ms: Date.now() - started }));
    socket.on('data', (d: string) => {
      received += d;
      // A complete response on a kept-alive connection: the producer is done and hangs up.
      if (received.endsWith('\r\n0\r\n\r\n') && producer.connection === 'keep-alive' && socket.writableEnded) socket.destroy();
    });
  });
  void sendBody(socket, producer).catch(() => undefined);
  return closed;
}

async function sendBody(socket: Socket, producer: Producer): Promise<void> {
  const head =
    `POST /putMedia HTTP/1.1\r\nHost: 127.0.0.1\r\nx-amzn-stream-name: ${producer.stream}\r\n` +
    `x-amzn-fragment-timecode-type: ABSOLUTE\r\nTransfer-Encoding: chunked\r\nConnection: ${producer.connection}\r\n\r\n`;
  const write = async (bytes: Uint8Array | string) => {
    if (socket.destroyed || socket.writableEnded) throw new Error('connection closed');
    if (!socket.write(bytes)) await new Promise((resolve) => socket.once('drain', resolve));
  };
  await write(head);
  await write(chunk(REFUSED_START));
  for (let sent = 0; sent < producer.extraBytes; sent += FILLER.length) await write(chunk(FILLER));
  socket.end('0\r\n\r\n');
  if (producer.readAfterSending) socket.resume();
}

const ERROR_4011 = /\{"EventType":"ERROR","FragmentTimecode":1700000000000,"FragmentNumber":"\d{47}","ErrorId":4011,"ErrorCode":"FRAMES_MISSING_FOR_TRACK"\}/;

async function createStream(t: TestServer, name: string): Promise<void> {
  await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
}

describe('PutMedia: the ERROR ack survives a producer that keeps sending', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer();
    port = Number(new URL(t.url).port);
    await createStream(t, 'refused');
  });
  after(() => t?.dispose());

  test('200 producers keep sending 1 or 8 MiB after the refused cluster; every one reads the ERROR ack and a complete response', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const producer: Producer = {
        stream: 'refused',
        connection: i % 2 === 0 ? 'keep-alive' : 'close',
        // A producer that reads only after sending must send more than the kernel buffers hold
        // for a server that stops reading to reset it while it is still sending.
        extraBytes: i % 4 >= 2 ? 8 * 1024 * 1024 : 1024 * 1024,
        readAfterSending: i % 4 >= 2,
      };
      const result = await rawRefusedPutMedia(port, producer);
      const ok = result.received.startsWith('HTTP/1.1 200') && ERROR_4011.test(result.received) && result.received.endsWith('0\r\n\r\n');
      if (!ok) failures.push(`#${i} ${JSON.stringify(producer)}: error ${result.error}, read ${JSON.stringify(result.received.slice(-300))}`);
    }
    assert.deepEqual(failures, [], `${failures.length} of 200 producers lost the ERROR ack or the end of the response`);
  });
});

describe('PutMedia: a refused body is read only within a time and byte budget', () => {
  const windDown = { drainMs: 800, drainBytes: 4 * 1024 * 1024, quietMs: 300, lingerMs: 400 };
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({}, { putMediaIdle: { ackIntervalMs: 3_000, timeoutMs: 30_000, windDown } });
    port = Number(new URL(t.url).port);
    await createStream(t, 'endless');
  });
  after(() => t?.dispose());

  for (const connection of ['keep-alive', 'close'] as const) {
    test(`a producer that never stops sending (Connection: ${connection}) reads the ERROR ack and is cut off`, async () => {
      const result = await rawRefusedPutMedia(port, { stream: 'endless', connection, extraBytes: Infinity, readAfterSending: false });
      assert.match(result.received, ERROR_4011);
      // The byte budget (4 MiB on loopback) or the time budget ends the drain, then at most the linger.
      assert.ok(result.ms < windDown.drainMs + windDown.lingerMs + 2_000, `the connection stayed open ${result.ms} ms`);
    });
  }

  test('a producer that stops sending without ending its body gets the end of the response after the quiet period', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      'POST /putMedia HTTP/1.1\r\nHost: 127.0.0.1\r\nx-amzn-stream-name: endless\r\nx-amzn-fragment-timecode-type: ABSOLUTE\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    socket.write(chunk(REFUSED_START));
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const check = () => (received.endsWith('0\r\n\r\n') ? resolve() : setTimeout(check, 20));
      check();
    });
    const ms = Date.now() - started;
    assert.match(received, ERROR_4011);
    assert.ok(ms >= windDown.quietMs - 50, `the response ended after ${ms} ms, before the producer had been quiet for ${windDown.quietMs} ms`);
    // Half-closed by the server: the producer's own end closes the connection.
    socket.end();
    await closed;
  });
});
