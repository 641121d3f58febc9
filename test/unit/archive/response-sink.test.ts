import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ResponseSink } from '../../../src/archive/response-sink.js';

const CHUNK = 64 * 1024;
const CHUNKS = 1024; // 64 MiB: far more than any socket buffer

interface Source {
  handedOver: number;
  closed: boolean;
  piped?: Promise<boolean>;
}

/** A server whose one response pipes a 64 MiB source through a ResponseSink. */
async function serve(source: Source) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    const sink = new ResponseSink(res);
    const chunk = new Uint8Array(CHUNK);
    source.piped = sink.pipe(
      (async function* () {
        try {
          for (let i = 0; i < CHUNKS; i++) {
            source.handedOver += CHUNK;
            yield chunk;
          }
        } finally {
          source.closed = true;
        }
      })(),
    );
    void source.piped.then((complete) => complete && sink.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

test('a reader that does not read holds the writer back; once it reads, everything arrives', async (t) => {
  const source: Source = { handedOver: 0, closed: false };
  const { server, url } = await serve(source);
  t.after(() => server.close());
  const res = await new Promise<http.IncomingMessage>((resolve) => http.get(url, resolve));
  res.pause();
  await sleep(300);
  const held = source.handedOver;
  assert.ok(held < 16 * 1024 * 1024, `only ${held} bytes were handed to the socket while the client read nothing`);
  let received = 0;
  res.on('data', (d: Buffer) => (received += d.length));
  res.resume();
  await once(res, 'end');
  assert.equal(received, CHUNK * CHUNKS);
  assert.equal(await source.piped, true);
  assert.ok(source.closed);
});

test('a reader that leaves stops the pipe and releases the source', async (t) => {
  const source: Source = { handedOver: 0, closed: false };
  const { server, url } = await serve(source);
  t.after(() => server.close());
  const req = http.get(url);
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  await once(res, 'data');
  req.destroy();
  assert.equal(await source.piped, false);
  assert.ok(source.closed, 'the source was closed (a file would be)');
  assert.ok(source.handedOver < CHUNK * CHUNKS);
});
