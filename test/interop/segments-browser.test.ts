/**
 * The playback segment builders played by real browser players, before the playback routes
 * exist: a stand-in server answers the KVS resource names for archived fixtures, with playlists
 * and MPDs from the manifest builders and every segment from src/playback/segments, built per
 * request as the real routes will. hls.js (fMP4 and MPEG-TS) and dash.js in Debian's chromium
 * must play past 4 s with no error of any kind, B-frames (signed composition offsets) included.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FragmentRecord } from '../../src/domain/fragment.js';
import { dashManifest, type DashTrack } from '../../src/formats/manifests/dash.js';
import { hlsMasterPlaylist, hlsMediaPlaylist, type HlsContainerFormat } from '../../src/formats/manifests/hls.js';
import { dashSessionUrl, hlsSessionUrl } from '../../src/formats/manifests/resources.js';
import {
  fragmentTimelineMs,
  initSegment,
  mediaSegment,
  segmentTracks,
  tsSegment,
  type SegmentBody,
  type SegmentTrack,
} from '../../src/playback/segments/index.js';
import { CHROMIUM_PATH, launchBrowserPlayer, type BrowserPlayer, type PlaybackResult } from '../helpers/browser-player.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';
import { archiveFixtures, streamOf, type Archive, type ArchivedStream } from '../unit/playback/segments/archived-fixtures.js';

const skip = skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)') || skipUnlessPresent(findTool(['ffmpeg']), 'ffmpeg');
const FIXTURES = ['h264-aac.mkv', 'h264-bframes.mkv'];

/** The stand-in's session token names the fixture and the HLS container: `<fixture>~<format>`. */
function token(fixture: string, format: HlsContainerFormat = 'FRAGMENTED_MP4'): string {
  return `${fixture}~${format}`;
}

/** Serves one ON_DEMAND session per token, on the producer timeline from the stream's first fragment. */
function standInServer(archive: Archive): Server {
  return createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    answer(archive, req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
      else res.destroy(err);
    });
  });
}

