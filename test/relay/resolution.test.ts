/**
 * A camera that changes resolution (its stream restarts with a new SPS, as cameras do when
 * reconfigured): the relay reconnects, opens a new PutMedia session with the new track header,
 * and the stream keeps playing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fragmentDocuments, hlsDecodeErrors, listFragments, relayToolsSkip, startCamera, startRelay, videoSize } from './helpers.js';

describe('openkvs relay when the camera changes resolution', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let camera: Awaited<ReturnType<typeof startCamera>>;
  before(async () => {
    t = await startTestServer();
    camera = await startCamera(['--gop', '15', '--fps', '15', '--size', '320x240']);
  });
  after(async () => {
    await camera?.stop();
    await t?.dispose();
  });

  test('new track header, playback keeps working', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'relay-resolution');
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url, '--stall', '3s']);
    await relay.until((s) => s.fragmentsPersisted >= 3, 20_000, '3 persisted fragments');
    await camera.stop();
    await camera.startWith(['--gop', '15', '--fps', '15', '--size', '640x480']);
    const before = relay.lines.at(-1)!.fragmentsPersisted;
    await relay.until((s) => s.fragmentsPersisted >= before + 4, 30_000, 'fragments at the new resolution');
    assert.equal(await relay.stop(), 0, relay.stderr());
    const fragments = await listFragments(t, stream);
    const docs = await fragmentDocuments(t, stream, fragments);
    const sizes = docs.map(videoSize);
    assert.equal(sizes[0], '320x240');
    assert.equal(sizes.at(-1), '640x480');
    assert.ok(relay.lines.at(-1)!.sessions >= 2, 'a new session for the new header');
    assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
  });
});
