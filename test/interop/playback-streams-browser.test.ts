/**
 * A stream as a reconfigured camera makes it, uploaded faster than real time (an offline producer
 * docking): 6 s of 640x360, 4 s of 1280x720, a 2-s gap, 6 s of 640x360, 2-s GOPs at 25 fps, each
 * part one PutMedia request with explicit producer timestamps, sent as fast as the server takes
 * it (so the server timestamps of a part are milliseconds apart). Then:
 * - chromium plays it (one browser, sessions in turn, at 4× speed for static presentations) with
 *   hls.js (HLS fMP4 and MPEG-TS), dash.js (DASH) and Shaka Player (DASH and HLS fMP4), with both
 *   fragment selectors, ON_DEMAND and a LIVE_REPLAY DASH session: every player reaches the end and
 *   the picture size changes where the video does;
 * - ffmpeg decodes every frame of the MPEG-TS and DASH outputs, of an H.265 variant too (which
 *   Debian's chromium cannot play);
 * - GetClip over the whole range answers InvalidCodecPrivateDataException, as KVS documents, and
 *   over one part an MP4 of that part's duration.
 */
import {
  GetClipCommand,
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CHROMIUM_PATH, launchBrowserPlayer, type BrowserPlayer, type PlaybackResult, type PlayerKind } from '../helpers/browser-player.js';
import { archivedMediaClient, createStream, getResource, putDocument, resolveUrl } from '../helpers/playback.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';
import { FFMPEG, FFPROBE, skipWithoutFfmpeg } from '../unit/formats/isobmff/mkv-source.js';

const skipBrowser = skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)') || skipWithoutFfmpeg;
const START_MS = 1_700_000_000_000;
const FPS = 25;
const GAP_MS = 2000;
/** The parts: size, length, and where each starts in producer time. */
const PARTS = [
  { width: 640, height: 360, seconds: 6, startMs: START_MS },
  { width: 1280, height: 720, seconds: 4, startMs: START_MS + 6000 },
  { width: 640, height: 360, seconds: 6, startMs: START_MS + 10_000 + GAP_MS },
] as const;
const TOTAL_FRAMES = PARTS.reduce((n, p) => n + p.seconds * FPS, 0);
const RANGE = { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 60_000) };

let dir: string;
let kvs: TestServer;
let client: KinesisVideoArchivedMediaClient;
/** When the parts were sent: SERVER_TIMESTAMP ranges around them. */
let sentFromMs = 0;
let sentUntilMs = 0;