async function answer(archive: Archive, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const [fixture = '', format = 'FRAGMENTED_MP4'] = (url.searchParams.get('SessionToken') ?? '').split('~');
  const stream = streamOf(archive, fixture);
  const trackNumber = Number(url.searchParams.get('TrackNumber') ?? 1);
  const fragmentParam = url.searchParams.get('FragmentNumber') ?? '';
  const text = (type: string, body: string) => void res.writeHead(200, { 'content-type': type }).end(body);
  const resource = url.pathname.split('/').at(-1);
  if (resource === 'getHLSMasterPlaylist.m3u8') return text('application/vnd.apple.mpegurl', masterPlaylist(stream, format as HlsContainerFormat));
  if (resource === 'getHLSMediaPlaylist.m3u8') return text('application/vnd.apple.mpegurl', mediaPlaylist(stream, format as HlsContainerFormat, trackNumber));
  if (resource === 'getDASHManifest.mpd') return text('application/dash+xml', manifest(stream));
  if (resource === 'getMP4InitFragment.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end(initSegment(stream.trackHeader, trackNumber));
  // HLS names fragments by number; the DASH template by position in the session ($Number$ from 0).
  const fragment = url.pathname.startsWith('/dash/') ? stream.fragments[Number(fragmentParam)] : stream.fragments.find((f) => f.fragmentNumber === fragmentParam);
  if (!fragment) return void res.writeHead(404).end();
  const timing = { fragmentStartMs: timelineMs(stream, fragment) };
  if (resource === 'getMP4MediaFragment.mp4') return send(res, await mediaSegment(archive.blobs, fragment, stream.trackHeader, trackNumber, timing));
  if (resource === 'getTSFragment.ts') return send(res, await tsSegment(archive.blobs, fragment, stream.trackHeader, timing));
  res.writeHead(404).end();
}

/** How a route sends a segment: corked batches, and the storage read released whatever happens. */
async function send(res: ServerResponse, body: SegmentBody): Promise<void> {
  try {
    res.writeHead(200, { 'content-type': body.contentType, 'content-length': body.byteLength });
    for await (const batch of body.batches) {
      res.cork();
      for (const chunk of batch) res.write(chunk);
      res.uncork();
    }
    res.end();
  } finally {
    await body.release();
  }
}

function timelineMs(stream: ArchivedStream, fragment: FragmentRecord): number {
  return fragmentTimelineMs(fragment, 'PRODUCER_TIMESTAMP', stream.fragments[0]!.producerTimestampMs);
}

function tracksOf(stream: ArchivedStream): { video: SegmentTrack; audio: SegmentTrack | undefined } {
  const tracks = segmentTracks(stream.trackHeader, 'all').tracks;
  return { video: tracks.find((t) => t.codec.media === 'video')!, audio: tracks.find((t) => t.codec.media === 'audio') };
}

function masterPlaylist(stream: ArchivedStream, containerFormat: HlsContainerFormat): string {
  const { video, audio } = tracksOf(stream);
  const v = video.codec.media === 'video' ? video.codec : undefined;
  return hlsMasterPlaylist({
    sessionToken: token(stream.fixture, containerFormat),
    containerFormat,
    video: { trackNumber: video.trackNumber, codecs: video.codec.codecString, width: v?.width, height: v?.height, frameRate: v?.frameRate },
    audio: audio && { trackNumber: audio.trackNumber, codecs: audio.codec.codecString },
    bandwidth: 200_000,
  });
}

function mediaPlaylist(stream: ArchivedStream, containerFormat: HlsContainerFormat, trackNumber: number): string {
  return hlsMediaPlaylist({
    sessionToken: token(stream.fixture, containerFormat),
    containerFormat,
    trackNumber,
    playbackMode: 'ON_DEMAND',
    discontinuityMode: 'NEVER',
    programDateTime: false,
    mediaSequence: 0,
    fragments: stream.fragments.map((f) => ({ fragmentNumber: f.fragmentNumber, timestampMs: f.producerTimestampMs, durationMs: f.durationMs })),
  });
}

function manifest(stream: ArchivedStream): string {
  const { video, audio } = tracksOf(stream);
  const dashTrack = (track: SegmentTrack): DashTrack =>
    track.codec.media === 'video'
      ? { trackNumber: track.trackNumber, contentType: 'video', codecs: track.codec.codecString, bandwidth: 150_000, width: track.codec.width, height: track.codec.height }
      : { trackNumber: track.trackNumber, contentType: 'audio', codecs: track.codec.codecString, bandwidth: 32_000, audioSamplingRate: track.codec.sampleRate };
  return dashManifest({
    sessionToken: token(stream.fixture),
    presentation: { type: 'static' },
    tracks: [video, ...(audio ? [audio] : [])].map(dashTrack),
    fragments: stream.fragments.map((f) => ({ fragmentNumber: f.fragmentNumber, timestampMs: f.producerTimestampMs, timelineStartMs: timelineMs(stream, f), durationMs: f.durationMs })),
    startNumber: 0,
    displayFragmentTimestamp: false,
    displayFragmentNumber: false,
  });
}

function explain(result: PlaybackResult): string {
  return JSON.stringify({ ...result, events: result.events.slice(-40) }, null, 1);
}

describe('segments played by hls.js and dash.js in chromium', { skip }, () => {
  let archive: Archive;
  let server: Server;
  let endpoint = '';
  let browser: BrowserPlayer;

  before(async () => {
    const [launched, archived] = await Promise.allSettled([launchBrowserPlayer(), archiveFixtures(FIXTURES)]);
    if (launched.status === 'fulfilled') browser = launched.value;
    if (archived.status === 'fulfilled') archive = archived.value;
    for (const outcome of [launched, archived]) if (outcome.status === 'rejected') throw outcome.reason;
    server = standInServer(archive);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await archive?.close();
  });

  describe('ON_DEMAND, one tab each', { concurrency: true }, () => {
    for (const fixture of FIXTURES) {
      const cases = [
        { name: 'HLS fMP4', kind: 'hls', url: () => hlsSessionUrl(endpoint, token(fixture)) },
        { name: 'HLS MPEG-TS', kind: 'hls', url: () => hlsSessionUrl(endpoint, token(fixture, 'MPEG_TS')) },
        { name: 'DASH', kind: 'dash', url: () => dashSessionUrl(endpoint, token(fixture)) },
      ] as const;
      for (const { name, kind, url } of cases) {
        test(`${fixture} as ${name} plays past 4 s with no player error`, async () => {
          const result = await browser.playInBrowser({ kind, url: url(), minSeconds: 4, timeoutMs: 20_000 });
          assert.deepEqual(result.errors, [], `player errors:\n${explain(result)}`);
          assert.ok(result.reachedMinSeconds, `stopped at ${result.currentTime} s:\n${explain(result)}`);
        });
      }
    }
  });
});
