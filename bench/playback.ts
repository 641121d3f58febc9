/**
 * HLS/DASH playback figures (prints, asserts nothing), against the real server
 * (`bin/openkvs.cjs serve`, a child process) over loopback, each next to a bare node:http server
 * (another child process) answering the same number of bytes, measured in the same run:
 *
 *   (a) LIVE latency: a producer (the PutMedia client, one request) sends a small fragment every
 *       --interval-ms; for each, the time from its PERSISTED ack reaching the producer to the
 *       LIVE media playlist listing it, two ways: a blocking reload (`_HLS_msn`, RFC 8216bis,
 *       asked before the fragment is sent: the server answers when the fragment is indexed) and
 *       a plain reload sent on the ack. Baseline: a GET of a playlist-sized body. Target p99 ≤ 50 ms.
 *   (b) an ON_DEMAND media playlist of --fragments fragments (MaxMediaPlaylistFragmentResults,
 *       the stream seeded through PutMedia): time per GET, sequential, kept-alive, first (the
 *       one that builds it) and every later one, alternating with the baseline. Target p99 ≤ 10 ms.
 *   (c) media-segment throughput: curl with --clients parallel transfers, each slot on its own
 *       kept-alive connection, fetching --transfers fMP4 media segments (getMP4MediaFragment.mp4)
 *       of ~--segment-kb KB, rounds alternating with the baseline serving equal-size bodies; MB/s
 *       of bodies received, median of --rounds. Target ≥ 500 MB/s.
 *
 *   npm run build && node dist/bench/playback.js [--samples 100] [--interval-ms 200]
 *     [--fragments 5000] [--requests 200] [--clients 100] [--transfers 4000] [--rounds 3]
 *     [--segment-kb 1000] [--dir DIR]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { putMedia, type AckEvent } from '../src/client/index.js';
import { MatroskaId } from '../src/formats/matroska/ids.js';
import { element, simpleBlockElement, uintElement } from '../src/formats/matroska/writer.js';
import { outlineMkv } from '../test/helpers/mkv-outline.js';
import { REPO_ROOT, spawnServer } from '../test/helpers/process.js';
import { median, percentile, showStats, stats } from './stats.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '100' },
    'interval-ms': { type: 'string', default: '200' },
    fragments: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '200' },
    clients: { type: 'string', default: '100' },
    transfers: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '3' },
    'segment-kb': { type: 'string', default: '1000' },
    dir: { type: 'string' },
  },
});
// Benchmarks talk to loopback only. With no AWS credentials set, the credential chain of the
// PutMedia client ends by asking EC2 instance metadata (169.254.169.254).
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
/** The fixture whose EBML header, Info and Tracks (H.264 + AAC, unknown-size Segment) every generated stream uses. */
const HEADER_FIXTURE = path.join(REPO_ROOT, 'test/fixtures/h264-unknown-size.mkv');
const START_MS = 1_700_000_000_000;

// ---------------------------------------------------------------- figures

const ms = (x: number) => `${x.toFixed(2)} ms`;
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

// ---------------------------------------------------------------- media

/** EBML header, Segment (unknown size), Info, Tracks and Tags of the fixture: everything before its first Cluster. */
function streamHeader(): Uint8Array {
  const bytes = readFileSync(HEADER_FIXTURE);
  const first = outlineMkv(bytes).clusters[0];
  if (!first) throw new Error(`${HEADER_FIXTURE} has no Cluster`);
  return bytes.subarray(0, first.offset);
}

/**
 * One fragment: a known-size Cluster at `timecodeMs` with `videoFrames` video frames of
 * `frameBytes` bytes (33 ms apart, the first a key frame) and one AAC frame, since the header
 * declares both tracks and PutMedia wants frames of every track. Payloads are filler: the
 * resources measured here copy them, they never decode them.
 */
function cluster(timecodeMs: number, videoFrames: number, frameBytes: number): Uint8Array {
  const blocks = [simpleBlockElement({ track: 2, timecode: 0, key: true, frames: [new Uint8Array(64).fill(0x21)] })];
  for (let i = 0; i < videoFrames; i++) {
    blocks.push(simpleBlockElement({ track: 1, timecode: i * 33, key: i === 0, frames: [new Uint8Array(frameBytes).fill(i % 251)] }));
  }
  return element(MatroskaId.Cluster, [uintElement(MatroskaId.Timestamp, timecodeMs), ...blocks]);
}

