/**
 * The relay kept alive: the camera disappears for 5 s, then openkvs for 10 s. Afterwards the
 * stream holds every GOP once, in order, with no gap beyond the outage of the camera itself.
 */
import assert from 'node:assert/strict';
import type { Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { hlsDecodeErrors, listFragments, relayToolsSkip, startCamera, startRelay, type Camera } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Producer timestamps strictly increasing, none repeated, each after the previous fragment's last frame. */
function assertOrdered(fragments: Fragment[]): void {
  const starts = fragments.map((f) => f.ProducerTimestamp!.getTime());
  assert.equal(new Set(starts).size, starts.length, 'a fragment was stored twice');
  for (let i = 1; i < fragments.length; i++) {
    const gap = starts[i]! - starts[i - 1]!;
    assert.ok(gap > fragments[i - 1]!.FragmentLengthInMilliseconds! - 67, `fragment ${i} starts before fragment ${i - 1} ends (${gap} ms)`);
  }
}

/** The largest step between consecutive fragments' starts. */
function largestGap(fragments: Fragment[]): number {
  let gap = 0;
  for (let i = 1; i < fragments.length; i++) gap = Math.max(gap, fragments[i]!.ProducerTimestamp!.getTime() - fragments[i - 1]!.ProducerTimestamp!.getTime());
  return gap;
}

describe('openkvs relay kept alive', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let camera: Camera;
  before(async () => {
    t = await startTestServer();
    camera = await startCamera(['--gop', '15', '--fps', '15']);
  });
  after(async () => {
    await camera?.stop();
    await t?.dispose();
  });

  test('the camera goes away for 5 s: the relay reconnects and goes on', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'relay-camera-drop');
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url, '--stall', '3s']);
    await relay.until((s) => s.fragmentsPersisted >= 3, 20_000, '3 persisted fragments');
    await camera.stop();
    await sleep(5000);
    await camera.start();
    const before = relay.lines.at(-1)!.fragmentsPersisted;
    const after = await relay.until((s) => s.sourceRestarts >= 1 && s.fragmentsPersisted >= before + 3, 30_000, '3 more fragments after the camera came back');
    assert.match(relay.lines.map((s) => s.lastError ?? '').join('\n'), /ffmpeg exited|stalled/);
    assert.equal(await relay.stop(), 0, relay.stderr());
    const fragments = await listFragments(t, stream);
    if (process.env['RELAY_DEBUG']) {
      const { fragmentDocuments, packets } = await import('./helpers.js');
      const docs = await fragmentDocuments(t, stream, fragments);
      for (const [i, f] of fragments.entries()) console.log(f.ProducerTimestamp!.getTime() % 100000, f.FragmentLengthInMilliseconds, JSON.stringify(packets(docs[i]!).filter((p) => p.stream === 0).slice(0, 4)));
    }
    assert.ok(fragments.length >= after.fragmentsPersisted);
    assertOrdered(fragments);
    assert.ok(largestGap(fragments) >= 5000, 'the outage shows as a gap');
    assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
  });

  test('openkvs goes away for 10 s: fragments are buffered, then persisted, none lost or repeated', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'relay-server-drop');
    const port = new URL(t.url).port;
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url]);
    await relay.until((s) => s.fragmentsPersisted >= 3, 20_000, '3 persisted fragments');
    await t.stop();
    await sleep(10_000);
    const buffered = relay.lines.at(-1)!;
    assert.ok(buffered.fragmentsBuffered >= 5, `buffered ${buffered.fragmentsBuffered} fragments during the outage`);
    t = await startTestServer({ dataDir: t.dataDir, port: Number(port) });
    await relay.until((s) => s.fragmentsPersisted >= buffered.fragmentsPersisted + buffered.fragmentsBuffered + 1 && s.fragmentsBuffered <= 2, 30_000, 'the buffer drained');
    assert.equal(await relay.stop(), 0, relay.stderr());
    // Strict: the stop acked every fragment it stored (src/server.ts shutdown), so none is sent again.
    const fragments = await listFragments(t, stream);
    assertOrdered(fragments);
    // Every GOP is there: consecutive 1-s GOPs, no hole where openkvs was down.
    assert.ok(largestGap(fragments) < 1500, `largest step between fragments: ${largestGap(fragments)} ms`);
    assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
  });
});
