/**
 * Debian's chromium plays openkvs sessions with hls.js and dash.js from a page on another origin
 * (the browser harness): ON_DEMAND HLS fMP4, HLS MPEG-TS and DASH of H.264 + AAC play past 4 s
 * with no player, video or page error, and LIVE HLS and DASH sessions keep playing while a
 * producer sends a fixture in real time through the PutMedia client, over and over.
 */
import { GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { paceByClusterTimecodes, putMedia } from '../../src/client/index.js';
import { CHROMIUM_PATH, launchBrowserPlayer, type BrowserPlayer, type LiveWatchResult, type PlaybackResult } from '../helpers/browser-player.js';
import { archivedMediaClient, createStream, FIXTURES, streamWithFixture } from '../helpers/playback.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const skip = skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)');
const START_MS = 1_700_000_000_000;
const SELECTOR = { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 10_000) } } as const;
/** h264-aac.mkv: three 2-s fragments. */
const FIXTURE_MS = 6000;

function explain(result: PlaybackResult | LiveWatchResult): string {
  return JSON.stringify({ ...result, events: result.events.slice(-40) }, null, 1);
}

function assertPlayed(result: PlaybackResult): void {
  assert.deepEqual(result.errors, [], `player errors:\n${explain(result)}`);
  assert.ok(result.currentTime > 4, `currentTime ${result.currentTime} did not pass 4 s:\n${explain(result)}`);
}

/**
 * A camera: the fixture sent in real time (its clusters released as their timecodes come due),
 * again and again, each pass one PutMedia request whose producer timestamps continue the last.
 */
function liveProducer(endpoint: string, stream: string): { firstPersisted: Promise<void>; stop(): Promise<void> } {
  let stopped = false;
  let markPersisted!: () => void;
  const firstPersisted = new Promise<void>((resolve) => (markPersisted = resolve));
  const run = (async () => {
    const startMs = Date.now();
    for (let pass = 0; !stopped; pass++) {
      const passStartMs = startMs + pass * FIXTURE_MS;
      await sleep(Math.max(0, passStartMs - Date.now()));
      const body = paceByClusterTimecodes(createReadStream(path.join(FIXTURES, 'h264-aac.mkv')));
      const session = putMedia({ endpoint, streamName: stream, body, timecodeType: 'RELATIVE', producerStartTimestampMs: passStartMs });
      for await (const ack of session) {
        if (ack.type === 'PERSISTED') markPersisted();
        if (ack.type === 'ERROR') throw new Error(`producer: error ack ${ack.errorId}`);
      }
      await session.done;
    }
  })();
  return {
    firstPersisted: Promise.race([firstPersisted, run.then(() => undefined)]),
    async stop() {
      stopped = true;
      await run;
    },
  };
}

describe('chromium plays openkvs sessions with hls.js and dash.js', { skip }, () => {
  let kvs: TestServer;
  let browser: BrowserPlayer;
  let client: KinesisVideoArchivedMediaClient;

  before(async () => {
    kvs = await startTestServer();
    browser = await launchBrowserPlayer();
    await streamWithFixture(kvs, 'vod', 'h264-aac.mkv');
    client = await archivedMediaClient(kvs, 'vod', 'GET_HLS_STREAMING_SESSION_URL');
  });
  after(async () => {
    client?.destroy();
    await browser?.close();
    await kvs?.dispose();
  });

  const hlsUrl = async (container: 'FRAGMENTED_MP4' | 'MPEG_TS') =>
    (await client.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'vod', PlaybackMode: 'ON_DEMAND', ContainerFormat: container, HLSFragmentSelector: SELECTOR })))
      .HLSStreamingSessionURL!;

  test('ON_DEMAND HLS fMP4 plays past 4 s with no error', async () => {
    assertPlayed(await browser.playInBrowser({ kind: 'hls', url: await hlsUrl('FRAGMENTED_MP4'), minSeconds: 4 }));
  });

  test('ON_DEMAND HLS MPEG-TS plays past 4 s with no error', async () => {
    assertPlayed(await browser.playInBrowser({ kind: 'hls', url: await hlsUrl('MPEG_TS'), minSeconds: 4 }));
  });

  test('ON_DEMAND DASH plays past 4 s with no error', async () => {
    const input = { StreamName: 'vod', PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: SELECTOR } as const;
    const url = (await client.send(new GetDASHStreamingSessionURLCommand(input))).DASHStreamingSessionURL!;
    assertPlayed(await browser.playInBrowser({ kind: 'dash', url, minSeconds: 4 }));
  });

  describe('LIVE, while a producer streams in real time', () => {
    let producer: ReturnType<typeof liveProducer> | undefined;
    before(async () => {
      await createStream(kvs, 'camera');
      producer = liveProducer(kvs.url, 'camera');
      await producer.firstPersisted;
    });
    after(() => producer?.stop());

    const watch = async (t: TestContext, kind: 'hls' | 'dash', url: string) => {
      const result = await browser.watchLiveInBrowser({ kind, url, watchSeconds: 10, startTimeoutMs: 20_000, maxStallMs: 3000 });
      t.diagnostic(`started after ${result.startupMs} ms; +${result.advancedSeconds.toFixed(2)} s in 10 s; longest stall ${result.longestStallMs} ms`);
      assert.deepEqual(result.errors, [], `player errors:\n${explain(result)}`);
      assert.ok(result.keptAdvancing, `playback did not keep advancing:\n${explain(result)}`);
    };

    test('a LIVE HLS session keeps playing', async (t) => {
      await watch(t, 'hls', (await client.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'camera' }))).HLSStreamingSessionURL!);
    });

    test('a LIVE DASH session keeps playing (the MPD tells dash.js the server time)', async (t) => {
      await watch(t, 'dash', (await client.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'camera' }))).DASHStreamingSessionURL!);
    });
  });
});
