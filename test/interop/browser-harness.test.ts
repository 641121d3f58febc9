import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  CHROMIUM_PATH,
  launchBrowserPlayer,
  longestStall,
  type BrowserPlayer,
  type LiveWatchResult,
  type PlaybackResult,
} from '../helpers/browser-player.js';
import { browserProcessTree, stillThere } from '../helpers/player/processes.js';
import { directoryResolver, startStaticServer, type StaticServer } from '../helpers/player/static-server.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';

/**
 * Proves the browser harness on HLS and DASH that ffmpeg wrote, before openkvs serves any: each
 * kind plays past 4 s with no player error, a media server without CORS headers makes the player
 * fail (so the harness can fail), and a live HLS stream keeps advancing while ffmpeg produces it.
 */

const run = promisify(execFile);
const FFMPEG = findTool(['ffmpeg']);
const CHROMIUM = findTool([CHROMIUM_PATH]);
const skip =
  skipUnlessPresent(CHROMIUM, 'chromium (apt-get install -y chromium)') || skipUnlessPresent(FFMPEG, 'ffmpeg (apt-get install -y ffmpeg)');

/** A 320x240 test pattern and a 440 Hz tone, endless (outputs set the duration). */
const TEST_PATTERN = 'testsrc=size=320x240:rate=25';
const TEST_TONE = 'sine=frequency=440:sample_rate=48000';
/** H.264 Main 4:2:0 (testsrc is RGB, and High 4:4:4 is not playable through MSE) with a key frame every 1 s, AAC-LC. */
const H264_AAC = ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', '25', '-sc_threshold', '0',
  '-c:a', 'aac', '-b:a', '64k'];

async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG!, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/**
 * AAC's encoder delay (1024 priming samples at 48 kHz). MP4 hides it with an edit list; MPEG-TS
 * has none, so there the audio starts 21 ms before the video, and hls.js seeks over the gap at
 * the start and says so with a (non-fatal) bufferSeekOverHole error. Delaying the audio by as much
 * makes both start together, as in a clean stream.
 */
const AAC_PRIMING_SECONDS = (1024 / 48_000).toFixed(6);

/** An 8 s source, then three remuxes of it (no re-encode): HLS fMP4, HLS MPEG-TS and DASH. */
async function makeVodRenditions(dir: string): Promise<void> {
  const source = path.join(dir, 'source.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', TEST_PATTERN, '-f', 'lavfi', '-i', TEST_TONE, '-t', '8', ...H264_AAC, source]);
  await Promise.all(['hls-fmp4', 'hls-ts', 'dash'].map((sub) => mkdir(path.join(dir, sub))));
  const hlsVod = (sub: string, type: string, segment: string) => ['-c', 'copy', '-f', 'hls', '-hls_time', '2',
    '-hls_playlist_type', 'vod', '-hls_segment_type', type, '-hls_segment_filename', path.join(dir, sub, segment),
    '-master_pl_name', 'master.m3u8', path.join(dir, sub, 'media.m3u8')];
  const alignedAudio = ['-i', source, '-itsoffset', AAC_PRIMING_SECONDS, '-i', source, '-map', '0:v', '-map', '1:a'];
  await Promise.all([
    ffmpeg(['-i', source, ...hlsVod('hls-fmp4', 'fmp4', 'seg%03d.m4s')]),
    ffmpeg([...alignedAudio, ...hlsVod('hls-ts', 'mpegts', 'seg%03d.ts')]),
    ffmpeg(['-i', source, '-c', 'copy', '-f', 'dash', '-seg_duration', '2', '-use_timeline', '1', '-use_template', '1',
      path.join(dir, 'dash', 'manifest.mpd')]),
  ]);
}