// ---------------------------------------------------------------- HTTP

/** GET over `agent`; the body and the time to its last byte. */
function get(url: string, agent: http.Agent): Promise<{ ms: number; body: Buffer; end: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const end = performance.now();
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} for ${url}: ${Buffer.concat(chunks).toString()}`));
          else resolve({ ms: end - t0, body: Buffer.concat(chunks), end });
        });
      })
      .on('error', reject);
  });
}

async function postJson(url: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}: ${text}`);
  return JSON.parse(text) as Record<string, string>;
}

/** A bare node:http server answering `bytes` zero bytes to every GET (bytes from the query: ?n=123), or a fixed size. */
async function startBaseline(): Promise<{ url: string; stop: () => void }> {
  const code = `const bodies = new Map();
    require('http').createServer((q, s) => { const n = Number(new URL(q.url, 'http://x').searchParams.get('n'));
      let b = bodies.get(n); if (!b) bodies.set(n, (b = Buffer.alloc(n, 7)));
      s.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n }); s.end(b); })
      .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}/`, stop: () => child.kill('SIGKILL') };
}

const playlistLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

/** The first media playlist a session's master playlist names, as an absolute URL. */
async function mediaPlaylistUrl(sessionUrl: string, agent: http.Agent): Promise<string> {
  const master = (await get(sessionUrl, agent)).body.toString();
  const first = playlistLines(master)[0];
  if (!first) throw new Error(`no media playlist in ${master}`);
  return new URL(first, sessionUrl).toString();
}

async function createStream(server: string, name: string): Promise<void> {
  await postJson(`${server}/createStream`, { StreamName: name, DataRetentionInHours: 24 });
}

// ---------------------------------------------------------------- (a) LIVE latency

interface Persisted {
  readonly fragmentNumber: string;
  /** performance.now() when the producer read the PERSISTED ack. */
  readonly at: number;
}

/** One PutMedia request that sends a fragment each time send() is called and resolves at its PERSISTED ack. */
class StepProducer {
  /** Fragments asked for and not yet sent: send() may run before the body generator waits. */
  private permits = 0;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly pending: Array<(persisted: Persisted) => void> = [];
  readonly done: Promise<unknown>;

  constructor(server: string, stream: string, intervalMs: number) {
    const self = this;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield streamHeader();
      for (let k = 0; ; k++) {
        while (self.permits === 0 && !self.stopped) await new Promise<void>((resolve) => (self.wake = resolve));
        if (self.stopped) return;
        self.permits--;
        yield cluster(k * intervalMs, 3, 2000);
      }
    }
    const session = putMedia({ endpoint: server, streamName: stream, body: body(), timecodeType: 'RELATIVE', producerStartTimestampMs: Date.now() });
    this.done = (async () => {
      for await (const ack of session) this.onAck(ack);
      return session.done;
    })();
  }

  private onAck(ack: AckEvent): void {
    if (ack.type === 'ERROR') throw new Error(`producer: error ack ${ack.errorId} ${ack.errorCode}`);
    if (ack.type === 'PERSISTED') this.pending.shift()?.({ fragmentNumber: ack.fragmentNumber ?? '', at: performance.now() });
  }

  send(): Promise<Persisted> {
    const persisted = new Promise<Persisted>((resolve) => this.pending.push(resolve));
    this.permits++;
    this.wake?.();
    return persisted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }
}

