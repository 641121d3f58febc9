/**
 * putMedia against throwaway local servers that play KVS's side of the wire: headers, chunked
 * body, signature, acks streamed while the body is still going up, errors.
 */
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { putMedia, PutMediaHttpError, type AckEvent } from '../../../src/client/index.js';
import { regionOfEndpoint, resolveRegion } from '../../../src/client/aws-config.js';
import { verifySigV4 } from '../../../src/http/sigv4.js';
import { ackLine, acksPerCluster, fragmentNumber, readAll, startFakeServer, type FakeServer } from '../../helpers/fake-put-media.js';
import { REPO_ROOT } from '../../helpers/process.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/h264-aac.mkv');
const FIXTURE_BYTES = readFileSync(FIXTURE);
const CREDENTIALS = { accessKeyId: 'AKIDCLIENTTEST', secretAccessKey: 'client-test-secret' };
const lookup = (id: string) => (id === CREDENTIALS.accessKeyId ? { secretAccessKey: CREDENTIALS.secretAccessKey } : undefined);

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = await startFakeServer(handler);
  return server.url;
}

async function collect(session: AsyncIterable<AckEvent>): Promise<AckEvent[]> {
  const events: AckEvent[] = [];
  for await (const event of session) events.push(event);
  return events;
}

/** `count` chunks of `size` bytes (endless when count is Infinity), counting what was pulled. */
function generatedBody(size: number, count: number, pause?: () => Promise<void>) {
  const progress = { pulled: 0 };
  async function* body() {
    for (let i = 0; i < count; i++) {
      if (pause) await pause();
      progress.pulled += size;
      yield new Uint8Array(size).fill(i % 256);
    }
  }
  return { progress, body: body() };
}

