/**
 * A web app on another origin uses openkvs as it would use AWS: in Debian's chromium, the AWS SDK
 * for JavaScript v3 (bundled for the browser) and v2 (its browser build) call CreateStream,
 * GetDataEndpoint, ListFragments and GetHLSStreamingSessionURL, and hls.js plays the session URL;
 * in open mode (`--cors-origins *`, the default) and in secured mode (SigV4 with a key from
 * `--credentials`, `--cors-origins` listing the page's origin). A wrong key comes back to the page
 * as UnrecognizedClientException / 403 (the error headers are exposed), request ids are readable,
 * and with `--cors-origins` naming another origin the same calls fail as network errors: the
 * negative control showing that the test exercises CORS. A screenshot of each page is saved under
 * $OPENKVS_TEST_ARTIFACTS (default test-artifacts/).
 */
import { ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { putMedia } from '../../src/client/index.js';
import { CHROMIUM_PATH } from '../helpers/browser-player.js';
import { FIXTURES } from '../helpers/playback.js';
import { findTool, REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { launchSdkBrowser, type SdkBrowser, type SdkCall, type SdkCallResult, type SdkPage, type SdkVersion } from '../helpers/sdk-browser.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

const skip = skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)');
const ARTIFACTS = process.env['OPENKVS_TEST_ARTIFACTS'] ?? path.join(REPO_ROOT, 'test-artifacts');
const REGION = 'us-east-1';
const START_MS = 1_700_000_000_000;
/** h264-aac.mkv: three 2-s fragments from START_MS. */
const RANGE = { StartTimestamp: START_MS, EndTimestamp: START_MS + 10_000 };
/** Open mode accepts any signature; the SDKs still need some credentials to sign with. */
const ANY_CREDENTIALS = { accessKeyId: 'AKIDANYTHING', secretAccessKey: 'anything' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Credentials = SdkCall['credentials'];

function expectOk(result: SdkCallResult, what: string): Record<string, unknown> {
  assert.ok(result.ok, `${what}: ${JSON.stringify(result)}`);
  // x-amzn-RequestId reached the SDK: the answer's headers are exposed to the page.
  assert.match(result.requestId ?? '', UUID, `${what}: request id`);
  return result.data;
}

/** The fixture into the stream, from Node, through the project's PutMedia client (signed). */
async function streamFixture(endpoint: string, streamName: string): Promise<void> {
  const session = putMedia({
    endpoint,
    streamName,
    body: createReadStream(path.join(FIXTURES, 'h264-aac.mkv')),
    timecodeType: 'RELATIVE',
    producerStartTimestampMs: START_MS,
    region: REGION,
    credentials: TEST_CREDENTIALS,
  });
  for await (const ack of session) assert.notEqual(ack.type, 'ERROR', JSON.stringify(ack));
  const summary = await session.done;
  assert.equal(summary.fragments.persisted, 3, JSON.stringify(summary));
}

/**
 * What a viewer app does: create the stream (then a camera fills it), find the data endpoints,
 * list the fragments, get an HLS session URL and play it. Leaves a screenshot of the page.
 */
async function appScenario(page: SdkPage, kvs: TestServer, sdk: SdkVersion, credentials: Credentials, shot: string): Promise<void> {
  const stream = `${sdk}-cam`;
  const call = (service: SdkCall['service'], operation: string, input: Record<string, unknown>, endpoint = kvs.url) =>
    page.call({ sdk, service, operation, input, endpoint, region: REGION, credentials });

  const created = expectOk(await call('KinesisVideo', 'CreateStream', { StreamName: stream, DataRetentionInHours: 24, MediaType: 'video/h264,audio/aac' }), 'CreateStream');
  assert.match(String(created['StreamARN']), new RegExp(`^arn:aws:kinesisvideo:${REGION}:\\d{12}:stream/${stream}/\\d+$`));
  await streamFixture(kvs.url, stream);

  const listEndpoint = expectOk(await call('KinesisVideo', 'GetDataEndpoint', { StreamName: stream, APIName: 'LIST_FRAGMENTS' }), 'GetDataEndpoint');
  assert.equal(listEndpoint['DataEndpoint'], kvs.url);
  const listed = expectOk(
    await call('KinesisVideoArchivedMedia', 'ListFragments', { StreamName: stream, FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: RANGE } }, String(listEndpoint['DataEndpoint'])),
    'ListFragments',
  );
  const fragments = listed['Fragments'] as { FragmentNumber: string; ProducerTimestamp: Date }[];
  assert.equal(fragments.length, 3, JSON.stringify(listed));
  // Timestamps came back as Dates through the SDK's deserializer: the body was read in full.
  assert.deepEqual(fragments.map((f) => new Date(f.ProducerTimestamp).getTime()).sort(), [START_MS, START_MS + 2000, START_MS + 4000]);

  const hlsEndpoint = expectOk(await call('KinesisVideo', 'GetDataEndpoint', { StreamName: stream, APIName: 'GET_HLS_STREAMING_SESSION_URL' }), 'GetDataEndpoint');
  const session = expectOk(
    await call(
      'KinesisVideoArchivedMedia',
      'GetHLSStreamingSessionURL',
      { StreamName: stream, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: RANGE } },
      String(hlsEndpoint['DataEndpoint']),
    ),
    'GetHLSStreamingSessionURL',
  );
  const url = String(session['HLSStreamingSessionURL']);
  assert.ok(url.startsWith(`${kvs.url}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=`), url);

  const played = await page.play(url, 4);
  await page.screenshot(shot);
  const explain = JSON.stringify({ ...played, events: played.events.slice(-30) }, null, 1);
  assert.deepEqual(played.errors, [], `hls.js errors:\n${explain}`);
  assert.ok(played.currentTime >= 4, `currentTime ${played.currentTime} did not pass 4 s:\n${explain}`);
}

