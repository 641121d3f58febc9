/**
 * GetHLSStreamingSessionURL and GetDASHStreamingSessionURL through the AWS SDK v3 client, on the
 * endpoint GetDataEndpoint names for them: every documented error with its AWS name and status,
 * the defaults, and the URL a player gets.
 */
import {
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  type GetDASHStreamingSessionURLInput,
  type GetHLSStreamingSessionURLInput,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archivedMediaClient, createStream, putDocument, streamWithFixture, syntheticDocument } from '../helpers/playback.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

/** Producer time of the fixtures' first fragment (RELATIVE timecodes from this start). */
const START_MS = 1_700_000_000_000;
const at = (ms: number) => new Date(ms);

let kvs: TestServer;
let hls: KinesisVideoArchivedMediaClient;
let dash: KinesisVideoArchivedMediaClient;
/** The server's clock runs this far ahead of the real one: tests move time without sleeping. */
let clockOffsetMs = 0;

before(async () => {
  kvs = await startTestServer({}, { clock: { nowMs: () => Date.now() + clockOffsetMs } });
  await streamWithFixture(kvs, 'cam', 'h264-aac.mkv');
  await streamWithFixture(kvs, 'alaw', 'h264-g711.mkv');
  await createStream(kvs, 'no-retention', 0);
  await putDocument(kvs, 'no-retention', syntheticDocument('V_MPEG4/ISO/AVC', undefined));
  await createStream(kvs, 'no-cpd');
  await putDocument(kvs, 'no-cpd', syntheticDocument('V_MPEG4/ISO/AVC', undefined));
  await createStream(kvs, 'bad-cpd');
  await putDocument(kvs, 'bad-cpd', syntheticDocument('V_MPEG4/ISO/AVC', Uint8Array.of(1, 2, 3)));
  await createStream(kvs, 'vp8');
  await putDocument(kvs, 'vp8', syntheticDocument('V_VP8', undefined));
  hls = await archivedMediaClient(kvs, 'cam', 'GET_HLS_STREAMING_SESSION_URL');
  dash = await archivedMediaClient(kvs, 'cam', 'GET_DASH_STREAMING_SESSION_URL');
});
after(async () => {
  hls?.destroy();
  dash?.destroy();
  await kvs?.dispose();
});

const hlsUrl = (input: GetHLSStreamingSessionURLInput) => hls.send(new GetHLSStreamingSessionURLCommand(input));
const dashUrl = (input: GetDASHStreamingSessionURLInput) => dash.send(new GetDASHStreamingSessionURLCommand(input));

async function expectError(call: () => Promise<unknown>, name: string, status: number, what: string): Promise<void> {
  const err = await rejection(call);
  assert.equal(err.name, name, `${what}: ${err.message}`);
  assert.equal(err.$metadata?.httpStatusCode, status, what);
}

const onDemand = (startMs: number, endMs: number, type: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP' = 'PRODUCER_TIMESTAMP') => ({
  PlaybackMode: 'ON_DEMAND' as const,
  HLSFragmentSelector: { FragmentSelectorType: type, TimestampRange: { StartTimestamp: at(startMs), EndTimestamp: at(endMs) } },
});

