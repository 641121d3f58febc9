/**
 * Stall detection and session rollover: a camera that stops sending without closing its
 * connection (SIGSTOP) is restarted after --stall; PutMedia sessions are renewed every
 * --session-max (AWS's 45-minute limit, shortened here), between fragments, with nothing lost,
 * repeated or reordered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { listFragments, relayToolsSkip, startCamera, startRelay, type Camera } from './helpers.js';

describe('openkvs relay: stalls and session rollover', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let camera: Camera;
  before(async () => {
    t = await startTestServer();
    camera = await startCamera(['--gop', '15', '--fps', '15']);
  });
  after(async () => {
    camera?.signal('SIGCONT');
    await camera?.stop();
    await t?.dispose();
  });

  test('sessions roll over every --session-max without a fragment lost or repeated', { timeout: 40_000 }, async () => {
    const stream = await createStream(t, 'relay-rollover');
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url, '--session-max', '2s']);
    const last = await relay.until((s) => s.sessions >= 3 && s.fragmentsPersisted >= 6, 30_000, '3 sessions');
    assert.equal(await relay.stop(), 0, relay.stderr());
    const fragments = await listFragments(t, stream);
    assert.ok(fragments.length >= last.fragmentsPersisted);
    const starts = fragments.map((f) => f.ProducerTimestamp!.getTime());
    assert.equal(new Set(starts).size, starts.length, 'a fragment was stored twice');
    for (let i = 1; i < fragments.length; i++) {
      const gap = starts[i]! - starts[i - 1]!;
      assert.ok(gap > 0 && gap < 1500, `step ${gap} ms between fragments ${i - 1} and ${i}`);
    }
  });

  test('a camera that stops sending is restarted after --stall', { timeout: 40_000 }, async () => {
    const stream = await createStream(t, 'relay-stall');
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url, '--stall', '2s']);
    await relay.until((s) => s.fragmentsPersisted >= 2, 20_000, '2 persisted fragments');
    camera.signal('SIGSTOP');
    await relay.until((s) => /stalled/.test(s.lastError ?? ''), 10_000, 'the stall to be noticed');
    camera.signal('SIGCONT');
    const before = relay.lines.at(-1)!.fragmentsPersisted;
    await relay.until((s) => s.sourceRestarts >= 1 && s.fragmentsPersisted >= before + 2, 25_000, 'fragments after the stall');
    assert.equal(await relay.stop(), 0, relay.stderr());
  });
});