describe('putMedia: the request', () => {
  test('POST /putMedia, chunked, with the C producer headers, SigV4-signed; acks come back typed', async () => {
    let request: { method?: string; url?: string; headers: IncomingMessage['headers']; body: Buffer } | undefined;
    const endpoint = await serve(acksPerCluster({ onRequest: (req, body) => (request = { method: req.method, url: req.url, headers: req.headers, body }) }));
    const session = putMedia({
      endpoint,
      streamName: 'cam 1',
      body: createReadStream(FIXTURE, { highWaterMark: 16 * 1024 }),
      timecodeType: 'RELATIVE',
      producerStartTimestampMs: 1_700_000_000_123,
      region: 'eu-west-1',
      credentials: CREDENTIALS,
    });
    const events = await collect(session);
    const summary = await session.done;

    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/putMedia');
    const h = request.headers;
    assert.equal(h['transfer-encoding'], 'chunked');
    assert.equal(h['content-length'], undefined);
    assert.equal(h['host'], new URL(endpoint).host);
    assert.equal(h['connection'], 'keep-alive');
    assert.equal(h['x-amzn-stream-name'], 'cam 1');
    assert.equal(h['x-amzn-stream-arn'], undefined);
    assert.equal(h['x-amzn-fragment-timecode-type'], 'RELATIVE');
    assert.equal(h['x-amzn-producer-start-timestamp'], '1700000000.123');
    assert.equal(h['x-amzn-fragment-acknowledgment-required'], '1');
    assert.match(h['user-agent'] ?? '', /^openkvs-client\/\d+\.\d+\.\d+/);
    assert.equal(h['x-amz-content-sha256'], undefined);
    assert.match(h['authorization'] ?? '', /SignedHeaders=connection;host;transfer-encoding;user-agent;x-amz-date;x-amzn-/);
    const identity = verifySigV4({ method: 'POST', rawPath: '/putMedia', rawQuery: '', headers: h, bodySha256: 'streaming' }, lookup, Date.now());
    assert.deepEqual(identity, { accessKeyId: CREDENTIALS.accessKeyId, region: 'eu-west-1' });
    assert.deepEqual(request.body, FIXTURE_BYTES);

    assert.deepEqual(
      events.map((e) => `${e.type}@${e.fragmentTimecode}`),
      ['BUFFERING@0', 'RECEIVED@0', 'PERSISTED@0', 'BUFFERING@2000', 'RECEIVED@2000', 'PERSISTED@2000', 'BUFFERING@4000', 'RECEIVED@4000', 'PERSISTED@4000'],
    );
    assert.equal(events[2]?.fragmentNumber, fragmentNumber(0));
    assert.deepEqual(summary, {
      bytesSent: FIXTURE_BYTES.length,
      bodyComplete: true,
      acks: { BUFFERING: 3, RECEIVED: 3, PERSISTED: 3, IDLE: 0, ERROR: 0 },
      fragments: { seen: 3, persisted: 3 },
      errors: [],
      requestId: 'req-1',
      signed: true,
    });
  });

  test('x-amzn-stream-arn instead of the name; a credentials provider function; default ABSOLUTE', async () => {
    let headers: IncomingMessage['headers'] = {};
    const endpoint = await serve((req, res) => {
      headers = req.headers;
      acksPerCluster()(req, res);
    });
    const arn = 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam1/1705489836421';
    const session = putMedia({ endpoint, streamArn: arn, body: createReadStream(FIXTURE), credentials: async () => CREDENTIALS, region: 'us-east-1' });
    await session.done;
    assert.equal(headers['x-amzn-stream-arn'], arn);
    assert.equal(headers['x-amzn-stream-name'], undefined);
    assert.equal(headers['x-amzn-fragment-timecode-type'], 'ABSOLUTE');
    assert.match(String(headers['x-amzn-producer-start-timestamp']), /^\d{10}\.\d{3}$/);
    verifySigV4({ method: 'POST', rawPath: '/putMedia', rawQuery: '', headers, bodySha256: 'streaming' }, lookup, Date.now());
  });

  test('without credentials, the AWS default chain is used (here: environment variables, and AWS_REGION)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'ap-south-1',
      AWS_EC2_METADATA_DISABLED: 'true', // never reach for instance metadata from a test
    });
    delete process.env['AWS_PROFILE'];
    try {
      let headers: IncomingMessage['headers'] = {};
      const endpoint = await serve((req, res) => {
        headers = req.headers;
        acksPerCluster()(req, res);
      });
      assert.equal((await putMedia({ endpoint, streamName: 'cam1', body: createReadStream(FIXTURE) }).done).signed, true);
      const identity = verifySigV4({ method: 'POST', rawPath: '/putMedia', rawQuery: '', headers, bodySha256: 'streaming' }, lookup, Date.now());
      assert.equal(identity.region, 'ap-south-1');
    } finally {
      process.env = saved;
    }
  });

  test('an endpoint with a path prefix keeps it', async () => {
    let url: string | undefined;
    const endpoint = await serve((req, res) => {
      url = req.url;
      acksPerCluster()(req, res);
    });
    await putMedia({ endpoint: `${endpoint}/kvs/`, streamName: 'cam1', body: createReadStream(FIXTURE), credentials: CREDENTIALS }).done;
    assert.equal(url, '/kvs/putMedia');
  });

  test('programming errors throw at once', () => {
    const body = createReadStream(FIXTURE);
    assert.throws(() => putMedia({ endpoint: 'http://x', body }), TypeError);
    assert.throws(() => putMedia({ endpoint: 'http://x', streamName: 'a', streamArn: 'b', body }), /exactly one/);
    assert.throws(() => putMedia({ endpoint: 'not a url', streamName: 'a', body }), /not a URL/);
    assert.throws(() => putMedia({ endpoint: 'ftp://x', streamName: 'a', body }), /http/);
    body.destroy();
  });
});

