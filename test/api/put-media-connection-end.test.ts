import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { archivedMediaClient, createStream, fixture } from '../helpers/kvs-readers.js';
import { mkvinfoClusters, MKVINFO } from '../helpers/mkvinfo.js';
import { skipUnlessPresent } from '../helpers/process.js';
import type { WireAck } from '../helpers/put-media.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * How a PutMedia connection ends, seen from a raw socket: a producer that shuts down its write side
 * (TCP FIN) after the terminating chunk still reads every ack it is owed, and a body that breaks off
 * inside a chunk stays an error whose partial Cluster is not stored.
 */

const skip = skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)');
const SOURCE = 'h264-aac.mkv';

interface RawExchange {
  /** Everything the server sent, in order. */
  readonly response: Buffer;
  /** The server closed its side (its FIN) rather than resetting. */
  readonly serverEnded: boolean;
}

/** Sends PutMedia headers and `body` as one chunk (`terminate`: then the last chunk), shuts down the write side and reads until the server closes. */
async function sendAndHalfClose(url: string, stream: string, body: Buffer, terminate: boolean): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const received: Buffer[] = [];
  let serverEnded = false;
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('end', () => (serverEnded = true));
  socket.on('error', () => {});
  socket.write(
    `POST /putMedia HTTP/1.1\r\nHost: ${hostname}:${port}\r\nx-amzn-stream-name: ${stream}\r\n` +
      'x-amzn-fragment-timecode-type: RELATIVE\r\nx-amzn-producer-start-timestamp: 1700000000.000\r\ntransfer-encoding: chunked\r\n\r\n',
  );
  // A chunk that declares the whole file: cut short, the body breaks off inside it.
  socket.write(`${readFileSync(fixture(SOURCE)).length.toString(16)}\r\n`);
  socket.write(body);
  if (terminate) socket.write('\r\n0\r\n\r\n');
  socket.end();
  const closed = once(socket, 'close');
  const timer = setTimeout(() => socket.destroy(), 10_000);
  await closed;
  clearTimeout(timer);
  return { response: Buffer.concat(received), serverEnded };
}

/** The acks in a chunked HTTP/1.1 response, and whether its terminating chunk arrived. */
function decodeAcks(response: Buffer): { status: number; acks: WireAck[]; complete: boolean } {
  const text = response.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  let at = headerEnd + 4;
  let body = '';
  let complete = false;
  while (at < text.length) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (size === 0) {
      complete = true;
      break;
    }
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  const acks = body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as WireAck);
  return { status, acks, complete };
}

describe('PutMedia: how the connection ends', { skip }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  async function listedTimecodes(stream: string): Promise<number[]> {
    const client = await archivedMediaClient(t, stream);
    const { Fragments = [] } = await client.send(new ListFragmentsCommand({ StreamName: stream }));
    client.destroy();
    return Fragments.map((f) => f.ProducerTimestamp!.getTime() - 1_700_000_000_000).sort((a, b) => a - b);
  }

  test('a producer that half-closes after the terminating chunk reads every ack, PERSISTED included', async () => {
    const stream = await createStream(t, 'half-close');
    const clusters = mkvinfoClusters(fixture(SOURCE)).map((c) => Math.round(c.timestampNs / 1e6));
    const exchange = await sendAndHalfClose(t.url, stream, readFileSync(fixture(SOURCE)), true);
    const { status, acks, complete } = decodeAcks(exchange.response);
    assert.equal(status, 200);
    assert.ok(complete, `the response ended with its last chunk; got ${exchange.response.length} bytes`);
    assert.ok(exchange.serverEnded, 'the server closed its side once the response was done');
    assert.deepEqual(acks.filter((a) => a.EventType === 'ERROR'), []);
    for (const type of ['BUFFERING', 'RECEIVED', 'PERSISTED']) {
      assert.deepEqual(acks.filter((a) => a.EventType === type).map((a) => a.FragmentTimecode), clusters, `${type} acks`);
    }
    assert.deepEqual(await listedTimecodes(stream), clusters);
  });

  test('a body that breaks off inside a chunk ends the session at once and stores no partial Cluster', async () => {
    const stream = await createStream(t, 'broken');
    const source = readFileSync(fixture(SOURCE));
    const clusters = mkvinfoClusters(fixture(SOURCE));
    const last = clusters[clusters.length - 1]!;
    // Up to the middle of the last Cluster: the first ones are complete, the last is not.
    const cut = source.subarray(0, last.at + Math.floor(last.size / 2));
    const started = Date.now();
    const exchange = await sendAndHalfClose(t.url, stream, cut, false);
    assert.ok(Date.now() - started < 5_000, 'the server dropped the broken connection promptly');
    assert.ok(!decodeAcks(exchange.response).complete, 'no clean end of the response for a broken body');
    // The complete Clusters are committed once their successor starts; give the commit a moment.
    await new Promise((r) => setTimeout(r, 300));
    const expected = clusters.slice(0, -1).map((c) => Math.round(c.timestampNs / 1e6));
    assert.deepEqual(await listedTimecodes(stream), expected);
  });
});
