/**
 * ListFragments figures (prints, asserts nothing). A stream of --fragments fragments (default
 * 100 000: 2-s fragments with a 60-frame index each, ~55 hours of one camera) is seeded straight
 * into the SQLite index with IndexStore.commitFragments (the ingest's group-commit path), then:
 *
 *   1. the index alone: SqliteIndexStore.listFragments pages of 1001 rows, in process;
 *   2. the real server (`bin/openkvs.cjs serve`, a child process) over loopback HTTP: the whole
 *      stream listed in pages of MaxResults 1000 following NextToken, without a selector, with a
 *      SERVER_TIMESTAMP selector spanning everything, and with a PRODUCER_TIMESTAMP selector on a
 *      slice in the middle; per page, from sending the request to the last byte of the answer;
 *   3. in the same run, alternating request by request with 2: a bare node:http server (another
 *      child process) answering JSON.stringify of a 1000-item Fragments array of the same shape
 *      and size: what any JSON API pays for the page, without the index.
 *
 *   npm run build && node dist/bench/list.js [--fragments 100000] [--rounds 3] [--dir DIR]
 *
 * DIR (default: the OS temp folder) holds the data dir; put it on the disk under test.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { seedListedStream } from './index-fixture.js';
import { REPO_ROOT, spawnServer } from '../test/helpers/process.js';
import { showStats, stats, type Stats } from './stats.js';

const { values: args } = parseArgs({
  options: {
    fragments: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
});
const FRAGMENTS = Number(args.fragments);
const ROUNDS = Number(args.rounds);
const PAGE = 1000;
const TARGET_P99_MS = 20;
const STREAM = 'bench-list';
const BASE_MS = 1_700_000_000_000;
const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');

type Lister = (index: SqliteIndexStore, streamId: number, afterNumber: string | undefined) => Promise<{ fragmentNumber: string }[]>;

/**
 * 1: pages straight from the index (what the operation asks for: a page plus one row), as full
 * records (listFragments) and as summaries (listFragmentSummaries, what ListFragments uses).
 */
