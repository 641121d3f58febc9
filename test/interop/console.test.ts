/**
 * The web console at `/`, in Debian's chromium against a real server: create a stream in the
 * console, stream into it with `openkvs put-media --realtime`, watch the live view play (video
 * time advancing, the delay it reports ≤ 5 s), see the fragments appear on the timeline, hover
 * for a still, click to play a past moment (the player shows that moment's program date-time
 * ± 1 s), export a 20-s clip and check the MP4 with ffprobe (duration, codec, every packet the
 * source's). Secured mode: a wrong key is refused plainly, the right one works. Screenshots of
 * every page, desktop and 375 px wide, light and dark, go to $OPENKVS_TEST_ARTIFACTS/console
 * (default test-artifacts/).
 */
import { ListFragmentsCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../helpers/browser-player.js';
import { isolatedAwsEnv, OPENKVS_CLI } from '../helpers/cli.js';
import { browserProcessTree, endProcesses } from '../helpers/player/processes.js';
import { findTool, REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { FFMPEG, FFPROBE, framemd5 } from '../unit/formats/isobmff/mkv-source.js';

const skip =
  skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)') ||
  skipUnlessPresent(findTool([FFMPEG]), 'ffmpeg (apt-get install -y ffmpeg)') ||
  (existsSync(path.join(REPO_ROOT, 'dist/console/index.html')) ? false : 'the console is not built (npm run build)');
const ARTIFACTS = path.join(process.env['OPENKVS_TEST_ARTIFACTS'] ?? path.join(REPO_ROOT, 'test-artifacts'), 'console');
const STREAM = 'console-cam';
/** Seconds of 1-s GOPs (one fragment each) streamed in real time. */
const SOURCE_SECONDS = 40;

const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 812 };

/** Local time as the console writes it (the browser runs in this process's time zone). */
function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

let failureShot: ((name: string) => Promise<void>) | undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      await failureShot?.(`failed-${what.replace(/\W+/g, '-')}`);
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(200);
  }
}

