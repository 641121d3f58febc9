/**
 * The init and media segment resources: content types, which fragments a session may fetch
 * (its own stream, within its range: anything else is 404), bad parameters (400), and DASH
 * $Number$ mapped back to the fragment the MPD listed at that position, LIVE windows included.
 */
import { GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archivedMediaClient, fixtureBytes, getResource, putDocument, streamWithFixture, tokenOf } from '../helpers/playback.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const START_MS = 1_700_000_000_000;
const range = (startMs: number, endMs: number) => ({ StartTimestamp: new Date(startMs), EndTimestamp: new Date(endMs) });
const PRODUCER = (startMs: number, endMs: number) => ({ FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: range(startMs, endMs) });

let kvs: TestServer;
let client: KinesisVideoArchivedMediaClient;
let camFragments: string[];
let otherFragments: string[];

before(async () => {
  kvs = await startTestServer();
  camFragments = persisted(await streamWithFixture(kvs, 'cam', 'h264-aac.mkv'));
  otherFragments = persisted(await streamWithFixture(kvs, 'other', 'h264.mkv'));
  client = await archivedMediaClient(kvs, 'cam', 'GET_HLS_STREAMING_SESSION_URL');
});
after(async () => {
  client?.destroy();
  await kvs?.dispose();
});

function persisted(result: { acks: Array<{ EventType: string; FragmentNumber?: string }> }): string[] {
  return result.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
}

async function hlsToken(input: Partial<ConstructorParameters<typeof GetHLSStreamingSessionURLCommand>[0]>): Promise<string> {
  return tokenOf((await client.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', ...input }))).HLSStreamingSessionURL!);
}

async function dashToken(input: Partial<ConstructorParameters<typeof GetDASHStreamingSessionURLCommand>[0]>): Promise<string> {
  return tokenOf((await client.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'cam', ...input }))).DASHStreamingSessionURL!);
}

const hlsResource = (name: string, query: Record<string, string>) => getResource(`${kvs.url}/hls/v1/${name}?${new URLSearchParams(query)}`);
const dashResource = (name: string, query: Record<string, string>) => getResource(`${kvs.url}/dash/v1/${name}?${new URLSearchParams(query)}`);

/** The mfhd sequence_number of an fMP4 media segment: the segment builders derive it from the fragment number. */
function mfhdSequence(segment: Buffer): number {
  const at = segment.indexOf('mfhd');
  assert.ok(at > 0, 'a moof with an mfhd');
  return segment.readUInt32BE(at + 8);
}
const sequenceOf = (fragmentNumber: string) => Number(BigInt(fragmentNumber.slice(1)) % 0xffffffffn) + 1;

async function expectStatus(promise: Promise<{ status: number; headers: Headers; text: string }>, status: number, name: string, what: string): Promise<void> {
  const res = await promise;
  assert.equal(res.status, status, `${what}: ${res.text}`);
  assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], name, what);
}