async function benchIndex(dataDir: string, list: Lister): Promise<Stats> {
  const index = SqliteIndexStore.open(path.join(dataDir, 'index.sqlite'));
  try {
    const stream = (await index.getStreamByName(STREAM))!;
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let after: string | undefined;
      for (;;) {
        const t0 = performance.now();
        const rows = await list(index, stream.streamId, after);
        samples.push(performance.now() - t0);
        if (rows.length <= PAGE) break;
        after = rows[PAGE - 1]!.fragmentNumber;
      }
    }
    return stats(samples);
  } finally {
    await index.close();
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One POST over the kept-alive connection; resolves with the body and the time to its last byte. */
function post(url: string, body: string): Promise<{ ms: number; text: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
        else resolve({ ms, text: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A bare node:http server answering JSON.stringify of `page` (a real ListFragments answer) to every request. */
async function startBaseline(page: string): Promise<{ url: string; stop: () => void }> {
  // The page arrives on stdin (too large for argv).
  const code = `let input = ''; process.stdin.on('data', (d) => (input += d)).on('end', () => { const page = JSON.parse(input);
    require('http').createServer((q, s) => { q.resume(); q.on('end', () => { const t = JSON.stringify(page);
      s.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) }); s.end(t); }); })
      .listen(0, '127.0.0.1', function () { console.log(this.address().port); }); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.end(page);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}/`, stop: () => child.kill('SIGKILL') };
}

type Selector = Record<string, unknown> | undefined;

interface HttpResult {
  readonly openkvs: Stats;
  readonly baseline: Stats;
  /** Per page position, the fastest of the rounds: what is left once the machine's noise is taken out. */
  readonly openkvsBest: Stats;
  readonly baselineBest: Stats;
  readonly pages: number;
  readonly bytes: number;
}

/** 2 + 3: the whole stream page by page through openkvs, each page followed by one baseline request. */
async function benchHttp(url: string, baselineUrl: string, selector: Selector): Promise<HttpResult> {
  const openkvs: number[][] = [];
  const baseline: number[][] = [];
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let token: string | undefined;
    let position = 0;
    do {
      const page = await post(`${url}/listFragments`, JSON.stringify({ StreamName: STREAM, MaxResults: PAGE, NextToken: token, FragmentSelector: selector }));
      (openkvs[position] ??= []).push(page.ms);
      (baseline[position] ??= []).push((await post(baselineUrl, '{}')).ms);
      const parsed = JSON.parse(page.text) as { Fragments: unknown[]; NextToken: string | null };
      token = parsed.NextToken ?? undefined;
      bytes += page.text.length;
      position++;
    } while (token);
  }
  const best = (perPage: number[][]) => stats(perPage.map((samples) => Math.min(...samples)));
  const pages = openkvs.length;
  return { openkvs: stats(openkvs.flat()), baseline: stats(baseline.flat()), openkvsBest: best(openkvs), baselineBest: best(baseline), pages, bytes: bytes / (pages * ROUNDS) };
}

function range(type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP', startMs: number, endMs: number): Selector {
  return { FragmentSelectorType: type, TimestampRange: { StartTimestamp: startMs / 1000, EndTimestamp: endMs / 1000 } };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(args.dir ?? tmpdir(), 'openkvs-bench-list-'));
  try {
    console.log(`ListFragments over one stream of ${FRAGMENTS} fragments, pages of ${PAGE}, ${ROUNDS} rounds; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`  seeded through IndexStore.commitFragments in ${(await seedListedStream(dataDir, STREAM, FRAGMENTS, BASE_MS) / 1000).toFixed(1)} s`);
    const records: Lister = (index, streamId, afterNumber) => index.listFragments(streamId, { afterNumber, limit: PAGE + 1 });
    const summaries: Lister = (index, streamId, afterNumber) => index.listFragmentSummaries(streamId, { afterNumber, limit: PAGE + 1 });
    console.log(`  (1) index alone, listFragments (full records), pages of ${PAGE + 1}: ${showStats(await benchIndex(dataDir, records))}`);
    console.log(`  (1) index alone, listFragmentSummaries, pages of ${PAGE + 1}: ${showStats(await benchIndex(dataDir, summaries))}`);
    const server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir, OPENKVS_LOG_LEVEL: 'info' });
    try {
      const firstPage = await post(`${server.url}/listFragments`, JSON.stringify({ StreamName: STREAM, MaxResults: PAGE }));
      const baseline = await startBaseline(firstPage.text);
      try {
        const variants: [string, Selector][] = [
          ['no selector', undefined],
          ['SERVER_TIMESTAMP, all', range('SERVER_TIMESTAMP', BASE_MS, BASE_MS + FRAGMENTS * 2000 + 1000)],
          ['PRODUCER_TIMESTAMP, middle 10%', range('PRODUCER_TIMESTAMP', BASE_MS + FRAGMENTS * 900, BASE_MS + FRAGMENTS * 1100 - 1)],
          ['SERVER_TIMESTAMP, last hour', range('SERVER_TIMESTAMP', BASE_MS + FRAGMENTS * 2000 - 3_600_000, BASE_MS + FRAGMENTS * 2000)],
        ];
        for (const [label, selector] of variants) {
          const r = await benchHttp(server.url, baseline.url, selector);
          const verdict = r.openkvs.p99 <= TARGET_P99_MS ? 'met' : 'MISSED';
          console.log(`  (2) openkvs, ${label}: ${r.pages} pages of ~${Math.round(r.bytes / 1024)} KiB; ${showStats(r.openkvs)}  (target p99 <= ${TARGET_P99_MS} ms: ${verdict})`);
          console.log(`  (3) bare node:http, same pages' JSON: ${showStats(r.baseline)}; ratio openkvs/bare p50 ${(r.openkvs.p50 / r.baseline.p50).toFixed(2)}, p99 ${(r.openkvs.p99 / r.baseline.p99).toFixed(2)}`);
          console.log(`      fastest of ${ROUNDS} rounds per page: openkvs ${showStats(r.openkvsBest)}; bare ${showStats(r.baselineBest)}; ratio p50 ${(r.openkvsBest.p50 / r.baselineBest.p50).toFixed(2)}`);
        }
      } finally {
        baseline.stop();
      }
    } finally {
      agent.destroy();
      await server.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