describe('web console', { skip, timeout: 240_000 }, () => {
  let t: TestServer;
  let secured: TestServer;
  let dir = '';
  let context: BrowserContext | undefined;
  let userDataDir = '';
  let page: Page;
  let producer: ChildProcess | undefined;
  let producerDone: Promise<number | null> | undefined;
  /** What the walk-through saw when it clicked a past moment (judged by its own test below). */
  let archiveStart: { clickedMs: number; fragmentStart: number; startedAt: number; currentTime: number; playedAtMost: number; firstPdt: number; later: number } | undefined;
  const source = () => path.join(dir, 'source.mkv');

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-console-'));
    // 320x240, 15 fps, a key frame every second: 1-s fragments, as the live target assumes.
    execFileSync(FFMPEG, [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=15`, '-t', String(SOURCE_SECONDS)],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', '15', '-keyint_min', '15', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
      ...['-f', 'matroska', '-cluster_size_limit', '50000000', '-cluster_time_limit', '10000', source()],
    ]);
    t = await startTestServer();
    const credentialsFile = path.join(dir, 'credentials');
    await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
    secured = await startTestServer({ credentialsFile });
    userDataDir = path.join(dir, 'profile');
    context = await launchChromium(userDataDir, { extraArgs: ['--autoplay-policy=no-user-gesture-required'], viewport: DESKTOP, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[page] ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') console.error(`[page console] ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) console.error(`[page] ${res.status()} ${res.request().method()} ${res.url().slice(0, 120)} ${res.request().postData()?.slice(0, 300) ?? ''}`);
    });
    failureShot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true }).then(() => undefined);
  });

  after(async () => {
    producer?.kill('SIGTERM');
    const tree = userDataDir ? browserProcessTree(userDataDir) : [];
    await context?.close().catch(() => undefined);
    await endProcesses(tree);
    await t?.dispose();
    await secured?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const shot = async (name: string, viewport = DESKTOP) => {
    await page.setViewportSize(viewport);
    await sleep(300);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  /** What is on screen now, without resizing (a full-page shot resizes, which ends a hover). */
  const screen = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  test('create a stream in the console, watch it live, find a moment, play it, export a clip', async () => {
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Streams' }).waitFor();
    await page.getByText('No streams yet').waitFor();

    // Create: the API's own error for a bad name, then a good one.
    await page.getByRole('button', { name: 'Create stream' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('bad name!');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'InvalidArgumentException' }).waitFor();
    await dialog.getByLabel('Name').fill(STREAM);
    await dialog.getByLabel(/Tags/).fill('site=lab');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = page.locator(`[data-stream="${STREAM}"]`);
    await row.waitFor();
    await row.getByText('site=lab').waitFor();
    assert.match((await row.textContent()) ?? '', /ACTIVE.*video\/h264.*1 d/);

    // The producer: `openkvs put-media --realtime`, as a user runs it.
    const producerStartMs = Date.now();
    producer = spawn(
      process.execPath,
      [OPENKVS_CLI, 'put-media', '--endpoint', t.url, '--stream', STREAM, '--timecode-type', 'RELATIVE', '--realtime', source()],
      { env: isolatedAwsEnv({ accessKeyId: 'AKIDANY', secretAccessKey: 'any' }), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let producerErr = '';
    producer.stderr!.on('data', (d: Buffer) => (producerErr += d.toString()));
    producerDone = new Promise((resolve) => producer!.on('close', resolve));

    // The streams page, left open, sees the producer connect (the row's badge follows the stream).
    await row.getByText('producer live').waitFor({ timeout: 20_000 });
    await row.getByRole('link', { name: STREAM }).click();
    await page.getByRole('heading', { name: STREAM }).waitFor();

    // Live view: starts by itself once fragments arrive; time advances, the delay is shown.
    const delay = page.getByTestId('delay');
    await until('the live view', async () => (await delay.getAttribute('data-delay-ms').catch(() => null)) || undefined, 30_000);
    const video = page.getByTestId('video');
    const time0 = await video.evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    await sleep(4000);
    const time1 = await video.evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    assert.ok(time1 - time0 > 2.5, `live video advanced ${time1 - time0} s in 4 s`);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(Number(await delay.getAttribute('data-delay-ms')));
      await sleep(250);
    }
    const worst = Math.max(...delays);
    console.log(`[console] live delay behind the camera: ${delays.map((d) => (d / 1000).toFixed(2)).join(', ')} s`);
    assert.ok(worst <= 5000, `displayed delay ${worst} ms`);
    assert.match((await delay.textContent()) ?? '', /s behind the camera/);
    await shot('stream-live-desktop');

    // Timeline: the fragments appear; zoom to a minute.
    await until('fragments on the timeline', async () => Number(await page.getByTestId('archive-count').getAttribute('data-count')) >= 22 || undefined, 40_000);
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 min' }).click();
    const canvas = page.locator('.timeline canvas');
    const box = (await canvas.boundingBox())!;
    const xFor = async (ms: number) => {
      const [t0, t1] = await canvas.evaluate((c) => [Number(c.getAttribute('data-t0')), Number(c.getAttribute('data-t1'))]);
      return box.x + ((ms - t0!) / (t1! - t0!)) * box.width;
    };
    // The stream's own fragment times, from the API (Node side).
    const archived = new KinesisVideoArchivedMediaClient({ endpoint: t.url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
    const listed = await archived.send(
      new ListFragmentsCommand({
        StreamName: STREAM,
        FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(producerStartMs - 60_000), EndTimestamp: new Date(Date.now() + 60_000) } },
      }),
    );
    archived.destroy();
    const starts = (listed.Fragments ?? []).map((f) => f.ProducerTimestamp!.getTime()).sort((a, b) => a - b);
    assert.ok(starts.length >= 22, `${starts.length} fragments listed`);

    // Hover over a recorded moment: a still from GetImages.
    const hoverMs = starts[8]! + 300;
    await page.mouse.move(await xFor(hoverMs), box.y + box.height / 2);
    await page.locator('.hover-thumb').waitFor({ timeout: 15_000 });
    await screen('timeline-hover-desktop');

    // Click a past moment: ON_DEMAND from that instant; the player shows its program date-time.
    const targetMs = starts[5]! + 400;
    await page.mouse.click(await xFor(targetMs), box.y + box.height / 2);
    const clickedWallMs = Date.now();
    const slider = page.getByRole('slider');
    const clickedMs = Number(await slider.getAttribute('aria-valuenow'));
    assert.ok(Math.abs(clickedMs - targetMs) < 1500, `clicked at ${clickedMs}, aimed at ${targetMs}`);
    const pdt = page.getByTestId('pdt');
    const firstPdt = await until('the archive playing', async () => Number((await pdt.getAttribute('data-pdt-ms').catch(() => '')) || 0) || undefined, 20_000);
    // The moment on screen, taken back to where playback began: the time shown minus how far the
    // video has played since (the session starts with the fragment holding the clicked instant, and
    // hls.js starts that far into it). A slow test step does not move it; a wrong start does.
    type VideoInPage = { currentTime: number; ownerDocument: { querySelector(s: string): { getAttribute(n: string): string | null } | null } };
    const onScreen = await page.getByTestId('video').evaluate((v) => {
      const video = v as unknown as VideoInPage;
      return { shown: Number(video.ownerDocument.querySelector('[data-testid=pdt]')?.getAttribute('data-pdt-ms')), currentTime: video.currentTime };
    });
    const fragmentStart = Math.max(...starts.filter((s) => s <= clickedMs));
    const startedAt = onScreen.shown - onScreen.currentTime * 1000 + (clickedMs - fragmentStart);
    console.log(`[console] clicked ${localTime(clickedMs)}, the player shows ${localTime(firstPdt)} (${firstPdt - clickedMs} ms); playback began at ${startedAt - clickedMs} ms from it`);
    // No further into the session than the clicked instant plus the time since the click.
    const playedAtMost = (clickedMs - fragmentStart) / 1000 + (Date.now() - clickedWallMs) / 1000 + 1;
    assert.match((await pdt.textContent()) ?? '', /Archive/);
    await sleep(1500);
    const later = Number(await pdt.getAttribute('data-pdt-ms'));
    archiveStart = { clickedMs, fragmentStart, startedAt, currentTime: onScreen.currentTime, playedAtMost, firstPdt, later };
    await shot('stream-archive-desktop');

    // Keyboard: arrows move the cursor.
    await slider.focus();
    const before = Number(await slider.getAttribute('aria-valuenow'));
    await page.keyboard.press('ArrowLeft');
    assert.ok(Number(await slider.getAttribute('aria-valuenow')) < before, 'ArrowLeft steps back');

    // Clip: 20 fragments of 1 s from the 6th, typed in; downloaded with a progress bar.
    await until('the producer to finish', async () => producer!.exitCode !== null || undefined, 60_000);
    assert.equal(await producerDone, 0, producerErr);
    const clipFrom = starts[5]!;
    const clipTo = starts[5]! + 19_500;
    await page.getByLabel('From', { exact: true }).fill(localTime(clipFrom));
    await page.getByLabel('To', { exact: true }).fill(localTime(clipTo));
    await page.getByRole('button', { name: 'Set range' }).click();
    await page.getByTestId('clip-plan').filter({ hasText: '20 fragments' }).waitFor();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download MP4' }).click();
    const download = await downloading;
    const clipFile = path.join(ARTIFACTS, 'clip.mp4');
    await download.saveAs(clipFile);
    await page.locator('.progress').filter({ hasText: 'saved' }).waitFor();
    await shot('stream-clip-desktop');

    const probe = JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', clipFile], { encoding: 'utf8' })) as {
      format: { duration: string; format_name: string };
      streams: { codec_name: string; codec_type: string }[];
    };
    assert.match(probe.format.format_name, /mp4/);
    assert.deepEqual(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`), ['video:h264']);
    assert.ok(Math.abs(Number(probe.format.duration) - 20) < 0.1, `clip duration ${probe.format.duration}`);
    const sourcePackets = new Set(framemd5(source(), 'v').map((p) => `${p.size}:${p.md5}`));
    const clipPackets = framemd5(clipFile, 'v');
    assert.equal(clipPackets.length, 20 * 15);
    for (const p of clipPackets) assert.ok(sourcePackets.has(`${p.size}:${p.md5}`), `clip packet at ${p.pts} s is not one of the source's`);

    // /metrics saw exactly what went in and out: the whole file through PutMedia, the clip's bytes
    // through GetClip, and the players' segments.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name}\\{stream="${STREAM}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    assert.equal(sample('kvs_putmedia_incoming_bytes_total'), statSync(source()).size);
    assert.equal(sample('kvs_putmedia_incoming_fragments_total'), SOURCE_SECONDS);
    assert.equal(sample('kvs_getclip_outgoing_bytes_total'), statSync(clipFile).size);
    assert.ok(sample('kvs_getmp4mediafragment_outgoing_bytes_total') > 0);
    assert.ok(sample('kvs_gethlsmediaplaylist_requests_total') > 0);
    assert.ok(sample('kvs_getimages_outgoing_bytes_total') > 0);

    // The streams page again, with its thumbnail; then phone-sized and dark.
    await shot('stream-phone', PHONE);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('stream-dark-phone', PHONE);
    await shot('stream-dark-desktop');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${t.url}/`);
    await row.locator('img').waitFor({ timeout: 15_000 });
    await shot('streams-desktop');
    await shot('streams-phone', PHONE);
    await page.getByRole('button', { name: `Edit ${STREAM}` }).click();
    const edit = page.getByRole('dialog');
    await edit.waitFor();
    await shot('streams-edit-phone', PHONE);
    await page.setViewportSize(DESKTOP);

    // Edit: retention and tags; the row shows them after.
    await edit.getByLabel('Retention in hours').fill('48');
    await edit.getByLabel(/Tags/).fill('site=lab\nfloor=2');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('floor=2').waitFor();
    assert.match((await row.textContent()) ?? '', /2 d/);

    // Delete: only once the name is typed.
    await page.getByRole('button', { name: `Edit ${STREAM}` }).click();
    const del = page.getByRole('button', { name: `Delete ${STREAM}` });
    assert.equal(await del.isDisabled(), true);
    await page.getByLabel(`Type ${STREAM} to confirm deletion`).fill(STREAM);
    await del.click();
    await page.getByText('No streams yet').waitFor();
  });

  // Judged apart from the walk-through above, which goes on either way to the clip and the
  // screenshots. The first program date-time shown is judged, not a later one: the console once
  // showed the live session's last one for a tick when an archive session began (about one start
  // in four here), which this catches.
  test('clicking the timeline plays that moment (± 1 s) and it plays on', () => {
    assert.ok(archiveStart, 'the walk-through clicked the timeline');
    const { clickedMs, fragmentStart, startedAt, currentTime, playedAtMost, firstPdt, later } = archiveStart;
    assert.ok(firstPdt >= clickedMs - 1000 && firstPdt <= fragmentStart + playedAtMost * 1000, `the first moment shown, ${firstPdt}, is not the clicked one, ${clickedMs}, or just after it`);
    assert.ok(Math.abs(startedAt - clickedMs) <= 1000, `playback began at program date-time ${startedAt}, clicked ${clickedMs}`);
    assert.ok(currentTime <= playedAtMost, `${currentTime} s into the session, at most ${playedAtMost} s expected`);
    assert.ok(later > firstPdt, 'the archive plays on');
  });

  test('secured mode: a wrong key is refused plainly, the right one works', async () => {
    await page.goto(`${secured.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Access key ID').fill(TEST_CREDENTIALS.accessKeyId);
    await page.getByLabel('Secret access key').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'secret access key is wrong' }).waitFor();
    await page.getByLabel('Access key ID').fill('AKIDNOBODYKNOWS');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not know this access key' }).waitFor();
    await shot('signin-refused-desktop');
    await shot('signin-refused-phone', PHONE);
    await page.setViewportSize(DESKTOP);
    await page.getByLabel('Access key ID').fill(TEST_CREDENTIALS.accessKeyId);
    await page.getByLabel('Secret access key').fill(TEST_CREDENTIALS.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Streams' }).waitFor();
    await page.getByRole('button', { name: /Sign out/ }).waitFor();
    // Kept for this tab only: sessionStorage, not localStorage.
    // (Typed loosely: the project compiles without the DOM lib.)
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as { sessionStorage: { getItem(k: string): string | null }; localStorage: object };
      return [g.sessionStorage.getItem('openkvs.session') !== null, JSON.stringify(g.localStorage).includes('secret')];
    });
    assert.deepEqual(stored, [true, false]);
    await page.reload();
    await page.getByRole('button', { name: /Sign out/ }).waitFor();
  });
});
