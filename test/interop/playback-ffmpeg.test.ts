/**
 * ffmpeg plays every session kind from its URL alone — HLS fMP4, HLS MPEG-TS and DASH, for
 * H.264 + AAC, H.264, H.265, H.264 with B-frames, and (DASH only) H.264 + G.711 — archived
 * through PutMedia and served by the real server. Judged by ffmpeg against the source file:
 * no decoder or demuxer message at all, every frame there, and for fMP4 and DASH every packet
 * byte-identical to the source's (per-packet MD5 with -c copy); MPEG-TS rewrites video as
 * Annex B and AAC as ADTS, so there the decoded pictures and sound must equal the source's.
 */
import { GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { archivedMediaClient, FIXTURES, streamWithFixture } from '../helpers/playback.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const FFMPEG = findTool(['/usr/bin/ffmpeg', 'ffmpeg']);
const START_MS = 1_700_000_000_000;
const SELECTOR = { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 10_000) } } as const;

interface Fixture {
  readonly name: string;
  readonly audio: boolean;
}

const HLS_FIXTURES: readonly Fixture[] = [
  { name: 'h264-aac', audio: true },
  { name: 'h264', audio: false },
  { name: 'h265', audio: false },
  { name: 'h264-bframes', audio: false },
];
const DASH_FIXTURES: readonly Fixture[] = [...HLS_FIXTURES, { name: 'h264-g711', audio: true }];

/** (size, MD5) of each packet (-c copy) or decoded frame of one stream, as ffmpeg's framemd5 lists them. */
async function frames(input: string, stream: 'v' | 'a', copy: boolean): Promise<string[]> {
  const args = ['-v', 'error', '-i', input, '-map', `0:${stream}`, ...(copy ? ['-c', 'copy'] : []), '-f', 'framemd5', '-'];
  const { stdout, stderr } = await run(FFMPEG as string, args, { maxBuffer: 64 << 20 });
  assert.equal(stderr, '', `ffmpeg ${args.join(' ')}`);
  // Timestamps differ (the session timeline starts at 0); size and hash must not.
  return stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').slice(4).map((field) => field.trim()).join(','));
}

/** Decodes every stream of the session; ffmpeg at -v error must print nothing. */
async function decodeAll(url: string): Promise<void> {
  const { stderr } = await run(FFMPEG as string, ['-v', 'error', '-i', url, '-map', '0', '-f', 'null', '-']);
  assert.equal(stderr, '', `decoding ${url}`);
}

async function judge(url: string, fixture: Fixture, byteExact: boolean): Promise<void> {
  const source = path.join(FIXTURES, `${fixture.name}.mkv`);
  await decodeAll(url);
  const streams: Array<'v' | 'a'> = fixture.audio ? ['v', 'a'] : ['v'];
  for (const stream of streams) {
    const served = await frames(url, stream, byteExact);
    const original = await frames(source, stream, byteExact);
    assert.ok(original.length > 0);
    assert.equal(served.length, original.length, `${fixture.name} ${stream}: frame count`);
    assert.deepEqual(served, original, `${fixture.name} ${stream}: ${byteExact ? 'packets' : 'decoded frames'} differ`);
  }
}

describe('ffmpeg plays every session from its URL alone', { skip: skipUnlessPresent(FFMPEG, 'ffmpeg (apt-get install -y ffmpeg)') }, () => {
  let kvs: TestServer;
  let client: KinesisVideoArchivedMediaClient;
  before(async () => {
    kvs = await startTestServer();
    for (const fixture of DASH_FIXTURES) await streamWithFixture(kvs, fixture.name, `${fixture.name}.mkv`);
    client = await archivedMediaClient(kvs, 'h264', 'GET_HLS_STREAMING_SESSION_URL');
  });
  after(async () => {
    client?.destroy();
    await kvs?.dispose();
  });

  const hlsUrl = async (stream: string, container: 'FRAGMENTED_MP4' | 'MPEG_TS') => {
    const input = { StreamName: stream, PlaybackMode: 'ON_DEMAND', ContainerFormat: container, HLSFragmentSelector: SELECTOR } as const;
    return (await client.send(new GetHLSStreamingSessionURLCommand(input))).HLSStreamingSessionURL!;
  };

  for (const fixture of HLS_FIXTURES) {
    test(`HLS fMP4, ${fixture.name}: every packet as the source's`, async () => judge(await hlsUrl(fixture.name, 'FRAGMENTED_MP4'), fixture, true));
    test(`HLS MPEG-TS, ${fixture.name}: every picture${fixture.audio ? ' and sound' : ''} as the source's`, async () =>
      judge(await hlsUrl(fixture.name, 'MPEG_TS'), fixture, false));
  }

  for (const fixture of DASH_FIXTURES) {
    test(`DASH, ${fixture.name}: every packet as the source's`, async () => {
      const input = { StreamName: fixture.name, PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: SELECTOR } as const;
      const url = (await client.send(new GetDASHStreamingSessionURLCommand(input))).DASHStreamingSessionURL!;
      await judge(url, fixture, true);
    });
  }
});
