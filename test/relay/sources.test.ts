/**
 * The other sources `openkvs relay` takes, each on 127.0.0.1: RTSP over UDP, RTSPS (RTSP over
 * TLS, GStreamer's RTSP server with a self-signed certificate), http:// serving an MPEG-TS, a
 * fragmented MP4 and a Matroska file, and stdin (`-`, an MPEG-TS pipe). Every fragment opens
 * with a key frame and the HLS of the result decodes without a warning.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, openSync, closeSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FFMPEG, fragmentDocuments, hlsDecodeErrors, listFragments, packets, relayToolsSkip, startCamera, startRelay } from './helpers.js';

const OPENSSL = '/usr/bin/openssl';

/** Every fragment opens with a key frame; HLS decodes cleanly. */
async function judge(t: TestServer, stream: string, atLeast: number): Promise<void> {
  const fragments = await listFragments(t, stream);
  if (process.env['RELAY_DEBUG']) for (const f of fragments) console.log(f.ProducerTimestamp!.getTime() % 100000, f.FragmentLengthInMilliseconds, f.ServerTimestamp!.getTime() % 100000);
  assert.ok(fragments.length >= atLeast, `${fragments.length} fragments`);
  const docs = await fragmentDocuments(t, stream, fragments);
  for (const [i, doc] of docs.entries()) assert.ok(packets(doc).find((p) => p.stream === 0)?.key, `fragment ${i} opens with a key frame`);
  assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
}

describe('openkvs relay from other sources', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let dir: string;
  let web: Server;
  let webUrl: string;
  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-relay-sources-'));
    // A 6-s H.264 + AAC clip with 1-s GOPs, in the three containers served over HTTP.
    const input = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-bf', '0', '-c:a', 'aac'];
    execFileSync(FFMPEG!, ['-v', 'error', '-y', ...input, path.join(dir, 'clip.ts')]);
    execFileSync(FFMPEG!, ['-v', 'error', '-y', ...input, '-movflags', 'frag_keyframe+empty_moov', path.join(dir, 'clip.mp4')]);
    execFileSync(FFMPEG!, ['-v', 'error', '-y', ...input, path.join(dir, 'clip.mkv')]);
    web = createServer((req, res) => {
      const file = path.join(dir, path.basename(req.url ?? ''));
      res.writeHead(200, { 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    webUrl = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
  });
  after(async () => {
    web?.close();
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('RTSP over UDP (--rtsp-transport udp)', { timeout: 60_000 }, async () => {
    const camera = await startCamera(['--gop', '15', '--fps', '15']);
    try {
      const stream = await createStream(t, 'relay-udp');
      const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url, '--rtsp-transport', 'udp']);
      await relay.until((s) => s.fragmentsPersisted >= 4, 30_000, '4 persisted fragments');
      assert.equal(await relay.stop(), 0, relay.stderr());
      await judge(t, stream, 4);
    } finally {
      await camera.stop();
    }
  });

  test('RTSPS (RTSP over TLS, self-signed certificate)', { timeout: 60_000, skip: spawnSync(OPENSSL, ['version']).status !== 0 && 'openssl' }, async () => {
    const pem = path.join(dir, 'camera.pem');
    execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem, '-out', `${pem}.crt`, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    execFileSync('/bin/sh', ['-c', `cat "${pem}.crt" >> "${pem}"`]);
    const camera = await startCamera(['--gop', '15', '--fps', '15', '--tls', pem]);
    try {
      assert.match(camera.url, /^rtsps:/);
      const stream = await createStream(t, 'relay-rtsps');
      const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url]);
      await relay.until((s) => s.fragmentsPersisted >= 4, 30_000, '4 persisted fragments');
      assert.equal(await relay.stop(), 0, relay.stderr());
      await judge(t, stream, 4);
    } finally {
      await camera.stop();
    }
  });

  for (const file of ['clip.ts', 'clip.mp4', 'clip.mkv']) {
    test(`http:// serving ${file}`, { timeout: 60_000 }, async () => {
      const stream = await createStream(t, `relay-http-${path.extname(file).slice(1)}`);
      // --realtime: a file over HTTP is paced like a camera (ffmpeg -re), as a live HTTP source is.
      const relay = startRelay([`${webUrl}/${file}`, '--stream', stream, '--endpoint', t.url, '--realtime']);
      await relay.until((s) => s.fragmentsPersisted >= 4, 30_000, '4 persisted fragments');
      assert.equal(await relay.stop(), 0, relay.stderr());
      await judge(t, stream, 4);
    });
  }

  test('stdin (-): an MPEG-TS pipe, relayed to its end, then exit 0', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'relay-stdin');
    const fd = openSync(path.join(dir, 'clip.ts'), 'r');
    try {
      const relay = startRelay(['-', '--stream', stream, '--endpoint', t.url, '--realtime'], fd);
      assert.equal(await relay.exited, 0, relay.stderr());
      // 6 s of 1-s GOPs: all six, the last one ending with the clip.
      assert.equal(relay.lines.at(-1)!.fragmentsPersisted, 6);
      await judge(t, stream, 6);
    } finally {
      closeSync(fd);
    }
  });
});
