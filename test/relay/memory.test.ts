/**
 * A relay runs for months in one process: a PERSISTED fragment must become garbage while its
 * PutMedia session goes on (a session lasts 40 minutes: holding its fragments would be ~1 GB per
 * 1080p camera). In-process Relay over a looped file, fragments tracked with WeakRefs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Relay } from '../../src/relay/relay.js';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FFMPEG, relayToolsSkip } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  // WeakRef targets survive the job that last dereferenced them: collect between turns.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

describe('openkvs relay: memory', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(path.join(tmpdir(), 'openkvs-relay-memory-'));
  });
  after(async () => {
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('persisted fragments are released while their session goes on', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'cam.mp4');
    execFileSync(FFMPEG!, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '8', '-bf', '0', '-pix_fmt', 'yuv420p', file]);
    const stream = await createStream(t, 'relay-memory');
    const relay = new Relay({ source: file, loop: true, stream, endpoint: t.url });
    const sent: Array<WeakRef<Uint8Array>> = [];
    const push = relay.buffer.push.bind(relay.buffer);
    relay.buffer.push = (fragment) => {
      sent.push(new WeakRef(fragment.bytes));
      push(fragment);
    };
    const running = relay.run();
    const deadline = Date.now() + 40_000;
    while (relay.status().fragmentsPersisted < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const status = relay.status();
    assert.ok(status.fragmentsPersisted >= 8, `only ${status.fragmentsPersisted} fragments persisted`);
    assert.equal(status.sessions, 1, 'the session must still be the first one');
    await collect();
    const persistedEarly = sent.slice(0, 5);
    const alive = persistedEarly.filter((w) => w.deref() !== undefined).length;
    await relay.stop();
    await running.catch(() => undefined);
    assert.equal(alive, 0, `${alive} of the first 5 persisted fragments are still in memory`);
  });
});
