/**
 * `openkvs relay rtsp://…` against a GStreamer RTSP camera (H.264 + AAC test pattern, 1-s GOPs)
 * and a real server: every fragment opens with a key frame and holds one GOP, timestamps are
 * ABSOLUTE and near the wall clock, HLS of the result decodes cleanly, SIGTERM exits 0.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fragmentDocuments, hlsDecodeErrors, listFragments, packets, relayToolsSkip, startCamera, startRelay, type Camera } from './helpers.js';

describe('openkvs relay from RTSP', { skip: relayToolsSkip() }, () => {
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

  test('one fragment per GOP, starting at a key frame, ABSOLUTE near wall clock, HLS plays', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'relay-rtsp');
    const started = Date.now();
    const relay = startRelay([camera.url, '--stream', stream, '--endpoint', t.url]);
    await relay.until((s) => s.fragmentsPersisted >= 7, 25_000, '7 persisted fragments');
    assert.equal(await relay.stop(), 0, relay.stderr());
    const stopped = Date.now();

    const fragments = await listFragments(t, stream);
    assert.ok(fragments.length >= 5, `${fragments.length} fragments`);
    if (process.env['RELAY_DEBUG']) for (const f of fragments) console.log(f.ProducerTimestamp!.getTime() - started, f.FragmentLengthInMilliseconds, f.ServerTimestamp!.getTime() - started);
    for (const [i, f] of fragments.entries()) {
      const producer = f.ProducerTimestamp!.getTime();
      const server = f.ServerTimestamp!.getTime();
      assert.ok(producer >= started && producer <= stopped, `producer timestamp ${producer} outside the run`);
      // A GOP reaches the relay when it has ended, so once live (after the first fragments,
      // which wait out ffmpeg's start-up burst) a fragment's end is when the server received it.
      // The last one ends early: SIGTERM cut it.
      if (i < 3 || i === fragments.length - 1) continue;
      const lag = server - (producer + f.FragmentLengthInMilliseconds!);
      assert.ok(Math.abs(lag) <= 100, `fragment ${i}: ends ${lag} ms from when it reached the server`);
    }
    for (let i = 1; i < fragments.length; i++) {
      const gap = fragments[i]!.ProducerTimestamp!.getTime() - fragments[i - 1]!.ProducerTimestamp!.getTime();
      // After the previous fragment's last frame (one frame is 67 ms at 15 fps): KVS's 4004 rule.
      assert.ok(gap > fragments[i - 1]!.FragmentLengthInMilliseconds! - 67, `fragment ${i} starts before fragment ${i - 1}'s last frame`);
    }
    const docs = await fragmentDocuments(t, stream, fragments);
    assert.equal(docs.length, fragments.length);
    for (const [i, doc] of docs.entries()) {
      const video = packets(doc).filter((p) => p.stream === 0);
      assert.ok(video[0]?.key, `fragment ${i} opens with a key frame`);
      // Key packets only at the start (ffmpeg's RTP depacketizer makes parameter sets a key packet of their own).
      const keyRuns = video.filter((p, k) => p.key && !video[k - 1]?.key).length;
      assert.equal(keyRuns, 1, `fragment ${i} holds one GOP`);
      // The GStreamer camera: 15 frames per GOP at 15 fps (the last fragment was cut by SIGTERM).
      if (i < docs.length - 1) assert.ok(video.length >= 14 && video.length <= 17, `fragment ${i}: ${video.length} frames`);
    }
    assert.equal(await hlsDecodeErrors(t, stream, fragments), '');
  });
});
