import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Page, type LaunchOptions, type BrowserContextOptions } from 'playwright-core';
import { browserProcessTree, endProcesses } from './player/processes.js';
import { startStaticServer, type StaticServer } from './player/static-server.js';
import { REPO_ROOT } from './process.js';

/**
 * Plays HLS and DASH URLs in Debian's chromium with hls.js, dash.js or Shaka Player, as a viewer's browser
 * would: the player page comes from an origin of its own, so every media request is cross-origin
 * and needs the media server's CORS headers. One browser per test file; a fresh page per playback.
 *
 *   before(async () => (browser = await launchBrowserPlayer()));
 *   after(() => browser?.close());
 *   const r = await browser.playInBrowser({ kind: 'hls', url: sessionUrl, minSeconds: 4 });
 *   assert.deepEqual(r.errors, []); assert.ok(r.currentTime > 4);
 */

/** Debian's build, never a Playwright download: the issue is about what Debian's chromium plays. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Quiet and deterministic: no sync, updates, background fetches or QUIC on a loopback-only box.
 * Playwright adds its own switches (background throttling off, among others) and the fresh
 * `--user-data-dir` that launchPersistentContext is given; it refuses one in `args`.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Debian's chromium with CHROMIUM_FLAGS on a profile of its own (`extraArgs` after the flags).
 * Chromium's crash handlers keep their database under the config home (~/.config/chromium by
 * default) whatever the profile; inside the profile directory, nothing leaks into $HOME.
 */
export function launchChromium(
  userDataDir: string,
  options: { extraArgs?: readonly string[] } & Pick<BrowserContextOptions, 'viewport' | 'acceptDownloads'> & Pick<LaunchOptions, 'timeout'> = {},
): Promise<BrowserContext> {
  const { extraArgs = [], ...rest } = options;
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    env: { ...process.env, CHROME_CONFIG_HOME: path.join(userDataDir, 'config-home') },
    timeout: 60_000,
    ...rest,
  });
}