/** ffmpeg producing a live HLS (fMP4, 1 s segments, a 5-segment sliding window) in real time. */
function startLiveHls(dir: string): ChildProcess {
  // -re (read at the native rate) is an input option, so each input needs its own.
  const realtimeSource = ['-re', '-f', 'lavfi', '-i', TEST_PATTERN, '-re', '-f', 'lavfi', '-i', TEST_TONE];
  const args = ['-hide_banner', '-loglevel', 'error', ...realtimeSource, '-t', '60', ...H264_AAC, '-tune', 'zerolatency',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '5', '-hls_flags', 'delete_segments+temp_file', '-hls_segment_type', 'fmp4',
    '-hls_segment_filename', path.join(dir, 'seg%05d.m4s'), path.join(dir, 'live.m3u8')];
  return spawn(FFMPEG!, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function waitForSegments(playlist: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(playlist, 'utf8').catch(() => '');
    if ((text.match(/#EXTINF/g) ?? []).length >= count) return;
    await sleep(200);
  }
  throw new Error(`${playlist} did not reach ${count} segments in ${timeoutMs} ms`);
}

function explain(result: PlaybackResult | LiveWatchResult): string {
  return JSON.stringify({ ...result, events: result.events.slice(-40) }, null, 1);
}

function assertPlayedWithoutError(result: PlaybackResult): void {
  assert.deepEqual(result.errors, [], `player errors:\n${explain(result)}`);
  assert.ok(result.currentTime > 4, `currentTime ${result.currentTime} did not pass 4 s:\n${explain(result)}`);
}

describe('browser playback harness, proven on ffmpeg-made HLS and DASH', { skip }, () => {
  let dir: string;
  let browser: BrowserPlayer;
  let media: StaticServer;
  let mediaWithoutCors: StaticServer;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-browser-'));
    // Both at once to save time, but a launched browser must reach `after` even if ffmpeg failed.
    const [launched, made] = await Promise.allSettled([launchBrowserPlayer(), makeVodRenditions(dir)]);
    if (launched.status === 'fulfilled') browser = launched.value;
    for (const outcome of [launched, made]) if (outcome.status === 'rejected') throw outcome.reason;
    media = await startStaticServer({ resolve: directoryResolver(dir), cors: true });
    mediaWithoutCors = await startStaticServer({ resolve: directoryResolver(dir), cors: false });
  });

  after(async () => {
    await browser?.close();
    await media?.close();
    await mediaWithoutCors?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("Debian's chromium decodes H.264 and AAC through MSE (H.265 is reported, not required)", async (t) => {
    assert.equal(await browser.isTypeSupported('video/mp4; codecs="avc1.42E01E"'), true);
    assert.equal(await browser.isTypeSupported('video/mp4; codecs="avc1.4D401E, mp4a.40.2"'), true);
    const hevc = await browser.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"');
    t.diagnostic(`H.265 (hvc1) through MSE: ${hevc ? 'supported' : 'not supported'} by this chromium`);
  });

  test('the page and the media are on different origins', () => {
    assert.notEqual(browser.pageOrigin, media.origin);
    assert.notEqual(browser.pageOrigin, mediaWithoutCors.origin);
  });

  // Independent VOD playbacks share the browser in parallel tabs: about 6 s instead of 18.
  describe('VOD playback (concurrently, one tab each)', { concurrency: true }, () => {
    test('hls.js plays an HLS fMP4 VOD past 4 s with no error, fetching cross-origin', async () => {
      const result = await browser.playInBrowser({ kind: 'hls', url: `${media.origin}/hls-fmp4/master.m3u8`, minSeconds: 4, timeoutMs: 15_000 });
      assertPlayedWithoutError(result);
      const segmentFetches = media.requests.filter((r) => r.path.startsWith('/hls-fmp4/seg'));
      assert.ok(segmentFetches.length > 0, 'the player fetched media segments');
      assert.ok(segmentFetches.every((r) => r.origin === browser.pageOrigin), 'every fetch was cross-origin from the player page');
    });

    test('hls.js plays an HLS MPEG-TS VOD past 4 s with no error', async () => {
      assertPlayedWithoutError(await browser.playInBrowser({ kind: 'hls', url: `${media.origin}/hls-ts/master.m3u8`, timeoutMs: 15_000 }));
    });

    test('dash.js plays a DASH VOD past 4 s with no error', async () => {
      assertPlayedWithoutError(await browser.playInBrowser({ kind: 'dash', url: `${media.origin}/dash/manifest.mpd`, timeoutMs: 15_000 }));
    });

    test('without CORS headers on the media server, hls.js reports a fatal error', async () => {
      const result = await browser.playInBrowser({ kind: 'hls', url: `${mediaWithoutCors.origin}/hls-fmp4/master.m3u8`, timeoutMs: 15_000 });
      assert.ok(result.errors.some((e) => e.source === 'hls.js' && e.fatal), `expected a fatal hls.js error:\n${explain(result)}`);
      assert.ok(result.currentTime < 1, 'nothing played');
    });

    test('without CORS headers on the media server, dash.js reports an error', async () => {
      const result = await browser.playInBrowser({ kind: 'dash', url: `${mediaWithoutCors.origin}/dash/manifest.mpd`, timeoutMs: 15_000 });
      assert.ok(result.errors.some((e) => e.source === 'dash.js'), `expected a dash.js error:\n${explain(result)}`);
    });

    test('a corrupt media segment shows up as a player error even though playback goes on', async () => {
      await cp(path.join(dir, 'hls-fmp4'), path.join(dir, 'hls-corrupt'), { recursive: true });
      await writeFile(path.join(dir, 'hls-corrupt', 'seg001.m4s'), randomBytes(30_000));
      const result = await browser.playInBrowser({ kind: 'hls', url: `${media.origin}/hls-corrupt/master.m3u8`, timeoutMs: 15_000 });
      assert.ok(result.errors.some((e) => e.source === 'hls.js'), `expected an hls.js error:\n${explain(result)}`);
    });
  });

  test('a LIVE HLS stream that ffmpeg produces in real time keeps playing for 8 s', async (t) => {
    const liveDir = path.join(dir, 'live');
    await mkdir(liveDir);
    const producer = startLiveHls(liveDir);
    try {
      await waitForSegments(path.join(liveDir, 'live.m3u8'), 3, 20_000);
      const result = await browser.watchLiveInBrowser({ kind: 'hls', url: `${media.origin}/live/live.m3u8`, watchSeconds: 8, startTimeoutMs: 15_000 });
      t.diagnostic(`started after ${result.startupMs} ms; +${result.advancedSeconds.toFixed(2)} s in 8 s; longest stall ${result.longestStallMs} ms`);
      assert.deepEqual(result.errors, [], `player errors:\n${explain(result)}`);
      assert.ok(result.keptAdvancing, `playback did not keep advancing:\n${explain(result)}`);
      assert.ok(result.advancedSeconds > 6, `advanced only ${result.advancedSeconds} s in 8 s`);
    } finally {
      const exited = producer.exitCode === null ? once(producer, 'exit') : Promise.resolve();
      producer.kill('SIGKILL');
      await exited;
    }
  });

  test('close() ends every chromium process (no zombie left to this process) and removes the profile', async (t) => {
    const tree = browserProcessTree(browser.userDataDir);
    assert.ok(tree.length > 1, `chromium runs before close() with child processes (found ${tree.length})`);
    const startedClosing = Date.now();
    await browser.close();
    const left = tree.map(stillThere).filter((p) => p !== undefined);
    const zombies = left.filter((p) => p.state === 'Z').length;
    t.diagnostic(`close() took ${Date.now() - startedClosing} ms; ${tree.length} chromium processes, ${left.length} left (${zombies} zombies)`);
    assert.deepEqual(left.filter((p) => p.state !== 'Z'), [], 'no chromium process is still alive');
    assert.deepEqual(left.filter((p) => p.ppid === process.pid), [], 'no unreaped child of the test process');
    await assert.rejects(readFile(path.join(browser.userDataDir, 'Local State')), { code: 'ENOENT' });
  });
});

test('longestStall measures the longest wall time without forward progress', () => {
  const at = (ms: number, t: number) => ({ at: ms, currentTime: t });
  assert.equal(longestStall([]), 0);
  assert.equal(longestStall([at(0, 1), at(250, 1.25), at(500, 1.5)]), 0);
  assert.equal(longestStall([at(0, 1), at(250, 1.2), at(500, 1.2), at(750, 1.2), at(1000, 1.4)]), 500);
  assert.equal(longestStall([at(0, 1), at(2000, 1)]), 2000);
});