async function benchLiveLatency(server: string, baseline: string): Promise<void> {
  const samples = Number(args.samples);
  const intervalMs = Number(args['interval-ms']);
  await createStream(server, 'live');
  const producer = new StepProducer(server, 'live', intervalMs);
  const agents = [0, 1, 2].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const [blockingAgent, pollAgent, baseAgent] = agents as [http.Agent, http.Agent, http.Agent];
  try {
    await producer.send();
    const { HLSStreamingSessionURL: url } = await postJson(`${server}/getHLSStreamingSessionURL`, { StreamName: 'live', PlaybackMode: 'LIVE' });
    const playlist = await mediaPlaylistUrl(url!, pollAgent);
    const first = (await get(playlist, pollAgent)).body.toString();
    let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(first)![1]) + playlistLines(first).length;
    const blocked: number[] = [];
    const polled: number[] = [];
    const base: number[] = [];
    let early = 0;
    let unseen = 0;
    for (let k = 0; k < samples; k++) {
      const started = performance.now();
      const blocking = get(`${playlist}&_HLS_msn=${msn++}`, blockingAgent);
      // Let the blocking request reach the server and wait there before the fragment exists.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const persisted = await producer.send();
      const poll = await get(playlist, pollAgent);
      polled.push(poll.end - persisted.at);
      if (!poll.body.includes(persisted.fragmentNumber)) unseen++;
      const answer = await blocking;
      if (!answer.body.includes(persisted.fragmentNumber)) throw new Error(`the blocking reload for ${msn - 1} did not list ${persisted.fragmentNumber}`);
      if (answer.end < persisted.at) early++;
      blocked.push(answer.end - persisted.at);
      base.push((await get(`${baseline}?n=${poll.body.length}`, baseAgent)).ms);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - started))));
    }
    const b = stats(blocked);
    console.log(`(a) LIVE: PERSISTED ack → media playlist listing the fragment, ${samples} fragments every ${intervalMs} ms`);
    console.log(`    blocking reload (_HLS_msn), answer − ack: ${showStats(b)}; ${early}/${samples} answered before the producer read the ack (negative)  (target p99 <= 50 ms: ${verdict(b.p99 <= 50)})`);
    const p = stats(polled);
    console.log(`    plain reload sent on the ack: ${showStats(p)}; listed at the ack: ${samples - unseen}/${samples}  (target p99 <= 50 ms: ${verdict(p.p99 <= 50)})`);
    const s = stats(base);
    console.log(`    bare node:http, a playlist-sized GET: ${showStats(s)}; ratio plain reload/bare p50 ${(p.p50 / s.p50).toFixed(2)}, p99 ${(p.p99 / s.p99).toFixed(2)}`);
  } finally {
    agents.forEach((a) => a.destroy());
    await producer.stop();
  }
}

// ---------------------------------------------------------------- (b) ON_DEMAND playlist

/** Sends `count` clusters `spacingMs` apart through one unpaced PutMedia request; returns how many were PERSISTED. */
async function ingest(server: string, stream: string, count: number, spacingMs: number, videoFrames: number, frameBytes: number): Promise<number> {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield streamHeader();
    for (let k = 0; k < count; k++) yield cluster(k * spacingMs, videoFrames, frameBytes);
  }
  const session = putMedia({ endpoint: server, streamName: stream, body: body(), timecodeType: 'RELATIVE', producerStartTimestampMs: START_MS });
  for await (const ack of session) if (ack.type === 'ERROR') throw new Error(`ingest: error ack ${ack.errorId} ${ack.errorCode}`);
  return (await session.done).acks.PERSISTED;
}

async function onDemandSession(server: string, stream: string, fragments: number): Promise<string> {
  const selector = { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: START_MS / 1000, EndTimestamp: (START_MS + fragments * 2000) / 1000 } };
  const input = { StreamName: stream, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: selector, MaxMediaPlaylistFragmentResults: Math.min(fragments, 5000) };
  return (await postJson(`${server}/getHLSStreamingSessionURL`, input)).HLSStreamingSessionURL!;
}