describe('GetHLSStreamingSessionURL', () => {
  test('returns the master playlist URL on the data endpoint, defaults and all', async () => {
    const { HLSStreamingSessionURL: url } = await hlsUrl({ StreamName: 'cam' });
    assert.match(url!, new RegExp(`^${kvs.url}/hls/v1/getHLSMasterPlaylist\\.m3u8\\?SessionToken=[A-Za-z0-9_-]+$`));
    const { HLSStreamingSessionURL: byArn } = await hlsUrl({ ...onDemand(START_MS, START_MS + 10_000), StreamARN: await arnOf('cam') });
    assert.ok(byArn!.startsWith(`${kvs.url}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=`));
  });

  test('range rules answer InvalidArgumentException', async () => {
    const range = { StartTimestamp: at(START_MS), EndTimestamp: at(START_MS + 10_000) };
    const cases: Array<[string, GetHLSStreamingSessionURLInput]> = [
      ['LIVE with a range', { StreamName: 'cam', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: range } }],
      ['ON_DEMAND without a selector', { StreamName: 'cam', PlaybackMode: 'ON_DEMAND' }],
      ['ON_DEMAND without an end', { StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { TimestampRange: { StartTimestamp: at(START_MS) } } }],
      ['LIVE_REPLAY without a start', { StreamName: 'cam', PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { TimestampRange: { EndTimestamp: at(START_MS) } } }],
      ['end before start', { StreamName: 'cam', ...onDemand(START_MS, START_MS - 1) }],
      ['end equal to start', { StreamName: 'cam', ...onDemand(START_MS, START_MS) }],
      ['more than 24 hours', { StreamName: 'cam', ...onDemand(START_MS, START_MS + 24 * 3600_000 + 1) }],
      ['SERVER_TIMESTAMP ending in the future', { StreamName: 'cam', ...onDemand(Date.now() - 10_000, Date.now() + 60_000, 'SERVER_TIMESTAMP') }],
      ['Expires under 300', { StreamName: 'cam', Expires: 299 }],
      ['Expires over 43200', { StreamName: 'cam', Expires: 43_201 }],
      ['MaxMediaPlaylistFragmentResults 0', { StreamName: 'cam', MaxMediaPlaylistFragmentResults: 0 }],
      ['MaxMediaPlaylistFragmentResults 5001', { StreamName: 'cam', MaxMediaPlaylistFragmentResults: 5001 }],
      ['neither StreamName nor StreamARN', {}],
      ['both StreamName and StreamARN', { StreamName: 'cam', StreamARN: await arnOf('cam') }],
    ];
    for (const [what, input] of cases) await expectError(() => hlsUrl(input), 'InvalidArgumentException', 400, what);
  });

  test('ResourceNotFoundException: unknown stream, empty range, LIVE with nothing in the last 30 s', async () => {
    await expectError(() => hlsUrl({ StreamName: 'nobody' }), 'ResourceNotFoundException', 404, 'unknown stream');
    await expectError(() => hlsUrl({ StreamName: 'cam', ...onDemand(START_MS + 60_000, START_MS + 70_000) }), 'ResourceNotFoundException', 404, 'empty range');
    await hlsUrl({ StreamName: 'cam' });
    clockOffsetMs = 31_000;
    try {
      await expectError(() => hlsUrl({ StreamName: 'cam' }), 'ResourceNotFoundException', 404, 'LIVE, 31 s later');
      await expectError(() => dashUrl({ StreamName: 'cam' }), 'ResourceNotFoundException', 404, 'DASH LIVE, 31 s later');
    } finally {
      clockOffsetMs = 0;
    }
  });

  test('NoDataRetention, UnsupportedStreamMediaType, MissingCodecPrivateData, InvalidCodecPrivateData', async () => {
    await expectError(() => hlsUrl({ StreamName: 'no-retention' }), 'NoDataRetentionException', 400, 'retention 0');
    await expectError(() => hlsUrl({ StreamName: 'alaw' }), 'UnsupportedStreamMediaTypeException', 400, 'G.711 in HLS');
    await expectError(() => hlsUrl({ StreamName: 'vp8' }), 'UnsupportedStreamMediaTypeException', 400, 'VP8');
    await expectError(() => hlsUrl({ StreamName: 'no-cpd' }), 'MissingCodecPrivateDataException', 400, 'no CodecPrivate');
    await expectError(() => hlsUrl({ StreamName: 'bad-cpd' }), 'InvalidCodecPrivateDataException', 400, 'garbage CodecPrivate');
  });
});

describe('GetDASHStreamingSessionURL', () => {
  test('returns the MPD URL; G.711 audio is playable in DASH', async () => {
    const { DASHStreamingSessionURL: url } = await dashUrl({ StreamName: 'cam' });
    assert.match(url!, new RegExp(`^${kvs.url}/dash/v1/getDASHManifest\\.mpd\\?SessionToken=[A-Za-z0-9_-]+$`));
    const { DASHStreamingSessionURL: alaw } = await dashUrl({ StreamName: 'alaw', DisplayFragmentNumber: 'ALWAYS', DisplayFragmentTimestamp: 'ALWAYS' });
    assert.ok(alaw);
  });

  test('the same rules and errors as HLS', async () => {
    const selector = (startMs: number, endMs?: number) => ({
      FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const,
      TimestampRange: { StartTimestamp: at(startMs), ...(endMs === undefined ? {} : { EndTimestamp: at(endMs) }) },
    });
    const invalid: Array<[string, GetDASHStreamingSessionURLInput]> = [
      ['LIVE with a range', { StreamName: 'cam', DASHFragmentSelector: selector(START_MS, START_MS + 1000) }],
      ['ON_DEMAND without an end', { StreamName: 'cam', PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: selector(START_MS) }],
      ['more than 24 hours', { StreamName: 'cam', PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: selector(START_MS, START_MS + 86_400_001) }],
      ['MaxManifestFragmentResults 5001', { StreamName: 'cam', MaxManifestFragmentResults: 5001 }],
      ['Expires 43201', { StreamName: 'cam', Expires: 43_201 }],
    ];
    for (const [what, input] of invalid) await expectError(() => dashUrl(input), 'InvalidArgumentException', 400, what);
    await expectError(() => dashUrl({ StreamName: 'cam', PlaybackMode: 'LIVE_REPLAY', DASHFragmentSelector: selector(START_MS + 60_000) }), 'ResourceNotFoundException', 404, 'empty range');
    await expectError(() => dashUrl({ StreamName: 'no-retention' }), 'NoDataRetentionException', 400, 'retention 0');
    await expectError(() => dashUrl({ StreamName: 'vp8' }), 'UnsupportedStreamMediaTypeException', 400, 'VP8');
    await expectError(() => dashUrl({ StreamName: 'no-cpd' }), 'MissingCodecPrivateDataException', 400, 'no CodecPrivate');
    await expectError(() => dashUrl({ StreamName: 'bad-cpd' }), 'InvalidCodecPrivateDataException', 400, 'garbage CodecPrivate');
  });
});

async function arnOf(stream: string): Promise<string> {
  const { StreamInfo } = await kvs.control().send(new DescribeStreamCommand({ StreamName: stream }));
  assert.ok(StreamInfo?.StreamARN);
  return StreamInfo.StreamARN;
}
