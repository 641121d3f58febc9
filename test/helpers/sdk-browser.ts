import { build } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type PlayerError, type PlayerEvent } from './browser-player.js';
import { browserProcessTree, endProcesses } from './player/processes.js';
import { startStaticServer, type StaticServer } from './player/static-server.js';
import { REPO_ROOT } from './process.js';

/**
 * A web application calling openkvs from Debian's chromium with the AWS SDK for JavaScript, v3
 * (bundled here for the browser by esbuild) and v2 (its prebuilt browser build,
 * `aws-sdk/dist/aws-sdk.min.js`, which includes KinesisVideo and KinesisVideoArchivedMedia), and
 * playing what it gets with hls.js. The page is served from a loopback port of its own, so every
 * call is cross-origin: it works only if openkvs answers the browser's CORS preflights and lets
 * the page read its answers.
 *
 *   const browser = await launchSdkBrowser();
 *   const page = await browser.openPage('v3, open mode');
 *   const r = await page.call({ sdk: 'v3', service: 'KinesisVideo', operation: 'ListStreams', input: {}, endpoint, region, credentials });
 */

export type SdkVersion = 'v2' | 'v3';

export interface SdkCall {
  readonly sdk: SdkVersion;
  readonly service: 'KinesisVideo' | 'KinesisVideoArchivedMedia';
  /** The operation's name, e.g. GetDataEndpoint. */
  readonly operation: string;
  /** The input as JSON; numbers under `*Timestamp` keys are epoch ms and become Dates. */
  readonly input: Record<string, unknown>;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** What the application saw: the output, or the error as the SDK named it. */
export type SdkCallResult =
  | { readonly ok: true; readonly data: Record<string, unknown>; readonly status: number; readonly requestId: string | undefined }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly status: number | undefined; readonly requestId: string | undefined };

export interface PlayResult {
  readonly currentTime: number;
  readonly timedOut: boolean;
  readonly errors: PlayerError[];
  readonly events: PlayerEvent[];
}

export interface SdkPage {
  call(request: SdkCall): Promise<SdkCallResult>;
  /** Plays an HLS URL with hls.js until the position passes minSeconds, a fatal error or the timeout. */
  play(url: string, minSeconds: number, timeoutMs?: number): Promise<PlayResult>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

export interface SdkBrowser {
  /** The page's origin: the `Origin` openkvs sees. */
  readonly pageOrigin: string;
  openPage(title: string): Promise<SdkPage>;
  /** Closes chromium (killing any process left behind) and the page server, removes temp files. Idempotent. */
  close(): Promise<void>;
}

const PAGE_DIR = path.join(REPO_ROOT, 'test/helpers/sdk-page');

/**
 * v3 for the browser, as a web app's bundler would make it: esbuild picks the packages' `browser`
 * entries (fetch handler, WebCrypto hashing, no node:* modules). An IIFE, loaded by a script tag.
 */
async function bundleSdkV3(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(PAGE_DIR, 'sdk-v3-entry.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome110',
    minify: true,
    logLevel: 'silent',
  });
}

export async function launchSdkBrowser(): Promise<SdkBrowser> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'openkvs-sdk-page-'));
  const files: Record<string, string> = {
    '/sdk-page.html': path.join(PAGE_DIR, 'sdk-page.html'),
    '/sdk-page.js': path.join(PAGE_DIR, 'sdk-page.js'),
    '/sdk-v3.js': path.join(workDir, 'sdk-v3.js'),
    '/player-page.js': path.join(REPO_ROOT, 'test/helpers/player/player-page.js'),
    '/vendor/hls.min.js': path.join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js'),
    '/vendor/aws-sdk.min.js': path.join(REPO_ROOT, 'node_modules/aws-sdk/dist/aws-sdk.min.js'),
  };
  let pages: StaticServer | undefined;
  let context: BrowserContext | undefined;
  const userDataDir = path.join(workDir, 'profile');
  const shutDown = async () => {
    const tree = browserProcessTree(userDataDir);
    try {
      await context?.close();
    } finally {
      await endProcesses(tree);
      await pages?.close();
      await rm(workDir, { recursive: true, force: true });
    }
  };
  try {
    await bundleSdkV3(files['/sdk-v3.js']!);
    // The page server sends no CORS headers: it serves its own origin only.
    pages = await startStaticServer({ resolve: (urlPath) => files[urlPath], cors: false });
    context = await launchChromium(userDataDir, { viewport: { width: 900, height: 600 } });
  } catch (err) {
    await shutDown();
    throw err;
  }
  const origin = pages.origin;
  const browserContext = context;
  let closing: Promise<void> | undefined;
  return {
    pageOrigin: origin,
    openPage: async (title) => openPage(browserContext, origin, title),
    close: () => (closing ??= shutDown()),
  };
}

/** What sdk-page.js and player-page.js put on `window` (typed here: the project compiles without the DOM lib). */
interface PageApi {
  openkvsSdkPage: { setTitle(text: string): void; note(text: string, ok: boolean): void; call(request: SdkCall): Promise<SdkCallResult> };
  openkvsPlayer: { start(kind: 'hls', url: string): void; snapshot(): { currentTime: number; errors: PlayerError[]; events: PlayerEvent[] } };
}

async function openPage(context: BrowserContext, origin: string, title: string): Promise<SdkPage> {
  const page: Page = await context.newPage();
  // Console errors name CORS refusals, which the SDKs only see as network failures.
  const consoleEvents: PlayerEvent[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleEvents.push({ at: 0, source: 'console', name: 'error', detail: msg.text() });
  });
  await page.goto(`${origin}/sdk-page.html`, { waitUntil: 'load' });
  await page.evaluate((text) => (globalThis as unknown as PageApi).openkvsSdkPage.setTitle(text), `${title} — page at ${origin}`);
  return {
    call: (request) => page.evaluate((r) => (globalThis as unknown as PageApi).openkvsSdkPage.call(r), request),
    async play(url, minSeconds, timeoutMs = 20_000) {
      await page.evaluate((u) => (globalThis as unknown as PageApi).openkvsPlayer.start('hls', u), url);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await page.evaluate(() => (globalThis as unknown as PageApi).openkvsPlayer.snapshot());
        const timedOut = Date.now() >= deadline;
        if (s.currentTime >= minSeconds || s.errors.some((e) => e.fatal) || timedOut) {
          const summary = `[hls.js] played to ${s.currentTime.toFixed(2)} s, ${s.errors.length} error(s)${timedOut ? ', timed out' : ''}`;
          await page.evaluate(([text, ok]) => (globalThis as unknown as PageApi).openkvsSdkPage.note(text, ok), [summary, s.errors.length === 0 && !timedOut] as const);
          return { currentTime: s.currentTime, timedOut, errors: s.errors, events: [...s.events, ...consoleEvents] };
        }
        await sleep(100);
      }
    },
    async screenshot(file) {
      await page.screenshot({ path: file, fullPage: true });
    },
    close: () => page.close().catch(() => undefined),
  };
}
