/**
 * A camera that changes resolution, in the two ways cameras do it: reconfigured between
 * connections (its stream restarts with a new SPS), and in band, mid-session (the encoder sends
 * a new SPS with an IDR on the same RTSP connection). Either way KVS needs the new track header
 * (a new CodecPrivateData, so a new MKV segment: a new PutMedia session) and the stream keeps
 * playing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fragmentDocuments, headerVideoSize, hlsDecodeErrors, listFragments, relayToolsSkip, startCamera, startRelay, videoSize } from './helpers.js';

describe('openkvs relay when the camera changes resolution', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.dispose();
  });
  /** What ffmpeg said decoding the HLS of the reconnect case (judged by its own test below). */
  let reconnectHlsErrors: string | undefined;

  test('across a reconnect: new track header, playback keeps working', { timeout: 60_000 }, async () => {
    const camera = await startCamera(['--gop', '15', '--fps', '15', '--size', '320x240']);
    try {
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
      assert.equal(headerVideoSize(docs.at(-1)!), '640x480 640x480');
      assert.ok(relay.lines.at(-1)!.sessions >= 2, 'a new session for the new header');
      reconnectHlsErrors = await hlsDecodeErrors(t, stream, fragments);
      // Every frame is decodable whatever the timestamps say.
      assert.doesNotMatch(reconnectHlsErrors, /corrupt|error while decoding|Invalid data/i);
    } finally {
      await camera.stop();
    }
  });

  // Its own test so that a timestamp fault is told apart from undecodable media. It used to fail
  // about one run in ten ("non monotonically increasing dts" after the reconnect): the new run's
  // frames were placed half a frame off the old run's frame grid, or the start-up burst's second
  // fragment jumped forward and the third was pulled back onto it (relay/timeline.ts).
  test('across a reconnect: HLS decodes without a warning', () => {
    assert.equal(reconnectHlsErrors, '');
  });

  test('in band, same RTSP session: new track header from the new SPS, playback keeps working', { timeout: 60_000 }, async () => {
    const camera = await startCamera(['--gop', '15', '--fps', '15', '--size', '320x240', '--resize-to', '640x480', '--resize-after', '5']);
    try {
      const stream = await createStream(t, 'relay-resolution-inband');
      const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url]);
      // The camera switches 5 s after the relay's connection; run well past it.
      await relay.until((s) => s.fragmentsPersisted >= 10, 40_000, '10 persisted fragments');
      assert.equal(await relay.stop(), 0, relay.stderr());
      assert.equal(relay.lines.at(-1)!.sourceRestarts, 0, 'no reconnect: the change came in band');
      const fragments = await listFragments(t, stream);
      const docs = await fragmentDocuments(t, stream, fragments);
      // Each fragment's track header describes the pictures it holds.
      const headers = docs.map(headerVideoSize);
      const pictures = docs.map(videoSize);
      for (const [i, header] of headers.entries()) {
        assert.equal(header, `${pictures[i]} ${pictures[i]}`, `fragment ${i}: header ${header}, pictures ${pictures[i]}`);
      }
      assert.equal(pictures[0], '320x240');
      assert.equal(pictures.at(-1), '640x480');
      assert.ok(relay.lines.at(-1)!.sessions >= 2, 'a new session for the new header');
      assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
    } finally {
      await camera.stop();
    }
  });
});