async function benchOnDemandPlaylist(server: string, baseline: string): Promise<void> {
  const fragments = Number(args.fragments);
  const requests = Number(args.requests);
  await createStream(server, 'vod');
  const seedStart = performance.now();
  const persisted = await ingest(server, 'vod', fragments, 2000, 2, 300);
  const seedMs = performance.now() - seedStart;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const playlist = await mediaPlaylistUrl(await onDemandSession(server, 'vod', fragments), agent);
    const first = await get(playlist, agent);
    const listed = playlistLines(first.body.toString()).length;
    const openkvs: number[] = [];
    const bare: number[] = [];
    for (let k = 0; k < requests; k++) {
      openkvs.push((await get(playlist, agent)).ms);
      bare.push((await get(`${baseline}?n=${first.body.length}`, agent)).ms);
    }
    // Nothing cached: a new session for each request, its playlist built from the index.
    const fresh: number[] = [];
    for (let k = 0; k < 10; k++) fresh.push((await get(await mediaPlaylistUrl(await onDemandSession(server, 'vod', fragments), agent), agent)).ms);
    const o = stats(openkvs);
    const b = stats(bare);
    console.log(`(b) ON_DEMAND media playlist: ${listed} segments, ${(first.body.length / 1e6).toFixed(2)} MB (stream seeded through PutMedia: ${persisted} fragments in ${(seedMs / 1000).toFixed(1)} s)`);
    console.log(`    first GET (builds and caches it): ${ms(first.ms)}; a new session each time (nothing cached): ${showStats(stats(fresh))}`);
    console.log(`    openkvs, every later GET: ${showStats(o)}  (target p99 <= 10 ms: ${verdict(o.p99 <= 10)})`);
    console.log(`    bare node:http, same size: ${showStats(b)}; ratio openkvs/bare p50 ${(o.p50 / b.p50).toFixed(2)}, p99 ${(o.p99 / b.p99).toFixed(2)}`);
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------- (c) segment throughput

/**
 * `transfers` GETs of `urls` (in turn) by curl, at most `clients` at once (libcurl's parallel
 * mode: one connection per transfer slot, kept alive); MB/s of bodies received. curl, not a
 * node client: on a 2-core box a node load generator needs as much CPU as the server it loads.
 */
async function throughput(urls: readonly string[], clients: number, transfers: number, configFile: string): Promise<number> {
  const config = Array.from({ length: transfers }, (_, k) => `url = "${urls[k % urls.length]!}"\noutput = "/dev/null"\n`).join('');
  await writeFile(configFile, config);
  const started = performance.now();
  const curl = spawn('curl', ['-s', '--no-progress-meter', '--parallel', '--parallel-max', String(clients), '-w', '%{http_code} %{size_download}\\n', '-K', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  curl.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(curl, 'exit')) as [number | null];
  const elapsedMs = performance.now() - started;
  const lines = out.trim().split('\n');
  if (code !== 0 || lines.length !== transfers || lines.some((l) => !l.startsWith('200 '))) throw new Error(`curl exited with ${code}; ${lines.find((l) => !l.startsWith('200 '))}`);
  const bytes = lines.reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
  return bytes / 1e6 / (elapsedMs / 1000);
}

async function benchSegments(server: string, baseline: string, dataDir: string): Promise<void> {
  const clients = Number(args.clients);
  const transfers = Number(args.transfers);
  const rounds = Number(args.rounds);
  const frameBytes = Math.round((Number(args['segment-kb']) * 1000) / 30);
  await createStream(server, 'segments');
  const persisted = await ingest(server, 'segments', 40, 2000, 30, frameBytes);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const playlist = (await get(await mediaPlaylistUrl(await onDemandSession(server, 'segments', 40), agent), agent)).body.toString();
  const urls = playlistLines(playlist).map((line) => new URL(line, server + '/hls/v1/').toString());
  const size = (await get(urls[0]!, agent)).body.length;
  agent.destroy();
  const configFile = path.join(dataDir, 'curl.cfg');
  const bareUrls = [`${baseline}?n=${size}`];
  const openkvs: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < rounds; round++) {
    openkvs.push(await throughput(urls, clients, transfers, configFile));
    bare.push(await throughput(bareUrls, clients, transfers, configFile));
  }
  const o = median(openkvs);
  const b = median(bare);
  console.log(`(c) fMP4 media segments of ${(size / 1e6).toFixed(2)} MB (${persisted} fragments), ${clients} concurrent clients (curl --parallel), ${rounds} rounds of ${transfers} GETs`);
  console.log(`    openkvs: median ${o.toFixed(0)} MB/s (rounds ${openkvs.map((x) => x.toFixed(0)).join(', ')})  (target >= 500 MB/s: ${verdict(o >= 500)})`);
  console.log(`    bare node:http, same-size bodies: median ${b.toFixed(0)} MB/s (rounds ${bare.map((x) => x.toFixed(0)).join(', ')}); ratio openkvs/bare ${(o / b).toFixed(2)}`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(args.dir ?? tmpdir(), 'openkvs-bench-playback-'));
  console.log(`playback bench; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir, OPENKVS_LOG_LEVEL: 'info' });
  const baseline = await startBaseline();
  try {
    await benchLiveLatency(server.url, baseline.url);
    await benchOnDemandPlaylist(server.url, baseline.url);
    await benchSegments(server.url, baseline.url, dataDir);
  } finally {
    baseline.stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
