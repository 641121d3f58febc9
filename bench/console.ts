/**
 * Web console figures, in Debian's chromium on this machine, against the real server
 * (`bin/openkvs.cjs serve`, a child process), through the console's own public-API calls:
 *
 *   1. the streams page with --streams streams (default 1,000): from navigation to the frame
 *      after every row is in the DOM (target ≤ 1 s);
 *   2. a stream page whose archive holds --days days (default 7) of 2-s fragments (302,400):
 *      the first screen (DescribeStream, GetDataEndpoint and the newest hour of ListFragments,
 *      drawn; target ≤ 2 s) and the whole timeline, filled in progressively from ListFragments
 *      pages of 1,000 (target ≤ 10 s); then the 7-day view drawn from all of them (per pixel
 *      column, no DOM node per fragment).
 *
 * The index is seeded straight into SQLite with IndexStore.commitFragments (the ingest's group
 * commit path); the fragments have no media bytes behind them (thumbnails are not part of these
 * figures). Prints figures and exits non-zero when a target is missed.
 *
 *   npm run build && node dist/bench/console.js [--streams 1000] [--days 7] [--rounds 3] [--dir DIR] [--reuse DATADIR]
 *
 * --reuse DATADIR seeds DATADIR only if it holds no index yet, and keeps it afterwards (seeding
 * takes most of a minute); the archive then ends when it was seeded, so use it within a day.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { encodeFrameIndex } from '../src/domain/frame-index.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { launchChromium } from '../test/helpers/browser-player.js';
import { browserProcessTree, endProcesses } from '../test/helpers/player/processes.js';
import { REPO_ROOT, spawnServer } from '../test/helpers/process.js';
import { createBenchStreams } from './index-fixture.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    days: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    reuse: { type: 'string' },
  },
});
const STREAMS = Number(args.streams);
const DAYS = Number(args.days);
const ROUNDS = Number(args.rounds);
const FRAGMENT_MS = 2000;
const FRAGMENTS = Math.round((DAYS * 86_400_000) / FRAGMENT_MS);
const WEEK = 'week';
const TARGETS = { streamsMs: 1000, firstScreenMs: 2000, wholeTimelineMs: 10_000 };

async function seed(dataDir: string): Promise<void> {
  const index = SqliteIndexStore.open(path.join(dataDir, 'index.sqlite'));
  try {
    await createBenchStreams(index, STREAMS - 1, { dataRetentionInHours: 24 });
    const now = Date.now();
    const stream = await index.createStream(
      {
        name: WEEK, arn: `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${WEEK}/${now}`,
        deviceName: null, mediaType: 'video/h264', kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:alias/aws/kinesisvideo',
        version: 'v1', status: 'ACTIVE', creationTimeMs: now - DAYS * 86_400_000, dataRetentionInHours: DAYS * 24 + 1, storageTier: 'HOT',
        imageGenerationConfiguration: null, notificationConfiguration: null,
      },
      {},
    );
    if (!stream) throw new Error('stream exists');
    const headerId = await index.putTrackHeader('sha256:bench-console', new Uint8Array(700));
    const frameIndex = encodeFrameIndex([{ track: 1, timecode: 0, duration: FRAGMENT_MS, key: true, offset: 200, size: 400_000 }]);
    const first = await index.reserveFragmentSequence(FRAGMENTS);
    // The newest fragment ends a few seconds ago; a few gaps (a camera offline now and then).
    const startMs = now - 5_000 - FRAGMENTS * FRAGMENT_MS;
    for (let at = 0; at < FRAGMENTS; at += 1000) {
      const batch: NewFragment[] = [];
      for (let i = at; i < Math.min(FRAGMENTS, at + 1000); i++) {
        if (i % 20_000 < 600) continue; // 20 min off every ~11 h
        const t = startMs + i * FRAGMENT_MS;
        batch.push({
          streamId: stream.streamId, fragmentNumber: formatFragmentNumber(first + BigInt(i)), clusterTimecode: i * FRAGMENT_MS,
          producerTimestampMs: t, serverTimestampMs: t + 300, durationMs: FRAGMENT_MS,
          size: 400_000 + (i % 1000), headerId, location: { key: `streams/${stream.streamId}/0000000001.seg`, offset: 0 },
          frameIndex, tags: [],
        });
      }
      if (batch.length) await index.commitFragments(batch);
    }
  } finally {
    await index.close();
  }
}

/** ms since navigation start of a performance mark, waiting for it. */
async function markTime(page: Page, name: string, timeoutMs: number): Promise<number> {
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: timeoutMs, polling: 50 });
  return page.evaluate((n) => performance.getEntriesByName(n)[0]!.startTime, name);
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const dir = args.reuse ? path.resolve(args.reuse) : await mkdtemp(path.join(args.dir ?? tmpdir(), 'openkvs-bench-console-'));
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-bench-chromium-'));
  let context: BrowserContext | undefined;
  const server = { stop: async () => 0 as number | null };
  let failed = false;
  try {
    const t0 = performance.now();
    if (!args.reuse || !existsSync(path.join(dir, 'index.sqlite'))) await mkdir(dir, { recursive: true }).then(() => seed(dir));
    else console.log(`reusing ${dir}`);
    if (!args.reuse || performance.now() - t0 > 1000) console.log(`seeded ${STREAMS} streams and ${FRAGMENTS.toLocaleString()} fragment slots (${DAYS} d of 2-s fragments, with gaps) in ${fmt(performance.now() - t0)}`);
    const running = await spawnServer(process.execPath, [path.join(REPO_ROOT, 'bin/openkvs.cjs'), 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'info'], {});
    server.stop = () => running.stop();
    context = await launchChromium(userDataDir, { viewport: { width: 1280, height: 860 } });
    console.log(`chromium ${context.browser()?.version() ?? ''}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    const streamsMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const page = await context.newPage();
      await page.goto(`${running.url}/`);
      const ms = await markTime(page, 'openkvs:streams-drawn', 30_000);
      const rows = await page.locator('.streams').getAttribute('data-rows');
      if (Number(rows) !== STREAMS) throw new Error(`${rows} rows drawn, expected ${STREAMS}`);
      streamsMs.push(ms);
      await page.close();
    }
    console.log(`streams page, ${STREAMS} streams drawn: ${streamsMs.map(fmt).join(', ')} (target ≤ ${fmt(TARGETS.streamsMs)})`);
    if (Math.max(...streamsMs) > TARGETS.streamsMs) failed = true;

    const firsts: number[] = [];
    const wholes: number[] = [];
    let weekDrawMs = 0;
    let count = '';
    for (let round = 0; round < ROUNDS; round++) {
      const page = await context.newPage();
      await page.goto(`${running.url}/#/streams/${WEEK}`);
      firsts.push(await markTime(page, 'openkvs:timeline-first', 30_000));
      wholes.push(await markTime(page, 'openkvs:timeline-complete', 120_000));
      count = `${Number(await page.getByTestId('archive-count').getAttribute('data-count')).toLocaleString('en')} fragments`;
      // The whole 7-day view, from all of them: time from the click to the painted frame.
      weekDrawMs = await page.evaluate(async () => {
        // Typed loosely: the project compiles without the DOM lib.
        const g = globalThis as unknown as {
          document: { querySelectorAll(s: string): Iterable<{ textContent: string | null; click(): void }> };
          requestAnimationFrame(cb: () => void): void;
        };
        const button = [...g.document.querySelectorAll('button')].find((b) => b.textContent === '7 d')!;
        const t = performance.now();
        button.click();
        await new Promise((r) => g.requestAnimationFrame(() => setTimeout(r, 0)));
        return performance.now() - t;
      });
      if (round === ROUNDS - 1) {
        await mkdir(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
        await page.screenshot({ path: path.join(REPO_ROOT, 'test-artifacts', 'bench-console-week.png'), fullPage: true });
      }
      await page.close();
    }
    console.log(`stream page, ${count}: first screen ${firsts.map(fmt).join(', ')} (target ≤ ${fmt(TARGETS.firstScreenMs)})`);
    console.log(`  whole ${DAYS}-day timeline loaded and drawn: ${wholes.map(fmt).join(', ')} (target ≤ ${fmt(TARGETS.wholeTimelineMs)})`);
    console.log(`  ${DAYS}-day view redrawn from every fragment (per pixel column): ${weekDrawMs.toFixed(0)} ms`);
    if (Math.max(...firsts) > TARGETS.firstScreenMs || Math.max(...wholes) > TARGETS.wholeTimelineMs) failed = true;
  } finally {
    const tree = browserProcessTree(userDataDir);
    await context?.close().catch(() => undefined);
    await endProcesses(tree);
    await server.stop();
    await rm(userDataDir, { recursive: true, force: true });
    if (!args.reuse) await rm(dir, { recursive: true, force: true });
  }
  if (failed) {
    console.log('a target was missed');
    process.exitCode = 1;
  }
}

await main();
