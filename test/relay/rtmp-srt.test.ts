/**
 * `openkvs relay` pulling RTMP and SRT: ffmpeg publishes a test pattern (H.264 + AAC, 1-s GOPs)
 * as an RTMP server (-listen 1) and as an SRT listener on 127.0.0.1; the relay is the client.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { freePort } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FFMPEG, fragmentDocuments, listFragments, packets, relayToolsSkip, startRelay } from './helpers.js';

const ENCODE = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '30'];

function publish(args: string[]): ChildProcess {
  return spawn(FFMPEG!, ['-v', 'error', ...ENCODE, ...args], { stdio: 'ignore' });
}

describe('openkvs relay from RTMP and SRT', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  const publishers: ChildProcess[] = [];
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    for (const p of publishers) p.kill('SIGKILL');
    await t?.dispose();
  });

  const cases = [
    { name: 'RTMP', url: (port: number) => `rtmp://127.0.0.1:${port}/live/cam`, out: (port: number) => ['-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/cam`] },
    { name: 'SRT', url: (port: number) => `srt://127.0.0.1:${port}?mode=caller`, out: (port: number) => ['-f', 'mpegts', `srt://127.0.0.1:${port}?mode=listener`] },
  ];
  for (const c of cases) {
    test(`${c.name}: fragments open with a key frame`, { timeout: 40_000 }, async () => {
      const port = await freePort();
      publishers.push(publish(c.out(port)));
      await new Promise((r) => setTimeout(r, 500));
      const stream = await createStream(t, `relay-${c.name.toLowerCase()}`);
      const relay = startRelay([c.url(port), '--stream', stream, '--endpoint', t.url]);
      await relay.until((s) => s.fragmentsPersisted >= 4, 25_000, '4 persisted fragments');
      assert.equal(await relay.stop(), 0, relay.stderr());
      const fragments = await listFragments(t, stream);
      const docs = await fragmentDocuments(t, stream, fragments);
      for (const [i, doc] of docs.entries()) {
        const all = packets(doc);
        assert.ok(all.some((p) => p.stream === 1), `fragment ${i} carries audio`);
        assert.ok(all.find((p) => p.stream === 0)?.key, `fragment ${i} opens with a key frame`);
      }
    });
  }
});