describe('putMedia: streaming both ways', () => {
  test('acks are read while the body is still being sent (full duplex)', { timeout: 10_000 }, async () => {
    const endpoint = await serve((req, res) => {
      res.writeHead(200);
      void (async () => {
        let first = true;
        for await (const _chunk of req) {
          if (first) res.write(ackLine({ EventType: 'BUFFERING', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }));
          first = false;
        }
        res.end(ackLine({ EventType: 'PERSISTED', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }));
      })();
    });
    let firstAckSeen!: () => void;
    const firstAck = new Promise<void>((resolve) => (firstAckSeen = resolve));
    // The rest of the body only comes once an ack got through: a client that reads acks only
    // after sending the whole body would wait here forever.
    async function* body() {
      yield FIXTURE_BYTES.subarray(0, 1000);
      await firstAck;
      yield FIXTURE_BYTES.subarray(1000);
    }
    const session = putMedia({ endpoint, streamName: 'cam1', body: body(), credentials: CREDENTIALS });
    const events: AckEvent[] = [];
    for await (const ack of session) {
      events.push(ack);
      if (ack.type === 'BUFFERING') {
        assert.equal(session.bytesSent, 1000);
        firstAckSeen();
      }
    }
    assert.deepEqual(events.map((e) => e.type), ['BUFFERING', 'PERSISTED']);
    assert.equal((await session.done).bytesSent, FIXTURE_BYTES.length);
  });

  test('acks split across writes and several acks in one write', async () => {
    const endpoint = await serve((req, res) => {
      void readAll(req).then(async () => {
        res.writeHead(200);
        const all =
          ackLine({ EventType: 'BUFFERING', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }) +
          ackLine({ EventType: 'RECEIVED', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }) +
          JSON.stringify({ EventType: 'PERSISTED', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }); // no final newline
        res.write(all.slice(0, 17));
        await delay(30);
        res.write(all.slice(17, 40));
        await delay(30);
        res.end(all.slice(40));
      });
    });
    const session = putMedia({ endpoint, streamName: 'cam1', body: createReadStream(FIXTURE), credentials: CREDENTIALS });
    assert.deepEqual((await collect(session)).map((e) => e.type), ['BUFFERING', 'RECEIVED', 'PERSISTED']);
    assert.deepEqual((await session.done).fragments, { seen: 1, persisted: 1 });
  });

  test('the body is pulled only as fast as the server reads it (backpressure)', { timeout: 30_000 }, async () => {
    const chunk = 64 * 1024;
    const total = 512 * chunk; // 32 MiB
    let pulledWhilePaused = 0;
    let received = 0;
    const { progress, body } = generatedBody(chunk, total / chunk);
    const endpoint = await serve((req, res) => {
      res.writeHead(200);
      req.pause();
      setTimeout(() => {
        pulledWhilePaused = progress.pulled;
        req.on('data', (data: Buffer) => (received += data.length));
        req.on('end', () => res.end(ackLine({ EventType: 'PERSISTED', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) })));
        req.resume();
      }, 500);
    });
    const summary = await putMedia({ endpoint, streamName: 'cam1', body, credentials: CREDENTIALS }).done;
    assert.ok(pulledWhilePaused > 0 && pulledWhilePaused < total / 2, `pulled ${pulledWhilePaused} bytes while the server read nothing`);
    assert.equal(received, total);
    assert.equal(summary.bytesSent, total);
  });
});

