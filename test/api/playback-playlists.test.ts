/**
 * The HLS playlists and DASH manifests a session URL leads to, and what refuses a request:
 * content types, CORS, the options (program date-times, discontinuities, kvs:ts / kvs:fn), LIVE
 * playlists that list a fragment as soon as it is indexed, and 403 / 404 / 400 with AWS's names.
 */
import { DeleteStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archivedMediaClient, createStream, getResource, putDocument, resolveUrl, streamWithFixture, fixtureBytes, tokenOf } from '../helpers/playback.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const START_MS = 1_700_000_000_000;
const range = (startMs: number, endMs: number) => ({ StartTimestamp: new Date(startMs), EndTimestamp: new Date(endMs) });

let kvs: TestServer;
let hls: KinesisVideoArchivedMediaClient;
let dash: KinesisVideoArchivedMediaClient;
let clockOffsetMs = 0;
/** Fragment numbers of the 'cam' stream, in order. */
let camFragments: string[];

before(async () => {
  kvs = await startTestServer({}, { clock: { nowMs: () => Date.now() + clockOffsetMs } });
  const put = await streamWithFixture(kvs, 'cam', 'h264-aac.mkv');
  camFragments = put.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
  assert.equal(camFragments.length, 3);
  hls = await archivedMediaClient(kvs, 'cam', 'GET_HLS_STREAMING_SESSION_URL');
  dash = await archivedMediaClient(kvs, 'cam', 'GET_DASH_STREAMING_SESSION_URL');
});
after(async () => {
  hls?.destroy();
  dash?.destroy();
  await kvs?.dispose();
});

async function hlsSession(input: Omit<ConstructorParameters<typeof GetHLSStreamingSessionURLCommand>[0], 'StreamName'>, stream = 'cam'): Promise<string> {
  const { HLSStreamingSessionURL } = await hls.send(new GetHLSStreamingSessionURLCommand({ StreamName: stream, ...input }));
  return HLSStreamingSessionURL!;
}

async function dashSession(input: Omit<ConstructorParameters<typeof GetDASHStreamingSessionURLCommand>[0], 'StreamName'>, stream = 'cam'): Promise<string> {
  const { DASHStreamingSessionURL } = await dash.send(new GetDASHStreamingSessionURLCommand({ StreamName: stream, ...input }));
  return DASHStreamingSessionURL!;
}

const lines = (text: string) => text.trimEnd().split('\n');
const uris = (playlist: string) => lines(playlist).filter((l) => l !== '' && !l.startsWith('#'));
const fragmentNumbersOf = (playlist: string) => uris(playlist).map((u) => new URL(u, 'http://x/').searchParams.get('FragmentNumber'));
const onDemand = { PlaybackMode: 'ON_DEMAND' as const, HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: range(START_MS, START_MS + 10_000) } };