async function credentialsFile(dir: string): Promise<string> {
  const file = path.join(dir, 'credentials');
  await writeFile(file, `[web-app]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
  return file;
}

describe('a web page on another origin calls openkvs with the AWS SDK for JavaScript and plays with hls.js', { skip }, () => {
  let browser: SdkBrowser;
  let dir: string;
  const servers: TestServer[] = [];
  const pages: SdkPage[] = [];

  /** A fresh page per scenario (one hls.js playback per page); closed with the browser. */
  const openPage = async (title: string) => {
    const page = await browser.openPage(title);
    pages.push(page);
    return page;
  };
  const shot = (name: string) => path.join(ARTIFACTS, `sdk-browser-${name}.png`);

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-sdk-browser-'));
    browser = await launchSdkBrowser();
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close()));
    await browser?.close();
    await Promise.all(servers.map((s) => s.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  describe('open mode, --cors-origins * (the default)', () => {
    let kvs: TestServer;
    before(async () => {
      kvs = await startTestServer();
      servers.push(kvs);
      assert.notEqual(new URL(kvs.url).origin, browser.pageOrigin, 'the page must be cross-origin');
    });

    for (const sdk of ['v3', 'v2'] as const) {
      test(`SDK ${sdk}: CreateStream, GetDataEndpoint, ListFragments, GetHLSStreamingSessionURL, hls.js plays`, async () => {
        const page = await openPage(`AWS SDK for JavaScript ${sdk} → openkvs at ${kvs.url} (open mode, --cors-origins *)`);
        await appScenario(page, kvs, sdk, ANY_CREDENTIALS, shot(`open-${sdk}`));
      });
    }
  });

  describe('secured mode (--credentials), --cors-origins listing the page origin', () => {
    let kvs: TestServer;
    before(async () => {
      kvs = await startTestServer({ credentialsFile: await credentialsFile(dir), corsOrigins: `https://dashboard.example,${browser.pageOrigin}` });
      servers.push(kvs);
    });

    for (const sdk of ['v3', 'v2'] as const) {
      test(`SDK ${sdk}: the app's calls succeed with the key; a wrong key is UnrecognizedClientException, 403`, async () => {
        const page = await openPage(`AWS SDK for JavaScript ${sdk} → openkvs at ${kvs.url} (secured mode, --cors-origins ${browser.pageOrigin})`);
        const wrongKey = await page.call({
          sdk,
          service: 'KinesisVideo',
          operation: 'ListStreams',
          input: {},
          endpoint: kvs.url,
          region: REGION,
          credentials: { accessKeyId: 'AKIDNOTINTHEFILE', secretAccessKey: TEST_CREDENTIALS.secretAccessKey },
        });
        assert.ok(!wrongKey.ok, JSON.stringify(wrongKey));
        assert.equal(wrongKey.name, 'UnrecognizedClientException', JSON.stringify(wrongKey));
        assert.equal(wrongKey.status, 403);
        assert.match(wrongKey.requestId ?? '', UUID);
        await appScenario(page, kvs, sdk, TEST_CREDENTIALS, shot(`secured-${sdk}`));
      });
    }
  });

  describe('negative control: --cors-origins names another origin', () => {
    let kvs: TestServer;
    before(async () => {
      kvs = await startTestServer({ corsOrigins: 'http://127.0.0.1:1' });
      servers.push(kvs);
    });

    for (const sdk of ['v3', 'v2'] as const) {
      test(`SDK ${sdk}: the browser refuses the calls, which the SDK reports as a network error`, async () => {
        const page = await openPage(`AWS SDK for JavaScript ${sdk} → openkvs at ${kvs.url} (--cors-origins http://127.0.0.1:1: must fail)`);
        const result = await page.call({
          sdk,
          service: 'KinesisVideo',
          operation: 'CreateStream',
          input: { StreamName: `${sdk}-refused` },
          endpoint: kvs.url,
          region: REGION,
          credentials: ANY_CREDENTIALS,
        });
        await page.screenshot(shot(`refused-${sdk}`));
        assert.ok(!result.ok, JSON.stringify(result));
        // fetch's TypeError (v3), XMLHttpRequest's "Network Failure" (v2): no status, no AWS error name.
        assert.equal(result.name, sdk === 'v3' ? 'TypeError' : 'NetworkingError', JSON.stringify(result));
        assert.ok(!result.status, JSON.stringify(result));
        // The preflight was refused, so the POST never left the browser: no stream was created.
        const { StreamInfoList } = await kvs.control().send(new ListStreamsCommand({}));
        assert.deepEqual(StreamInfoList, []);
      });
    }
  });
});