const PLAYER_DIR = path.join(REPO_ROOT, 'test/helpers/player');
const PAGE_FILES: Readonly<Record<string, string>> = {
  '/player.html': path.join(PLAYER_DIR, 'player.html'),
  '/player-page.js': path.join(PLAYER_DIR, 'player-page.js'),
  '/vendor/hls.min.js': path.join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js'),
  // dash.js 5's classic-script bundle (UMD, defines window.dashjs); dist/modern/esm is for bundlers.
  '/vendor/dash.all.min.js': path.join(REPO_ROOT, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js'),
  // Shaka Player's compiled build (defines window.shaka); it plays DASH and HLS.
  '/vendor/shaka-player.compiled.js': path.join(REPO_ROOT, 'node_modules/shaka-player/dist/shaka-player.compiled.js'),
};

/** hls.js (HLS), dash.js (DASH), or Shaka Player (either, by the URL's extension). */
export type PlayerKind = 'hls' | 'dash' | 'shaka';

export interface PlayerError {
  /** Milliseconds since the player was started. */
  readonly at: number;
  readonly source: 'hls.js' | 'dash.js' | 'shaka' | 'video' | 'page' | 'harness';
  /** hls.js `details` (e.g. manifestLoadError), dash.js `error-<code>`, or a MediaError name. */
  readonly name: string;
  readonly fatal: boolean;
  readonly detail?: unknown;
}

export interface PlayerEvent {
  readonly at: number;
  readonly source: string;
  readonly name: string;
  readonly detail?: unknown;
}

/** The video element showed pictures of this size from this position on (its first presented frame, or the 'resize' event without requestVideoFrameCallback). */
export interface VideoSize {
  readonly at: number;
  readonly currentTime: number;
  readonly width: number;
  readonly height: number;
}

interface Snapshot {
  readonly currentTime: number;
  readonly duration: number | null;
  readonly sizes: VideoSize[];
  readonly paused: boolean;
  readonly ended: boolean;
  readonly readyState: number;
  readonly buffered: [number, number][];
  readonly errors: PlayerError[];
  readonly events: PlayerEvent[];
}

export interface PlayOptions {
  readonly kind: PlayerKind;
  readonly url: string;
  /** Playback must pass this position (seconds). Default 4. */
  readonly minSeconds?: number;
  /** Give up after this long (ms), page load included. Default 15000. */
  readonly timeoutMs?: number;
  /** video.playbackRate, to play a long stream in a short test. Default 1. */
  readonly playbackRate?: number;
}

export interface PlaybackResult {
  readonly currentTime: number;
  readonly ended: boolean;
  /** video.duration when finite (a static presentation), else null. */
  readonly duration: number | null;
  /** Every picture size shown, in order, with the position it appeared at. */
  readonly sizes: VideoSize[];
  readonly reachedMinSeconds: boolean;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  /** Every player, video element and page error, fatal or not: a good playback has none. */
  readonly errors: PlayerError[];
  /** What happened, in order (player milestones, video events, console errors): for messages. */
  readonly events: PlayerEvent[];
}

export interface LiveWatchOptions {
  readonly kind: PlayerKind;
  readonly url: string;
  /** How long to watch once playback has started (s). Default 8. */
  readonly watchSeconds?: number;
  /** How long playback may take to start (ms). Default 15000. */
  readonly startTimeoutMs?: number;
  /** The longest the position may stand still for `keptAdvancing` (ms). Default 2000. */
  readonly maxStallMs?: number;
}

export interface LiveSample {
  /** Milliseconds since watching began. */
  readonly at: number;
  readonly currentTime: number;
}

export interface LiveWatchResult {
  readonly started: boolean;
  /** From opening the page to the first frame played (ms): a live playlist's startup latency. */
  readonly startupMs: number;
  readonly samples: LiveSample[];
  /** Position gained while watching (s). */
  readonly advancedSeconds: number;
  /** The longest stretch of wall time with no forward progress (ms). */
  readonly longestStallMs: number;
  /** Started, never stalled longer than maxStallMs, and gained at least half the watched time. */
  readonly keptAdvancing: boolean;
  readonly errors: PlayerError[];
  readonly events: PlayerEvent[];
}

export interface BrowserPlayer {
  /** The player page's origin (the `Origin` header media servers see). */
  readonly pageOrigin: string;
  /** Chromium's profile directory, fresh for this browser and removed by close(). */
  readonly userDataDir: string;
  playInBrowser(options: PlayOptions): Promise<PlaybackResult>;
  /** Plays a LIVE stream and checks that the position keeps advancing for a while. */
  watchLiveInBrowser(options: LiveWatchOptions): Promise<LiveWatchResult>;
  /** `MediaSource.isTypeSupported` in this browser, e.g. to see whether it plays H.264 or H.265. */
  isTypeSupported(mimeType: string): Promise<boolean>;
  /** Closes the browser (killing any process left behind) and the page server. Idempotent. */
  close(): Promise<void>;
}

/** Starts the player page server and chromium. Close it in an `after` hook. */
export async function launchBrowserPlayer(): Promise<BrowserPlayer> {
  const pages = await startStaticServer({ resolve: (urlPath) => PAGE_FILES[urlPath], cors: false });
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-chromium-'));
  let context: BrowserContext;
  try {
    context = await launchChromium(userDataDir);
  } catch (err) {
    await shutDown(undefined, userDataDir, pages);
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    pageOrigin: pages.origin,
    userDataDir,
    playInBrowser: (options) => withPlayerPage(context, pages.origin, options, play),
    watchLiveInBrowser: (options) => withPlayerPage(context, pages.origin, options, watchLive),
    isTypeSupported: (mimeType) => isTypeSupported(context, pages.origin, mimeType),
    close: () => (closing ??= shutDown(context, userDataDir, pages)),
  };
}

interface PlayerPage {
  readonly page: Page;
  /** Console errors and warnings (CORS refusals show up only there), as events. */
  readonly consoleEvents: PlayerEvent[];
  /** When the page was opened: timeouts count page load too. */
  readonly openedAt: number;
}

/** A fresh page on the player origin with the player started; closed whatever `run` does. */
async function withPlayerPage<O extends { kind: PlayerKind; url: string; playbackRate?: number }, R>(
  context: BrowserContext,
  pageOrigin: string,
  options: O,
  run: (player: PlayerPage, options: O) => Promise<R>,
): Promise<R> {
  const page = await context.newPage();
  try {
    // No HTTP cache: a playback must fetch what the server serves now, not what an earlier one got.
    // (setCacheDisabled only takes effect in a session that has enabled the Network domain.)
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const openedAt = Date.now();
    let startedAt = openedAt;
    const consoleEvents: PlayerEvent[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        consoleEvents.push({ at: Date.now() - startedAt, source: 'console', name: msg.type(), detail: msg.text() });
      }
    });
    await page.goto(`${pageOrigin}/player.html`, { waitUntil: 'load' });
    startedAt = Date.now();
    await page.evaluate(({ kind, url, playbackRate }) => (globalThis as unknown as PageApi).openkvsPlayer.start(kind, url, playbackRate), {
      kind: options.kind,
      url: options.url,
      playbackRate: options.playbackRate,
    });
    return await run({ page, consoleEvents, openedAt }, options);
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** What player-page.js puts on `window` (typed here: the project compiles without the DOM lib). */
interface PageApi {
  openkvsPlayer: { start(kind: PlayerKind, url: string, playbackRate?: number): void; snapshot(): Snapshot };
}

const snapshot = (page: Page) => page.evaluate(() => (globalThis as unknown as PageApi).openkvsPlayer.snapshot());

const hasFatalError = (s: Snapshot) => s.errors.some((e) => e.fatal);

/** Polls the page until `done` holds or the deadline passes; returns the last snapshot. */
async function pollUntil(page: Page, deadline: number, done: (s: Snapshot) => boolean): Promise<{ last: Snapshot; timedOut: boolean }> {
  for (;;) {
    const last = await snapshot(page);
    if (done(last)) return { last, timedOut: false };
    if (Date.now() >= deadline) return { last, timedOut: true };
    await sleep(100);
  }
}

/** Plays until the position passes minSeconds, the media ends, a fatal error, or the timeout. */
async function play(player: PlayerPage, options: PlayOptions): Promise<PlaybackResult> {
  const minSeconds = options.minSeconds ?? 4;
  const deadline = player.openedAt + (options.timeoutMs ?? 15_000);
  const { last, timedOut } = await pollUntil(player.page, deadline, (s) => s.currentTime >= minSeconds || s.ended || hasFatalError(s));
  return {
    currentTime: last.currentTime,
    ended: last.ended,
    duration: last.duration,
    sizes: last.sizes,
    reachedMinSeconds: last.currentTime >= minSeconds,
    timedOut,
    elapsedMs: Date.now() - player.openedAt,
    errors: last.errors,
    events: mergeEvents(last.events, player.consoleEvents),
  };
}

/** Waits for playback to start, then samples the position for watchSeconds. */
async function watchLive(player: PlayerPage, options: LiveWatchOptions): Promise<LiveWatchResult> {
  const watchMs = (options.watchSeconds ?? 8) * 1000;
  const startDeadline = player.openedAt + (options.startTimeoutMs ?? 15_000);
  const start = await pollUntil(player.page, startDeadline, (s) => (s.currentTime > 0 && !s.paused) || hasFatalError(s));
  const started = !start.timedOut && !hasFatalError(start.last);
  const startupMs = Date.now() - player.openedAt;
  const samples: LiveSample[] = [];
  let last = start.last;
  const watchStart = Date.now();
  while (started && Date.now() - watchStart < watchMs && !hasFatalError(last)) {
    samples.push({ at: Date.now() - watchStart, currentTime: last.currentTime });
    await sleep(250);
    last = await snapshot(player.page);
  }
  if (started) samples.push({ at: Date.now() - watchStart, currentTime: last.currentTime });
  const advancedSeconds = samples.length > 0 ? last.currentTime - samples[0]!.currentTime : 0;
  const longestStallMs = longestStall(samples);
  return {
    started,
    startupMs,
    samples,
    advancedSeconds,
    longestStallMs,
    keptAdvancing: started && longestStallMs <= (options.maxStallMs ?? 2000) && advancedSeconds >= watchMs / 2000,
    errors: last.errors,
    events: mergeEvents(last.events, player.consoleEvents),
  };
}

/** The longest wall-clock stretch between two samples over which the position did not move forward. */
export function longestStall(samples: readonly LiveSample[]): number {
  let longest = 0;
  let lastProgress = samples[0];
  for (const sample of samples) {
    if (!lastProgress) break;
    if (sample.currentTime > lastProgress.currentTime) lastProgress = sample;
    else longest = Math.max(longest, sample.at - lastProgress.at);
  }
  return longest;
}

function mergeEvents(pageEvents: PlayerEvent[], consoleEvents: PlayerEvent[]): PlayerEvent[] {
  return [...pageEvents, ...consoleEvents].sort((a, b) => a.at - b.at);
}

/** The one piece of the DOM's MediaSource we use (the project compiles without the DOM lib). */
interface MseGlobal {
  MediaSource: { isTypeSupported(type: string): boolean };
}

async function isTypeSupported(context: BrowserContext, pageOrigin: string, mimeType: string): Promise<boolean> {
  const page = await context.newPage();
  try {
    await page.goto(`${pageOrigin}/player.html`);
    return await page.evaluate((type) => (globalThis as unknown as MseGlobal).MediaSource.isTypeSupported(type), mimeType);
  } finally {
    await page.close().catch(() => undefined);
  }
}

/**
 * Closes chromium, then makes sure none of its processes outlived it (SIGKILL for stragglers),
 * removes its profile and stops the page server; each step runs even if an earlier one failed.
 */
async function shutDown(context: BrowserContext | undefined, userDataDir: string, pages: StaticServer): Promise<void> {
  const tree = browserProcessTree(userDataDir);
  try {
    await context?.close();
  } finally {
    await endProcesses(tree);
    await rm(userDataDir, { recursive: true, force: true });
    await pages.close();
  }
}