describe('HLS playlists', () => {
  test('ON_DEMAND fMP4: master with codecs and an audio rendition; static media playlists per track', async () => {
    const url = await hlsSession({ ...onDemand, DisplayFragmentTimestamp: 'ALWAYS' });
    const master = await getResource(url);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(master.headers.get('access-control-allow-origin'), '*');
    const inf = lines(master.text).find((l) => l.startsWith('#EXT-X-STREAM-INF:'))!;
    assert.match(inf, /CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2"/);
    assert.match(inf, /RESOLUTION=160x120/);
    assert.match(inf, /AUDIO="audio"/);
    assert.match(inf, /BANDWIDTH=\d+/);
    const audioUri = /#EXT-X-MEDIA:TYPE=AUDIO,.*URI="([^"]+)"/.exec(master.text)![1]!;
    const videoUri = uris(master.text)[0]!;
    assert.match(videoUri, /^getHLSMediaPlaylist\.m3u8\?SessionToken=[\w-]+&TrackNumber=1$/);
    assert.match(audioUri, /&TrackNumber=2$/);

    const video = await getResource(resolveUrl(url, videoUri));
    assert.equal(video.status, 200);
    const text = video.text;
    assert.ok(text.includes('#EXT-X-PLAYLIST-TYPE:VOD') && text.includes('#EXT-X-MEDIA-SEQUENCE:0') && text.trimEnd().endsWith('#EXT-X-ENDLIST'), text);
    assert.deepEqual(fragmentNumbersOf(text), camFragments);
    assert.ok(!text.includes('#EXT-X-DISCONTINUITY'), 'PRODUCER_TIMESTAMP defaults to NEVER');
    assert.deepEqual(
      lines(text).filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')),
      [0, 2000, 4000].map((ms) => `#EXT-X-PROGRAM-DATE-TIME:${new Date(START_MS + ms).toISOString()}`),
    );
    // Fragment durations as stored: the last one ends with its last AAC frame.
    assert.deepEqual(lines(text).filter((l) => l.startsWith('#EXTINF:')), ['#EXTINF:2,', '#EXTINF:2,', '#EXTINF:2.014,']);
    assert.match(text, /#EXT-X-MAP:URI="getMP4InitFragment\.mp4\?SessionToken=[\w-]+&TrackNumber=1&SequenceNumber=\d+"/);
    assert.ok(uris(text).every((u) => u.startsWith('getMP4MediaFragment.mp4?FragmentNumber=') && u.endsWith('&TrackNumber=1')));
    const audio = await getResource(resolveUrl(url, audioUri));
    assert.deepEqual(fragmentNumbersOf(audio.text), camFragments);
  });

  test('MPEG_TS: one variant, one playlist of getTSFragment.ts; SERVER_TIMESTAMP marks every discontinuity', async () => {
    const url = await hlsSession({
      PlaybackMode: 'ON_DEMAND',
      ContainerFormat: 'MPEG_TS',
      HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: range(Date.now() - 60_000, Date.now() - 1) },
    });
    const master = await getResource(url);
    assert.ok(!master.text.includes('#EXT-X-MEDIA:'));
    const playlistUri = uris(master.text)[0]!;
    assert.match(playlistUri, /^getHLSMediaPlaylist\.m3u8\?SessionToken=[\w-]+$/);
    const media = await getResource(resolveUrl(url, playlistUri));
    assert.deepEqual(fragmentNumbersOf(media.text), camFragments);
    assert.ok(uris(media.text).every((u) => u.startsWith('getTSFragment.ts?FragmentNumber=')));
    assert.equal(lines(media.text).filter((l) => l === '#EXT-X-DISCONTINUITY').length, 3);
    assert.ok(!media.text.includes('#EXT-X-MAP'));
  });

  test('MaxMediaPlaylistFragmentResults caps the list: the oldest N for ON_DEMAND', async () => {
    const url = await hlsSession({ ...onDemand, MaxMediaPlaylistFragmentResults: 2 });
    const media = await getResource(resolveUrl(url, uris((await getResource(url)).text)[0]!));
    assert.deepEqual(fragmentNumbersOf(media.text), camFragments.slice(0, 2));
  });
});

describe('DASH manifests', () => {
  test('ON_DEMAND: a static MPD, kvs:ts and kvs:fn on every segment, numbers from 0', async () => {
    const url = await dashSession({
      PlaybackMode: 'ON_DEMAND',
      DisplayFragmentTimestamp: 'ALWAYS',
      DisplayFragmentNumber: 'ALWAYS',
      DASHFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range(START_MS, START_MS + 10_000) },
    });
    const mpd = await getResource(url);
    assert.equal(mpd.status, 200);
    assert.equal(mpd.headers.get('content-type'), 'application/dash+xml');
    assert.match(mpd.text, /type="static"/);
    assert.match(mpd.text, /mediaPresentationDuration="PT6.014S"/);
    assert.equal((mpd.text.match(/<AdaptationSet /g) ?? []).length, 2);
    assert.match(mpd.text, /codecs="mp4a\.40\.2"/);
    assert.match(mpd.text, /width="160" height="120"/);
    assert.match(mpd.text, /startNumber="0"/);
    assert.match(mpd.text, /media="getMP4MediaFragment\.mp4\?FragmentNumber=\$Number\$&amp;SessionToken=[\w-]+&amp;TrackNumber=1"/);
    const fns = [...mpd.text.matchAll(/kvs:fn="(\d+)"/g)].map((m) => m[1]);
    assert.deepEqual(fns, [...camFragments, ...camFragments]);
    const ts = [...mpd.text.matchAll(/kvs:ts="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(ts.slice(0, 3), [START_MS, START_MS + 2000, START_MS + 4000]);
  });

  test('without the display options: no kvs: attributes, equal segments folded', async () => {
    const url = await dashSession({ PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range(START_MS, START_MS + 10_000) } });
    const mpd = await getResource(url);
    assert.ok(!/kvs:(ts|fn)=/.test(mpd.text));
    assert.match(mpd.text, /<S t="0" d="2000" r="1"\/>\n\s*<S d="2014"\/>/);
  });
});

describe('LIVE', () => {
  test('an HLS media playlist lists a new fragment as soon as it is indexed; _HLS_msn waits for it', async () => {
    await streamWithFixture(kvs, 'live', 'h264.mkv', Date.now() / 1000 - 6);
    const url = await hlsSession({ MaxMediaPlaylistFragmentResults: 3 }, 'live');
    const playlistUrl = resolveUrl(url, uris((await getResource(url)).text)[0]!);
    const first = await getResource(playlistUrl);
    assert.equal(first.headers.get('cache-control'), 'no-cache, no-store');
    assert.ok(!first.text.includes('#EXT-X-ENDLIST'));
    assert.equal(fragmentNumbersOf(first.text).length, 3);
    assert.ok(first.text.includes('#EXT-X-MEDIA-SEQUENCE:0'));

    // A blocking reload for the next segment, answered once the producer has sent it.
    const blocked = getResource(`${playlistUrl}&_HLS_msn=3`);
    const put = await putDocument(kvs, 'live', fixtureBytes('h264.mkv'), Date.now() / 1000);
    const newest = put.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
    const afterBlock = await blocked;
    assert.ok(fragmentNumbersOf(afterBlock.text).includes(newest[0]!), afterBlock.text);

    const now = await getResource(playlistUrl);
    assert.deepEqual(fragmentNumbersOf(now.text), newest);
    assert.ok(now.text.includes('#EXT-X-MEDIA-SEQUENCE:3'), now.text);
  });

  test('a LIVE DASH manifest is dynamic and numbers segments from the anchor', async () => {
    await streamWithFixture(kvs, 'live-dash', 'h264.mkv', Date.now() / 1000 - 6);
    const url = await dashSession({ MaxManifestFragmentResults: 2 }, 'live-dash');
    const startNumber = (mpd: string) => Number(/startNumber="(\d+)"/.exec(mpd)?.[1]);
    const mpd = await getResource(url);
    assert.match(mpd.text, /type="dynamic"/);
    // Numbers count from the anchor's timestamp; a file sent in one write gives its fragments one
    // server timestamp, so the second of them may already be number 1.
    const first = startNumber(mpd.text);
    assert.ok(first === 0 || first === 1, mpd.text);
    await putDocument(kvs, 'live-dash', fixtureBytes('h264.mkv'), Date.now() / 1000);
    const later = await getResource(url);
    assert.equal(startNumber(later.text), first + 3, later.text);
  });
});

describe('LIVE_REPLAY', () => {
  test('starts at StartTimestamp and lists one more fragment as each fragment\'s duration passes, then ends', async () => {
    const selector = { FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: range(START_MS, START_MS + 5000) };
    const url = await hlsSession({ PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: selector });
    const playlistUrl = resolveUrl(url, uris((await getResource(url)).text)[0]!);
    const at = async (offsetMs: number) => {
      clockOffsetMs = offsetMs;
      try {
        return (await getResource(playlistUrl)).text;
      } finally {
        clockOffsetMs = 0;
      }
    };
    const start = await at(0);
    assert.deepEqual(fragmentNumbersOf(start), camFragments.slice(0, 1));
    assert.ok(!start.includes('#EXT-X-ENDLIST') && !start.includes('#EXT-X-PLAYLIST-TYPE'));
    assert.deepEqual(fragmentNumbersOf(await at(2500)), camFragments.slice(0, 2));
    const end = await at(60_000);
    assert.deepEqual(fragmentNumbersOf(end), camFragments);
    assert.ok(end.trimEnd().endsWith('#EXT-X-ENDLIST'), end);
  });

  test('a LIVE_REPLAY MPD is dynamic from the session\'s creation, static once the replay has reached its end', async () => {
    const selector = { FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: range(START_MS, START_MS + 5000) };
    const before = Date.now();
    const url = await dashSession({ PlaybackMode: 'LIVE_REPLAY', DASHFragmentSelector: selector });
    const mpd = (await getResource(url)).text;
    assert.match(mpd, /type="dynamic"/);
    const availability = Date.parse(/availabilityStartTime="([^"]+)"/.exec(mpd)![1]!);
    assert.ok(availability >= before - 1 && availability <= Date.now(), `${availability} is the session's creation`);
    clockOffsetMs = 60_000;
    try {
      assert.match((await getResource(url)).text, /type="static"/);
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe('refusals', () => {
  test('bad, tampered, expired or foreign tokens: 403 NotAuthorizedException, with CORS', async () => {
    const url = await hlsSession(onDemand);
    const token = tokenOf(url);
    const base = `${kvs.url}/hls/v1/getHLSMasterPlaylist.m3u8`;
    const tampered = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    const dashUrl = await dashSession({ PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range(START_MS, START_MS + 10_000) } });
    const cases: Array<[string, string]> = [
      ['no token', base],
      ['empty token', `${base}?SessionToken=`],
      ['garbage', `${base}?SessionToken=not-a-token`],
      ['tampered', `${base}?SessionToken=${tampered}`],
      ['an HLS token on a DASH resource', `${kvs.url}/dash/v1/getDASHManifest.mpd?SessionToken=${token}`],
      ['a DASH token on an HLS resource', `${base}?SessionToken=${tokenOf(dashUrl)}`],
    ];
    for (const [what, target] of cases) await expect403(target, what);
    clockOffsetMs = 301_000;
    try {
      const expired = await expect403(url, 'expired');
      assert.equal(expired.message, 'Streaming session token is expired');
    } finally {
      clockOffsetMs = 0;
    }
  });

  test('a session whose stream was deleted and re-created under its name: 403', async () => {
    await streamWithFixture(kvs, 'gone', 'h264.mkv');
    const url = await hlsSession(onDemand, 'gone');
    assert.equal((await getResource(url)).status, 200);
    const { StreamInfo } = await kvs.control().send(new DescribeStreamCommand({ StreamName: 'gone' }));
    await kvs.control().send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN! }));
    await expect403(url, 'deleted stream');
    await createStream(kvs, 'gone');
    await putDocument(kvs, 'gone', fixtureBytes('h264.mkv'));
    await expect403(url, 're-created stream');
  });

  test('bad parameters: 400 InvalidArgumentException; unknown track: 404 ResourceNotFoundException', async () => {
    const url = await hlsSession(onDemand);
    const playlist = (query: string) => `${kvs.url}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${tokenOf(url)}${query}`;
    for (const [query, status, name] of [
      ['', 400, 'InvalidArgumentException'],
      ['&TrackNumber=abc', 400, 'InvalidArgumentException'],
      ['&TrackNumber=0', 400, 'InvalidArgumentException'],
      ['&TrackNumber=1&_HLS_msn=-1', 400, 'InvalidArgumentException'],
      ['&TrackNumber=3', 404, 'ResourceNotFoundException'],
    ] as const) {
      const res = await getResource(playlist(query));
      assert.equal(res.status, status, query);
      assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], name, query);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    }
  });
});

async function expect403(url: string, what: string): Promise<{ message: string }> {
  const res = await getResource(url);
  assert.equal(res.status, 403, `${what}: ${res.text}`);
  assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], 'NotAuthorizedException', what);
  assert.equal(res.headers.get('access-control-allow-origin'), '*', what);
  return JSON.parse(res.text) as { message: string };
}