describe('segment resources', () => {
  test('init and media segments of an fMP4 session, video and audio content types', async () => {
    const SessionToken = await hlsToken({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: PRODUCER(START_MS, START_MS + 10_000) });
    const init = await hlsResource('getMP4InitFragment.mp4', { SessionToken, TrackNumber: '1' });
    assert.equal(init.status, 200);
    assert.equal(init.headers.get('content-type'), 'video/mp4');
    assert.equal(init.bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    const audioInit = await hlsResource('getMP4InitFragment.mp4', { SessionToken, TrackNumber: '2' });
    assert.equal(audioInit.headers.get('content-type'), 'audio/mp4');
    for (const fragmentNumber of camFragments) {
      const media = await hlsResource('getMP4MediaFragment.mp4', { FragmentNumber: fragmentNumber, SessionToken, TrackNumber: '1' });
      assert.equal(media.status, 200);
      assert.equal(Number(media.headers.get('content-length')), media.bytes.length);
      assert.equal(mfhdSequence(media.bytes), sequenceOf(fragmentNumber));
    }
  });

  test('MPEG-TS fragments: video/mp2t, 188-byte packets; fMP4 resources refused in a TS session and the reverse', async () => {
    const ts = await hlsToken({ PlaybackMode: 'ON_DEMAND', ContainerFormat: 'MPEG_TS', HLSFragmentSelector: PRODUCER(START_MS, START_MS + 10_000) });
    const segment = await hlsResource('getTSFragment.ts', { FragmentNumber: camFragments[0]!, SessionToken: ts });
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/mp2t');
    assert.equal(segment.bytes.length % 188, 0);
    assert.equal(segment.bytes[0], 0x47);
    await expectStatus(hlsResource('getMP4MediaFragment.mp4', { FragmentNumber: camFragments[0]!, SessionToken: ts, TrackNumber: '1' }), 404, 'ResourceNotFoundException', 'fMP4 in a TS session');
    await expectStatus(hlsResource('getMP4InitFragment.mp4', { SessionToken: ts, TrackNumber: '1' }), 404, 'ResourceNotFoundException', 'init in a TS session');
    const fmp4 = await hlsToken({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: PRODUCER(START_MS, START_MS + 10_000) });
    await expectStatus(hlsResource('getTSFragment.ts', { FragmentNumber: camFragments[0]!, SessionToken: fmp4 }), 404, 'ResourceNotFoundException', 'TS in an fMP4 session');
  });

  test("a session fetches only its stream's fragments in its range: others are 404; bad parameters 400", async () => {
    // The range holds the second and third fragments only.
    const SessionToken = await hlsToken({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: PRODUCER(START_MS + 1000, START_MS + 10_000) });
    const media = (query: Record<string, string>) => hlsResource('getMP4MediaFragment.mp4', { SessionToken, ...query });
    assert.equal((await media({ FragmentNumber: camFragments[1]!, TrackNumber: '1' })).status, 200);
    await expectStatus(media({ FragmentNumber: camFragments[0]!, TrackNumber: '1' }), 404, 'ResourceNotFoundException', 'before the range');
    await expectStatus(media({ FragmentNumber: otherFragments[1]!, TrackNumber: '1' }), 404, 'ResourceNotFoundException', "another stream's fragment");
    await expectStatus(media({ FragmentNumber: `9${'0'.repeat(45)}7`, TrackNumber: '1' }), 404, 'ResourceNotFoundException', 'no such fragment');
    await expectStatus(media({ FragmentNumber: camFragments[1]!, TrackNumber: '3' }), 404, 'ResourceNotFoundException', 'no such track');
    await expectStatus(media({ FragmentNumber: '12345', TrackNumber: '1' }), 400, 'InvalidArgumentException', 'not a fragment number');
    await expectStatus(media({ TrackNumber: '1' }), 400, 'InvalidArgumentException', 'no FragmentNumber');
    await expectStatus(media({ FragmentNumber: camFragments[1]! }), 400, 'InvalidArgumentException', 'no TrackNumber');
    await expectStatus(hlsResource('getMP4InitFragment.mp4', { SessionToken, TrackNumber: '1', SequenceNumber: '999999' }), 404, 'ResourceNotFoundException', 'unknown SequenceNumber');
    await expectStatus(hlsResource('getMP4InitFragment.mp4', { SessionToken, TrackNumber: '1', SequenceNumber: 'x' }), 400, 'InvalidArgumentException', 'bad SequenceNumber');
  });
});

describe('DASH $Number$', () => {
  test('ON_DEMAND: number n is the n-th fragment of the session, byte for byte the HLS fMP4 segment of that fragment', async () => {
    const dash = await dashToken({ PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: PRODUCER(START_MS, START_MS + 10_000) });
    const hls = await hlsToken({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: PRODUCER(START_MS, START_MS + 10_000) });
    for (const [n, fragmentNumber] of camFragments.entries()) {
      for (const TrackNumber of ['1', '2']) {
        const viaDash = await dashResource('getMP4MediaFragment.mp4', { FragmentNumber: String(n), SessionToken: dash, TrackNumber });
        const viaHls = await hlsResource('getMP4MediaFragment.mp4', { FragmentNumber: fragmentNumber, SessionToken: hls, TrackNumber });
        assert.equal(viaDash.status, 200);
        assert.ok(viaDash.bytes.equals(viaHls.bytes), `segment ${n}, track ${TrackNumber}`);
      }
    }
    const init = await dashResource('getMP4InitFragment.mp4', { SessionToken: dash, TrackNumber: '2' });
    assert.equal(init.headers.get('content-type'), 'audio/mp4');
    await expectStatus(dashResource('getMP4MediaFragment.mp4', { FragmentNumber: '3', SessionToken: dash, TrackNumber: '1' }), 404, 'ResourceNotFoundException', 'past the end');
    await expectStatus(dashResource('getMP4MediaFragment.mp4', { FragmentNumber: '-1', SessionToken: dash, TrackNumber: '1' }), 400, 'InvalidArgumentException', 'negative');
  });

  test('LIVE: numbers in the manifest map to its kvs:fn fragments, and a player a little behind the window still gets its segment', async () => {
    await streamWithFixture(kvs, 'live', 'h264.mkv', Date.now() / 1000 - 6);
    const live = await archivedMediaClient(kvs, 'live', 'GET_DASH_STREAMING_SESSION_URL');
    const url = (await live.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'live', MaxManifestFragmentResults: 2, DisplayFragmentNumber: 'ALWAYS' }))).DASHStreamingSessionURL!;
    live.destroy();
    const SessionToken = tokenOf(url);
    const listed = async () => {
      const mpd = (await getResource(url)).text;
      const start = Number(/startNumber="(\d+)"/.exec(mpd)![1]);
      return { start, fragments: [...new Set([...mpd.matchAll(/kvs:fn="(\d+)"/g)].map((m) => m[1]!))] };
    };
    const segment = (n: number) => dashResource('getMP4MediaFragment.mp4', { FragmentNumber: String(n), SessionToken, TrackNumber: '1' });
    const before = await listed();
    for (const [i, fragmentNumber] of before.fragments.entries()) assert.equal(mfhdSequence((await segment(before.start + i)).bytes), sequenceOf(fragmentNumber));
    await putDocument(kvs, 'live', fixtureBytes('h264.mkv'), Date.now() / 1000);
    const afterPut = await listed();
    assert.equal(afterPut.start, before.start + 3);
    for (const [i, fragmentNumber] of afterPut.fragments.entries()) assert.equal(mfhdSequence((await segment(afterPut.start + i)).bytes), sequenceOf(fragmentNumber));
    // The segments the first manifest listed are behind the window now, and still served as numbered then.
    for (const [i, fragmentNumber] of before.fragments.entries()) assert.equal(mfhdSequence((await segment(before.start + i)).bytes), sequenceOf(fragmentNumber));
    await expectStatus(segment(afterPut.start + 2), 404, 'ResourceNotFoundException', 'not yet recorded');
  });
});
