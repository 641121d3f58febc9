/**
 * A camera that sends B-frames and audio: KVS refuses a fragment whose first frame is earlier
 * than the previous fragment's last (4004), which is what cutting at key frames gives when
 * B-frames delay the pictures behind the sound. The relay's fragments must all be accepted and
 * the result must play.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { hlsDecodeErrors, listFragments, relayToolsSkip, startCamera, startRelay, type Camera } from './helpers.js';

describe('openkvs relay from a camera with B-frames and audio', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let camera: Camera;
  before(async () => {
    t = await startTestServer();
    camera = await startCamera(['--gop', '15', '--fps', '15', '--bframes', '2']);
  });
  after(async () => {
    await camera?.stop();
    await t?.dispose();
  });

  test('every fragment is persisted and HLS plays', { timeout: 40_000 }, async () => {
    const stream = await createStream(t, 'relay-bframes');
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url]);
    await relay.until((s) => s.fragmentsPersisted >= 5, 25_000, '5 persisted fragments');
    assert.equal(await relay.stop(), 0, relay.stderr());
    const errors = relay.lines.map((s) => s.lastError).filter(Boolean);
    assert.deepEqual(errors, [], 'no ERROR ack');
    const fragments = await listFragments(t, stream);
    assert.ok(fragments.length >= 5);
    assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
  });
});