describe('putMedia: failures', () => {
  test('an ERROR ack is an event; when the server then ends the response, the upload stops', { timeout: 10_000 }, async () => {
    const endpoint = await serve((req, res) => {
      res.writeHead(200);
      req.once('readable', () => {
        res.write(ackLine({ EventType: 'BUFFERING', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }));
        res.end(ackLine({ EventType: 'ERROR', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0), ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA' }));
      });
    });
    const { body } = generatedBody(16 * 1024, Infinity, () => delay(1));
    const session = putMedia({ endpoint, streamName: 'cam1', body, credentials: CREDENTIALS });
    const events = await collect(session);
    const summary = await session.done;
    assert.deepEqual(events.at(-1), {
      type: 'ERROR',
      errorId: 4006,
      errorCode: 'INVALID_MKV_DATA',
      fragmentTimecode: 0,
      fragmentNumber: fragmentNumber(0),
      raw: { EventType: 'ERROR', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0), ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA' },
    });
    assert.equal(summary.errors.length, 1);
    assert.equal(summary.acks.ERROR, 1);
    assert.equal(summary.bodyComplete, false);
  });

  test('HTTP 404 before any ack rejects with the AWS error name, status, message and request id', async () => {
    const endpoint = await serve((_req, res) => {
      const message = 'The requested stream is not found or not active.';
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-amzn-ErrorType': 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.kinesisvideo/',
        'x-amzn-RequestId': 'request-404',
      });
      res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message, Message: message }));
    });
    const session = putMedia({ endpoint, streamName: 'nope', body: createReadStream(FIXTURE), credentials: CREDENTIALS });
    const expected = (err: unknown) => {
      assert.ok(err instanceof PutMediaHttpError);
      assert.equal(err.errorType, 'ResourceNotFoundException');
      assert.equal(err.statusCode, 404);
      assert.equal(err.serviceMessage, 'The requested stream is not found or not active.');
      assert.equal(err.requestId, 'request-404');
      assert.equal(err.message, 'ResourceNotFoundException (HTTP 404): The requested stream is not found or not active.');
      return true;
    };
    await assert.rejects(collect(session), expected);
    await assert.rejects(session.done, expected);
  });

  test('an error status without AWS headers still names itself', async () => {
    const endpoint = await serve((_req, res) => {
      res.writeHead(502);
      res.end('Bad Gateway');
    });
    await assert.rejects(putMedia({ endpoint, streamName: 'a', body: createReadStream(FIXTURE), credentials: CREDENTIALS }).done, {
      name: 'PutMediaHttpError',
      errorType: 'Http502',
      serviceMessage: 'Bad Gateway',
    });
  });

  test('aborting stops the upload and rejects with the reason', { timeout: 10_000 }, async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const endpoint = await serve((req, res) => {
      res.writeHead(200);
      res.write(ackLine({ EventType: 'BUFFERING', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }));
      req.resume();
      req.on('close', () => serverSawClose());
    });
    const abort = new AbortController();
    const { body } = generatedBody(16 * 1024, Infinity, () => delay(5));
    const session = putMedia({ endpoint, streamName: 'cam1', body, credentials: CREDENTIALS, signal: abort.signal });
    await assert.rejects(async () => {
      for await (const ack of session) if (ack.type === 'BUFFERING') abort.abort(new Error('user stopped'));
    }, /user stopped/);
    await assert.rejects(session.done, /user stopped/);
    await closed;
  });

  test('a connection refused rejects done', async () => {
    const probe = await startFakeServer(() => undefined);
    const endpoint = probe.url;
    await probe.close();
    await assert.rejects(putMedia({ endpoint, streamName: 'a', body: createReadStream(FIXTURE), credentials: CREDENTIALS }).done, { code: 'ECONNREFUSED' });
  });
});

describe('region resolution', () => {
  test('option, then AWS_REGION, AWS_DEFAULT_REGION, the KVS endpoint host, us-east-1', () => {
    const kvs = new URL('https://s-670061c1.kinesisvideo.ap-southeast-1.amazonaws.com');
    assert.equal(resolveRegion('eu-west-3', kvs, { AWS_REGION: 'us-west-2' }), 'eu-west-3');
    assert.equal(resolveRegion(undefined, kvs, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-north-1' }), 'us-west-2');
    assert.equal(resolveRegion(undefined, kvs, { AWS_DEFAULT_REGION: 'eu-north-1' }), 'eu-north-1');
    assert.equal(resolveRegion(undefined, kvs, {}), 'ap-southeast-1');
    assert.equal(resolveRegion(undefined, new URL('http://127.0.0.1:4570'), {}), 'us-east-1');
    assert.equal(regionOfEndpoint(new URL('https://kinesisvideo-fips.us-gov-west-1.amazonaws.com')), 'us-gov-west-1');
    assert.equal(regionOfEndpoint(new URL('https://kinesisvideo.eu-central-1.api.aws')), 'eu-central-1');
  });
});