/** One part as ffmpeg's Matroska output: one Cluster per 2-s GOP, opening with its key frame. */
function encodePart(part: (typeof PARTS)[number], codec: 'h264' | 'h265', file: string): void {
  const video =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error', '-tag:v', 'hvc1'];
  execFileSync(FFMPEG, [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${part.width}x${part.height}:rate=${FPS}`,
    '-t', String(part.seconds), ...video, '-pix_fmt', 'yuv420p',
    '-f', 'matroska', '-cluster_size_limit', '50000000', '-cluster_time_limit', '10000', file,
  ]);
}

/**
 * The three parts PutMedia'd to `stream` one right after the other, each at once (faster than real
 * time), producer timestamps explicit. All are encoded first: encoding between them put a
 * load-dependent pause of about a fragment's length between two parts' server timestamps.
 */
async function sendParts(stream: string, codec: 'h264' | 'h265'): Promise<void> {
  await createStream(kvs, stream);
  const files = PARTS.map((part, i) => {
    const file = path.join(dir, `${stream}-${i}.mkv`);
    encodePart(part, codec, file);
    return file;
  });
  for (const [i, part] of PARTS.entries()) await putDocument(kvs, stream, readFileSync(files[i]!), part.startMs / 1000);
}

before(async () => {
  if (skipWithoutFfmpeg) return;
  dir = await mkdtemp(path.join(tmpdir(), 'openkvs-streams-'));
  kvs = await startTestServer();
  sentFromMs = Date.now() - 1;
  await sendParts('camera', 'h264');
  await sendParts('camera-hevc', 'h265');
  sentUntilMs = Date.now();
  client = await archivedMediaClient(kvs, 'camera', 'GET_HLS_STREAMING_SESSION_URL');
});
after(async () => {
  client?.destroy();
  await kvs?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Selector = 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
const selectorOf = (type: Selector) => ({
  FragmentSelectorType: type,
  TimestampRange: type === 'PRODUCER_TIMESTAMP' ? RANGE : { StartTimestamp: new Date(sentFromMs), EndTimestamp: new Date(sentUntilMs) },
});

async function hlsUrl(stream: string, selector: Selector, container: 'FRAGMENTED_MP4' | 'MPEG_TS'): Promise<string> {
  const input = { StreamName: stream, PlaybackMode: 'ON_DEMAND', ContainerFormat: container, HLSFragmentSelector: selectorOf(selector) } as const;
  return (await client.send(new GetHLSStreamingSessionURLCommand(input))).HLSStreamingSessionURL!;
}

async function dashUrl(stream: string, selector: Selector, mode: 'ON_DEMAND' | 'LIVE_REPLAY' = 'ON_DEMAND'): Promise<string> {
  const range = selectorOf(selector);
  // LIVE_REPLAY without an end: a dynamic MPD for the whole run.
  const timestampRange = mode === 'LIVE_REPLAY' ? { StartTimestamp: range.TimestampRange.StartTimestamp } : range.TimestampRange;
  const input = { StreamName: stream, PlaybackMode: mode, DASHFragmentSelector: { FragmentSelectorType: selector, TimestampRange: timestampRange } } as const;
  return (await client.send(new GetDASHStreamingSessionURLCommand(input))).DASHStreamingSessionURL!;
}

/**
 * Where the picture may change (any of the listed positions) and the presentation end, in the
 * player's seconds. DASH lays fragments end to end (gaps closed), as does HLS with discontinuities
 * (SERVER_TIMESTAMP's default ALWAYS). HLS with PRODUCER_TIMESTAMP (default NEVER) keeps the 2-s
 * gap in the media timestamps; hls.js closes it (it places segments by the playlist), a player
 * that follows the timestamps would show the 640x360 part 2 s later.
 */
function expectedTimes(protocol: 'hls' | 'dash', selector: Selector): { switches: number[][]; end: number } {
  const keptGap = protocol === 'hls' && selector === 'PRODUCER_TIMESTAMP' ? [10 + GAP_MS / 1000] : [];
  return { switches: [[6], [10, ...keptGap]], end: 16 };
}

function explain(result: PlaybackResult): string {
  return JSON.stringify({ ...result, events: result.events.slice(-30) }, null, 1);
}

/** Played to the end, no error, 640 → 1280 → 640 at the expected positions (±0.3 s: frames a loaded browser drops at 4×; a misplaced switch is a GOP off). */
function assertPlayedThrough(result: PlaybackResult, expected: { switches: number[][]; end: number }): void {
  assert.deepEqual(result.errors.filter((e) => e.fatal), [], `fatal player errors:\n${explain(result)}`);
  assert.ok(result.ended || result.currentTime >= expected.end - 0.6, `stopped at ${result.currentTime} of ${expected.end} s:\n${explain(result)}`);
  const changes = result.sizes.filter((s, i, all) => s.width > 0 && (i === 0 || s.width !== all[i - 1]!.width));
  assert.deepEqual(changes.map((s) => s.width), [640, 1280, 640], `picture sizes:\n${explain(result)}`);
  changes.slice(1).forEach((change, i) => {
    const wants = expected.switches[i]!;
    assert.ok(wants.some((want) => Math.abs(change.currentTime - want) <= 0.3), `size ${change.width} from ${change.currentTime} s, expected ${wants.join(' or ')} s:\n${explain(result)}`);
  });
}

describe('chromium plays a stream with gaps and size changes, uploaded faster than real time', { skip: skipBrowser }, () => {
  let browser: BrowserPlayer;
  before(async () => {
    browser = await launchBrowserPlayer();
  });
  after(() => browser?.close());

  const play = (kind: PlayerKind, url: string, end: number, playbackRate = 4) =>
    browser.playInBrowser({ kind, url, minSeconds: end - 0.3, timeoutMs: 20_000 + (end * 1000) / playbackRate, playbackRate });

  for (const selector of ['SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP'] as const) {
    test(`ON_DEMAND ${selector}: hls.js (fMP4, MPEG-TS), dash.js, Shaka (DASH, HLS fMP4) play to the end, sizes switching in place`, async () => {
      const hlsTimes = expectedTimes('hls', selector);
      const dashTimes = expectedTimes('dash', selector);
      assertPlayedThrough(await play('hls', await hlsUrl('camera', selector, 'FRAGMENTED_MP4'), hlsTimes.end), hlsTimes);
      assertPlayedThrough(await play('hls', await hlsUrl('camera', selector, 'MPEG_TS'), hlsTimes.end), hlsTimes);
      assertPlayedThrough(await play('dash', await dashUrl('camera', selector), dashTimes.end), dashTimes);
      assertPlayedThrough(await play('shaka', await dashUrl('camera', selector), dashTimes.end), dashTimes);
      assertPlayedThrough(await play('shaka', await hlsUrl('camera', selector, 'FRAGMENTED_MP4'), hlsTimes.end), hlsTimes);
    });
  }

  // LIVE_REPLAY adds a fragment as each duration elapses: real time, the gap skipped.
  test('LIVE_REPLAY DASH (a dynamic MPD): dash.js and Shaka (SERVER_TIMESTAMP), dash.js (PRODUCER_TIMESTAMP) play through', async () => {
    const times = expectedTimes('dash', 'SERVER_TIMESTAMP');
    assertPlayedThrough(await play('dash', await dashUrl('camera', 'SERVER_TIMESTAMP', 'LIVE_REPLAY'), times.end, 1), times);
    assertPlayedThrough(await play('shaka', await dashUrl('camera', 'SERVER_TIMESTAMP', 'LIVE_REPLAY'), times.end, 1), times);
    assertPlayedThrough(await play('dash', await dashUrl('camera', 'PRODUCER_TIMESTAMP', 'LIVE_REPLAY'), times.end, 1), times);
  });

  test('LIVE_REPLAY HLS fMP4 SERVER_TIMESTAMP: hls.js plays through', async () => {
    const times = expectedTimes('hls', 'SERVER_TIMESTAMP');
    const input = { StreamName: 'camera', PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(sentFromMs) } } } as const;
    const url = (await client.send(new GetHLSStreamingSessionURLCommand(input))).HLSStreamingSessionURL!;
    assertPlayedThrough(await play('hls', url, times.end, 1), times);
  });
});

/**
 * Decoded frames (framecrc lines) and ffmpeg's error output for an input ffmpeg can open. Run
 * asynchronously: for a URL, ffmpeg reads from the server living in this very process. Every
 * decoded frame is written (`-fps_mode passthrough`): with SERVER_TIMESTAMP each HLS segment
 * starts where its fragment arrived, and where that overlaps the previous one by less than
 * ffmpeg's 100-ms discontinuity threshold, its default output sync dropped the frame behind.
 */
async function decode(input: string): Promise<{ frames: number; errors: string; widths: number[] }> {
  const run = await runTool(FFMPEG, ['-v', 'error', '-i', input, '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'framecrc', '-']);
  const frames = run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const probe = await runTool(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width', '-of', 'csv=p=0', input]);
  return { frames, errors: `${run.code === 0 ? '' : `exit ${run.code} `}${run.stderr.trim()}`, widths: probe.stdout.trim().split('\n').map(Number) };
}

function runTool(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const attributesOf = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w:]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replaceAll('&amp;', '&')]));

/** Each Period of an MPD as one file: its init segment then every media segment, as a DASH player appends them. */
async function dashPeriodFiles(url: string, label: string): Promise<string[]> {
  const mpd = (await getResource(url)).text;
  const files: string[] = [];
  for (const [p, period] of mpd.split('<Period ').slice(1).entries()) {
    const template = attributesOf(/<SegmentTemplate [^>]*>/.exec(period)![0]);
    const parts = [(await getResource(resolveUrl(url, template['initialization']!))).bytes];
    let number = Number(template['startNumber']);
    for (const s of period.matchAll(/<S [^>]*\/>/g)) {
      const repeats = Number(attributesOf(s[0])['r'] ?? 0);
      for (let r = 0; r <= repeats; r++) {
        const segment = await getResource(resolveUrl(url, template['media']!.replace('$Number$', String(number++))));
        assert.equal(segment.status, 200);
        parts.push(segment.bytes);
      }
    }
    const file = path.join(dir, `${label}-period-${p}.mp4`);
    writeFileSync(file, Buffer.concat(parts));
    files.push(file);
  }
  return files;
}

describe('ffmpeg decodes every frame of the MPEG-TS and DASH outputs', { skip: skipWithoutFfmpeg }, () => {
  for (const stream of ['camera', 'camera-hevc']) {
    for (const selector of ['SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP'] as const) {
      test(`${stream}, ${selector}: HLS MPEG-TS and each DASH Period decode, ${TOTAL_FRAMES} frames, no error`, async () => {
        const ts = await decode(await hlsUrl(stream, selector, 'MPEG_TS'));
        assert.equal(ts.errors, '');
        assert.equal(ts.frames, TOTAL_FRAMES);
        const periods = await dashPeriodFiles(await dashUrl(stream, selector), `${stream}-${selector}`);
        assert.equal(periods.length, PARTS.length);
        let frames = 0;
        for (const [i, file] of periods.entries()) {
          const decoded = await decode(file);
          assert.equal(decoded.errors, '', file);
          assert.equal(decoded.frames, PARTS[i]!.seconds * FPS, file);
          assert.deepEqual(decoded.widths, [PARTS[i]!.width]);
          frames += decoded.frames;
        }
        assert.equal(frames, TOTAL_FRAMES);
      });
    }
  }
});

describe('GetClip across the codec private data change', { skip: skipWithoutFfmpeg }, () => {
  test('the whole range: InvalidCodecPrivateDataException, as KVS documents; one part: an MP4 of its 6 s', async () => {
    for (const stream of ['camera', 'camera-hevc']) {
      const whole = await rejection(() => client.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: RANGE } })));
      assert.equal(whole.name, 'InvalidCodecPrivateDataException', stream);
      assert.equal(whole.$metadata?.httpStatusCode, 400);
      const range = { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(PARTS[1].startMs - 1) };
      const output = await client.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range } }));
      const file = path.join(dir, `${stream}-clip.mp4`);
      writeFileSync(file, await output.Payload!.transformToByteArray());
      const decoded = await decode(file);
      assert.equal(decoded.errors, '');
      assert.equal(decoded.frames, PARTS[0].seconds * FPS);
      const duration = Number(execFileSync(FFPROBE, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' }));
      assert.ok(Math.abs(duration - PARTS[0].seconds) < 0.05, `clip lasts ${duration} s`);
    }
  });
});
