/**
 * PutMedia ingest figures (prints, asserts nothing), against the real server (`bin/openkvs.cjs
 * serve` as a child process) over loopback:
 *   (a) one unpaced session: MB/s of a large synthetic stream (2-s clusters of 30 KB frames),
 *       median of --runs runs, next to a bare node:http server that only consumes the body.
 *   (b) N concurrent real-time 2 Mbit/s cameras (30 fps, ~8.3 KB frames, 2-s known-size clusters,
 *       first cluster of each stream at a random offset) for --seconds, on new streams of a fresh
 *       server: latency from the client writing a fragment's last byte to its PERSISTED ack,
 *       server CPU% and peak RSS; each of --camera-runs runs, then their medians (this shared
 *       machine swings one run's p99 by 2x).
 *
 *   npm run build && node dist/bench/ingest.js [--streams 500,1000,1500] [--seconds 20] [--mb 300] [--runs 3] [--camera-runs 3] [--dir DIR] [--skip-a] [--skip-b]
 *                                     [--cpu-prof DIR]   (V8 CPU profile of each server child into DIR)
 *                                     [--backends embedded|cluster|embedded,cluster]
 *                                     [--workers 1,2]   (b) once per `serve --workers` count, with the ratio to one
 *                                         process; CPU and RSS are the whole process tree's
 *                                     [--auth [--statements 50]]   (b) with --credentials, every camera signed: a key
 *                                         without a policy against a key with a 50-statement policy, run by run
 *
 * DIR (default: the OS temp folder) holds the server's data dir; put it on the disk under test.
 * --backends: where the server keeps its data (bench/server-backends.ts): `embedded` (SQLite +
 * files, the default), `cluster` (PostgreSQL with fsync on + S3 on a one-node Ceph RGW, started by
 * the test fixtures), or both, scenario by scenario in the same run, with the cluster/embedded ratio.
 */
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { signRequest, type AwsCredentials } from '../src/client/sigv4-sign.js';
import { concatBytes } from '../src/formats/bytes/read.js';
import { BENCH_KEYS, benchCredentialsFile, benchPolicy } from './auth-policy.js';
import { MatroskaId as Id } from '../src/formats/matroska/ids.js';
import { elementHeader, uintElement } from '../src/formats/matroska/writer.js';
import { prng, randomBytes, streamHeader } from '../test/helpers/synthetic-mkv.js';
import { parseBackends, ServerFactory, type Backend } from './server-backends.js';
import { processTree } from './proc-tree.js';
import { median, percentile } from './stats.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '500,1000,1500' },
    seconds: { type: 'string', default: '20' },
    mb: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    'camera-runs': { type: 'string', default: '3' },
    dir: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'skip-a': { type: 'boolean', default: false },
    'skip-b': { type: 'boolean', default: false },
    backends: { type: 'string', default: 'embedded' },
    auth: { type: 'boolean', default: false },
    statements: { type: 'string', default: '50' },
    workers: { type: 'string', default: '1' },
  },
});
const backends = parseBackends(args.backends);
/** --workers 1,2: each camera scenario once per count (serve --workers), with the ratio to one process. */
const workerCounts = args.workers.split(',').map(Number);

const CLK_TCK = 100; // Linux USER_HZ
const TARGET_MBPS = 300;
const TARGET_P99_MS = 100;
const TARGET_RSS_MB = 512;
const rng = prng(0xbe7c4);
const pool = Buffer.from(randomBytes(rng, 4 * 1024 * 1024));
const poolSlice = (size: number) => {
  const at = Math.floor(rng() * (pool.length - size));
  return pool.subarray(at, at + size);
};


/** A SimpleBlock (track 1) header for a `size`-byte frame at `timecode` ms into its cluster. */
function simpleBlockHeader(timecode: number, key: boolean, size: number): Buffer {
  const blockHeader = Uint8Array.of(0x81, (timecode >> 8) & 0xff, timecode & 0xff, key ? 0x80 : 0);
  return Buffer.from(concatBytes([elementHeader(Id.SimpleBlock, blockHeader.length + size), blockHeader]));
}

/** Cluster ID + known size + Timestamp, for a cluster whose blocks take `blocksBytes`. */
function clusterHead(timecode: number, blocksBytes: number): Buffer {
  const ts = uintElement(Id.Timestamp, timecode);
  return Buffer.from(concatBytes([elementHeader(Id.Cluster, ts.length + blocksBytes), ts]));
}

/** --auth: the key every request is signed with (as Amazon's C producer signs PutMedia); undefined: unsigned. */
let signingKey: AwsCredentials | undefined;

function startRequest(url: string, stream: string, extraHeaders: Record<string, string> = {}): ClientRequest {
  let headers: Record<string, string> = { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000.000', ...extraHeaders };
  if (signingKey) headers = signRequest({ method: 'POST', path: '/putMedia', headers: { ...headers, host: new URL(url).host } }, { credentials: signingKey, region: 'us-east-1', nowMs: Date.now() });
  return request(`${url}/putMedia`, { method: 'POST', agent: false, headers });
}

/** Feeds acks (one JSON line each) of a response to `onAck`. */
function readAcks(req: ClientRequest, onAck: (ack: { EventType: string; FragmentTimecode?: number; ErrorCode?: string }) => void): Promise<void> {
  return new Promise((resolve) => {
    req.on('error', () => resolve());
    req.on('response', (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const lines = (pending + d).split('\n');
        pending = lines.pop()!;
        for (const line of lines) if (line.startsWith('{')) onAck(JSON.parse(line));
      });
      res.on('end', resolve);
      res.on('close', resolve);
      res.on('error', () => resolve());
    });
  });
}

const write = (req: ClientRequest, bytes: Uint8Array) => (req.write(bytes) ? undefined : once(req, 'drain'));

async function createStreams(url: string, names: string[]): Promise<void> {
  const kv = new KinesisVideoClient({ endpoint: url, region: 'us-east-1', credentials: signingKey ?? { accessKeyId: 'a', secretAccessKey: 'b' } });
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(names.slice(i, i + 25).map((StreamName) => kv.send(new CreateStreamCommand({ StreamName, DataRetentionInHours: 24 }))));
  }
  kv.destroy();
}

// ---- (a) one unpaced session ----

const A_FRAME_BYTES = 30 * 1024;
const A_FRAMES_PER_CLUSTER = 60; // 2 s at 30 fps

/** The body of (a) as writes: header, then per cluster its head and its 60 blocks in one write. */
function unpacedBody(totalBytes: number): Buffer[] {
  const blocks = Buffer.concat(
    Array.from({ length: A_FRAMES_PER_CLUSTER }, (_, i) => [simpleBlockHeader(i * 33, i === 0, A_FRAME_BYTES), poolSlice(A_FRAME_BYTES)]).flat(),
  );
  const writes: Buffer[] = [Buffer.from(streamHeader())];
  let bytes = writes[0]!.length;
  for (let c = 0; bytes < totalBytes; c++) {
    const head = clusterHead(1_700_000_000_000 + c * 2000, blocks.length);
    writes.push(head, blocks);
    bytes += head.length + blocks.length;
  }
  return writes;
}

/** Sends the body as fast as the connection takes it; resolves with MB/s until the response ends. */
async function sendUnpaced(url: string, path_: string, headers: Record<string, string>, body: Buffer[]): Promise<{ mbps: number; persisted: number; errors: string[] }> {
  const req = request(`${url}${path_}`, { method: 'POST', agent: false, headers });
  let persisted = 0;
  const errors: string[] = [];
  const done = readAcks(req, (ack) => {
    if (ack.EventType === 'PERSISTED') persisted++;
    if (ack.EventType === 'ERROR') errors.push(ack.ErrorCode ?? '?');
  });
  const bytes = body.reduce((sum, b) => sum + b.length, 0);
  const t0 = performance.now();
  for (const b of body) await write(req, b);
  req.end();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  return { mbps: bytes / 1e6 / seconds, persisted, errors };
}

/** A bare node:http server that only consumes each body, in a child process. */
const BARE_CONSUMER = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}\\n')); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

async function startBareServer(code: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}`, pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

async function benchUnpaced(servers: ServerFactory): Promise<void> {
  const totalBytes = Number(args.mb) * 1e6;
  const runs = Number(args.runs);
  const body = unpacedBody(totalBytes);
  const mb = body.reduce((s, b) => s + b.length, 0) / 1e6;
  console.log(`(a) one unpaced session: ${mb.toFixed(0)} MB, ${(body.length - 1) / 2} clusters of ${A_FRAMES_PER_CLUSTER} x ${A_FRAME_BYTES / 1024} KB frames, median of ${runs} runs`);
  const bare = await startBareServer(BARE_CONSUMER);
  const kvs = new Map<Backend, number[]>(backends.map((b) => [b, []]));
  const baseline: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      // Backends take turns within each run, so the machine's noise hits them alike.
      for (const backend of backends) {
        const { server, dispose } = await servers.start(backend);
        try {
          await createStreams(server.url, ['unpaced']);
          const r = await sendUnpaced(server.url, '/putMedia', { 'x-amzn-stream-name': 'unpaced', 'x-amzn-fragment-timecode-type': 'ABSOLUTE' }, body);
          kvs.get(backend)!.push(r.mbps);
          console.log(`    run ${run + 1} ${backend}: openkvs ${r.mbps.toFixed(1)} MB/s (${r.persisted} PERSISTED${r.errors.length ? `, errors ${r.errors.join(',')}` : ''})`);
        } finally {
          await dispose();
        }
      }
      const b = await sendUnpaced(bare.url, '/', {}, body);
      baseline.push(b.mbps);
      console.log(`    run ${run + 1}: bare node:http ${b.mbps.toFixed(1)} MB/s`);
    }
  } finally {
    bare.stop();
  }
  const b = median(baseline);
  for (const backend of backends) {
    const k = median(kvs.get(backend)!);
    console.log(`    ${backend}: openkvs median ${k.toFixed(1)} MB/s (target >= ${TARGET_MBPS} MB/s: ${k >= TARGET_MBPS ? 'met' : 'MISSED'}); bare node:http median ${b.toFixed(1)} MB/s; ratio ${(k / b).toFixed(2)}`);
  }
  if (backends.length === 2) console.log(`    cluster / embedded median MB/s: ${(median(kvs.get('cluster')!) / median(kvs.get('embedded')!)).toFixed(2)}`);
}

// ---- (b) N real-time cameras ----

const B_FPS = 30;
const B_FRAME_MS = 1000 / B_FPS;
const B_FRAME_BYTES = Math.round(2_000_000 / 8 / B_FPS); // 2 Mbit/s
const B_FRAMES_PER_CLUSTER = 60;

interface Camera {
  readonly name: string;
  /** Which of the precomputed frame sets it sends. */
  readonly variant: number;
  req: ClientRequest | undefined;
  /** performance.now() when frame 0 of the first cluster is due. */
  readonly start: number;
  next: number;
  /** Cluster timecode → when its last byte was written. */
  readonly lastByteAt: Map<number, number>;
}

/**
 * The SimpleBlocks of one 2-s cluster (header + payload, one Buffer per frame), in a few variants
 * shared by all cameras: building and copying every frame per write made the load generator,
 * which shares the 2 cores with the server, spend ~125 MB/s on memcpy.
 */
function cameraFrames(variants = 8): Buffer[][] {
  return Array.from({ length: variants }, () =>
    Array.from({ length: B_FRAMES_PER_CLUSTER }, (_, i) =>
      Buffer.concat([simpleBlockHeader(Math.round(i * B_FRAME_MS), i === 0, B_FRAME_BYTES), poolSlice(B_FRAME_BYTES)]),
    ),
  );
}

/** CPU and memory of the server: its process and (serve --workers) every process under it, summed. */
function procStat(pid: number): { cpuTicks: number; rssKb: number; hwmKb: number } {
  const all = processTree(pid).map(oneProcStat);
  return {
    cpuTicks: all.reduce((sum, p) => sum + p.cpuTicks, 0),
    rssKb: all.reduce((sum, p) => sum + p.rssKb, 0),
    // Each process's own peak, summed: an upper bound on the peak of the sum.
    hwmKb: all.reduce((sum, p) => sum + p.hwmKb, 0),
  };
}

function oneProcStat(pid: number): { cpuTicks: number; rssKb: number; hwmKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuTicks: Number(fields[11]) + Number(fields[12]), // utime + stime (fields 14, 15 of stat)
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]),
    hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]),
  };
}

interface CameraRun {
  readonly windowMs: number;
  readonly sentClusters: number;
  /** Latency of every fragment's PERSISTED, sorted. */
  readonly latencies: number[];
  /** Fragments whose PERSISTED had not come 2 s after the run. */
  readonly missing: number;
  /** Server CPU over the run, % of one core. */
  readonly cpu: number;
  readonly peakRssMb: number;
  /** How late the pacer wrote frames, sorted. */
  readonly lateWrites: number[];
  readonly errors: string[];
  /** Most bytes queued in the producers' requests at once, MB: what the server did not take. */
  readonly peakQueuedMb: number;
  /** The server's memory-budget counters at the end of the run. */
  readonly budget: string | undefined;
}

/** Sizes of what each camera sends: the stream header, then clusters of one size. */
function cameraBody() {
  const frames = cameraFrames();
  const blocksPerCluster = frames[0]!.reduce((sum, block) => sum + block.length, 0);
  const header = Buffer.from(streamHeader());
  // Every cluster timecode of a run encodes in the same width, so every cluster has this size.
  const clusterBytes = clusterHead(FIRST_CLUSTER_TIMECODE, blocksPerCluster).length + blocksPerCluster;
  return { frames, blocksPerCluster, header, clusterBytes };
}

const FIRST_CLUSTER_TIMECODE = 1_700_000_000_000;

/** Opens one PutMedia request per camera, sends the stream header, and records PERSISTED latencies. */
function openCameras(url: string, names: string[], body: ReturnType<typeof cameraBody>, t0: number, run: { latencies: number[]; errors: string[] }) {
  const cameras: Camera[] = names.map((name, i) => ({ name, variant: i % body.frames.length, req: undefined, start: t0 + rng() * 2000, next: 0, lastByteAt: new Map() }));
  const acked = cameras.map((cam) => {
    const req = startRequest(url, cam.name, { 'x-bench-header-bytes': String(body.header.length), 'x-bench-cluster-bytes': String(body.clusterBytes) });
    cam.req = req;
    req.write(body.header);
    return readAcks(req, (ack) => {
      if (ack.EventType === 'ERROR') run.errors.push(`${cam.name}: ${ack.ErrorCode}`);
      if (ack.EventType !== 'PERSISTED') return;
      const at = cam.lastByteAt.get(ack.FragmentTimecode!);
      if (at !== undefined) {
        run.latencies.push(performance.now() - at);
        cam.lastByteAt.delete(ack.FragmentTimecode!);
      }
    });
  });
  return { cameras, acked };
}

/** The pacer: every tick writes each camera's frames that are due, one write per frame, until `endAt`. */
function paceCameras(cameras: Camera[], body: ReturnType<typeof cameraBody>, t0: number, endAt: number, lateWrites: number[]): Promise<number> {
  let sentClusters = 0;
  return new Promise<number>((resolve) => {
    const tick = () => {
      const now = performance.now();
      let allDone = true;
      for (const cam of cameras) {
        for (;;) {
          const due = cam.start + cam.next * B_FRAME_MS;
          const inCluster = cam.next % B_FRAMES_PER_CLUSTER;
          // Stop at a cluster boundary once the time is up.
          if (inCluster === 0 && due >= endAt) break;
          allDone = false;
          if (due > now) break;
          lateWrites.push(now - due);
          const clusterTimecode = FIRST_CLUSTER_TIMECODE + Math.floor(cam.next / B_FRAMES_PER_CLUSTER) * 2000;
          const block = body.frames[cam.variant]![inCluster]!;
          cam.req!.write(inCluster === 0 ? Buffer.concat([clusterHead(clusterTimecode, body.blocksPerCluster), block]) : block);
          if (inCluster === B_FRAMES_PER_CLUSTER - 1) {
            cam.lastByteAt.set(clusterTimecode, performance.now());
            sentClusters++;
          }
          cam.next++;
        }
      }
      if (allDone) resolve(sentClusters);
      else setTimeout(tick, 2);
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
}

/** The server's memory-budget counters (`undefined` from the bare acker, which has no /metrics). */
async function ingestBudgetMetrics(url: string): Promise<string | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) => /^\S+ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[1];
    const throttles = value('openkvs_ingest_throttles_total');
    if (throttles === undefined) return undefined;
    return `budget: ${throttles} throttles, ${value('openkvs_ingest_shed_sessions_total')} sessions shed, ${(Number(value('openkvs_ingest_held_bytes')) / 1e6).toFixed(0)} MB held at the end`;
  } catch {
    return undefined;
  }
}

/** N cameras against the server at `url` (process `pid`) for `seconds`. */
async function runCameras(url: string, pid: number, names: string[], seconds: number): Promise<CameraRun> {
  const body = cameraBody();
  const run = { latencies: [] as number[], errors: [] as string[], lateWrites: [] as number[] };
  const t0 = performance.now() + 500;
  const { cameras, acked } = openCameras(url, names, body, t0, run);
  const before = procStat(pid);
  let peakRssKb = before.rssKb;
  let peakQueuedBytes = 0;
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, procStat(pid).rssKb);
    // Bytes the producers wrote that the server has not taken yet (beyond the kernel's buffers): backpressure as they see it.
    peakQueuedBytes = Math.max(peakQueuedBytes, cameras.reduce((sum, c) => sum + (c.req?.writableLength ?? 0), 0));
  }, 500);
  const sentClusters = await paceCameras(cameras, body, t0, t0 + seconds * 1000, run.lateWrites);
  const windowMs = performance.now() - t0;
  const after = procStat(pid);
  // Acks of the last clusters, then end every session.
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(sampler);
  const missing = cameras.reduce((sum, c) => sum + c.lastByteAt.size, 0);
  const budget = await ingestBudgetMetrics(url);
  for (const cam of cameras) cam.req!.end();
  await Promise.race([Promise.all(acked), new Promise((r) => setTimeout(r, 5000))]);
  return {
    windowMs, sentClusters, missing, errors: run.errors, budget,
    peakQueuedMb: peakQueuedBytes / 1e6,
    // Copies: acks that come after the run must not land in the figures.
    latencies: [...run.latencies].sort((a, b) => a - b),
    lateWrites: [...run.lateWrites].sort((a, b) => a - b),
    cpu: ((after.cpuTicks - before.cpuTicks) / CLK_TCK / (windowMs / 1000)) * 100,
    peakRssMb: Math.max(peakRssKb, after.hwmKb) / 1024,
  };
}

const latencyText = (sorted: readonly number[]) =>
  `p50 ${percentile(sorted, 50).toFixed(1)} ms p99 ${percentile(sorted, 99).toFixed(1)} ms max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`;

/**
 * The same cameras against a bare node:http server that acks each cluster the moment its last
 * byte arrives: what the load generator, loopback and a shared machine cost on their own.
 */
const BARE_ACKER = `require('http').createServer((q, s) => {
  const header = Number(q.headers['x-bench-header-bytes']), cluster = Number(q.headers['x-bench-cluster-bytes']);
  let seen = 0, acked = 0;
  s.writeHead(200, { 'content-type': 'application/json' }); s.flushHeaders();
  q.on('data', (d) => {
    seen += d.length;
    for (; seen >= header + (acked + 1) * cluster; acked++) s.write(JSON.stringify({ EventType: 'PERSISTED', FragmentTimecode: ${FIRST_CLUSTER_TIMECODE} + acked * 2000 }) + '\\n');
  });
  q.on('end', () => s.end());
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

/** What a backend did over its runs: medians of the per-run figures, the highest RSS. */
interface CameraSummary {
  readonly p50: number;
  readonly p99: number;
  readonly cpu: number;
  readonly peakRssMb: number;
}

function summarize(runs: readonly CameraRun[]): CameraSummary {
  return {
    p50: median(runs.map((r) => percentile(r.latencies, 50))),
    p99: median(runs.map((r) => percentile(r.latencies, 99))),
    cpu: median(runs.map((r) => r.cpu)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

async function benchCameras(servers: ServerFactory, count: number, seconds: number, runCount: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `cam-${i}`);
  const summaries = new Map<string, CameraSummary>();
  for (const [backend, workers] of backends.flatMap((b) => workerCounts.map((w) => [b, w] as const))) {
    const label = workers === 1 ? backend : `${backend} --workers ${workers}`;
    const runs: CameraRun[] = [];
    for (let i = 0; i < runCount; i++) {
      // A fresh server and data dir each run: every run starts with 500 new streams.
      const { server, dispose } = await servers.start(backend, { OPENKVS_WORKERS: String(workers) });
      let r: CameraRun;
      try {
        await createStreams(server.url, names);
        r = await runCameras(server.url, server.child.pid!, names, seconds);
      } finally {
        await dispose();
      }
      runs.push(r);
      console.log(
        `(b) ${label}: ${count} cameras x 2 Mbit/s for ${(r.windowMs / 1000).toFixed(1)} s: ${r.sentClusters} fragments, PERSISTED latency ${latencyText(r.latencies)}` +
          `${r.missing ? `, ${r.missing} without PERSISTED within 2 s` : ''}; server CPU ${r.cpu.toFixed(0)}% (of 1 core); peak RSS ${r.peakRssMb.toFixed(0)} MB; ` +
          `client write lag p50 ${percentile(r.lateWrites, 50).toFixed(1)} ms p99 ${percentile(r.lateWrites, 99).toFixed(1)} ms; ` +
          `producers' peak unsent ${r.peakQueuedMb.toFixed(1)} MB` +
          `${r.errors.length ? `; ERROR acks ${r.errors.length} (${r.errors.slice(0, 3).join('; ')})` : ''}${r.budget ? `; ${r.budget}` : ''}`,
      );
    }
    const summary = summarize(runs);
    summaries.set(label, summary);
    console.log(
      `    ${label}, median of ${runs.length} runs: p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, server CPU ${summary.cpu.toFixed(0)}%; highest peak RSS ${summary.peakRssMb.toFixed(0)} MB`,
    );
  }
  const bare = await startBareServer(BARE_ACKER);
  try {
    const b = await runCameras(bare.url, bare.pid, names, seconds);
    const ratios = [...summaries].map(([backend, s]) => `${backend} ${(s.p99 / percentile(b.latencies, 99)).toFixed(1)}`).join(', ');
    console.log(`    bare node:http acker, same cameras: ack latency ${latencyText(b.latencies)}; client write lag p99 ${percentile(b.lateWrites, 99).toFixed(1)} ms; median p99 ratio openkvs / bare: ${ratios}`);
  } finally {
    bare.stop();
  }
  const [embedded, cluster] = [summaries.get('embedded'), summaries.get('cluster')];
  if (embedded && cluster) {
    const ratio = (key: keyof CameraSummary) => (cluster[key] / embedded[key]).toFixed(2);
    console.log(`    cluster / embedded (medians): p50 ${ratio('p50')}, p99 ${ratio('p99')}, server CPU ${ratio('cpu')}, peak RSS ${ratio('peakRssMb')}`);
  }
  for (const [label, s] of summaries) {
    const single = summaries.get(label.replace(/ --workers \d+$/, ''));
    if (single === undefined || single === s) continue;
    const ratio = (key: keyof CameraSummary) => (s[key] / single[key]).toFixed(2);
    console.log(`    ${label} / one process (medians): p50 ${ratio('p50')}, p99 ${ratio('p99')}, server CPU ${ratio('cpu')}, peak RSS ${ratio('peakRssMb')}`);
  }
  if (count >= 500) {
    for (const [label, s] of summaries) {
      console.log(`    ${label} target at ${count} streams: median p99 <= ${TARGET_P99_MS} ms (${s.p99 <= TARGET_P99_MS ? 'met' : 'MISSED'}), RSS <= ${TARGET_RSS_MB} MB (${s.peakRssMb <= TARGET_RSS_MB ? 'met' : 'MISSED'})`);
    }
  }
}

/**
 * --auth: each run starts a fresh server with --credentials twice (which goes first alternates),
 * once with every camera signed by a key without a policy, once by a key whose policy has
 * --statements statements (bench/auth-policy.ts); the medians of the runs and their ratio.
 */
async function benchAuthCameras(servers: ServerFactory, count: number, seconds: number, runCount: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `cam-${i}`);
  const statements = Number(args.statements);
  const credentialsDir = await mkdtemp(path.join(dir, 'openkvs-bench-auth-'));
  await writeFile(path.join(credentialsDir, 'policy.json'), benchPolicy(statements, 'cam-'));
  await writeFile(path.join(credentialsDir, 'credentials'), benchCredentialsFile());
  const runs = { plain: [] as CameraRun[], scoped: [] as CameraRun[] };
  for (let i = 0; i < runCount; i++) {
    for (const variant of i % 2 === 0 ? (['plain', 'scoped'] as const) : (['scoped', 'plain'] as const)) {
      const { server, dispose } = await servers.start('embedded', { OPENKVS_CREDENTIALS: path.join(credentialsDir, 'credentials') });
      signingKey = BENCH_KEYS[variant];
      let r: CameraRun;
      try {
        await createStreams(server.url, names);
        r = await runCameras(server.url, server.child.pid!, names, seconds);
      } finally {
        signingKey = undefined;
        await dispose();
      }
      runs[variant].push(r);
      const label = variant === 'plain' ? 'signed, no policy' : `signed, ${statements}-statement policy`;
      console.log(
        `(b) auth run ${i + 1}, ${label}: ${count} cameras, ${r.sentClusters} fragments, PERSISTED latency ${latencyText(r.latencies)}` +
          `${r.missing ? `, ${r.missing} without PERSISTED within 2 s` : ''}; server CPU ${r.cpu.toFixed(0)}%; peak RSS ${r.peakRssMb.toFixed(0)} MB` +
          `${r.errors.length ? `; ERROR acks ${r.errors.length} (${r.errors.slice(0, 3).join('; ')})` : ''}`,
      );
    }
  }
  const [plain, scoped] = [summarize(runs.plain), summarize(runs.scoped)];
  console.log(`    medians of ${runCount} runs: no policy p50 ${plain.p50.toFixed(1)} ms p99 ${plain.p99.toFixed(1)} ms CPU ${plain.cpu.toFixed(0)}%; ${statements}-statement policy p50 ${scoped.p50.toFixed(1)} ms p99 ${scoped.p99.toFixed(1)} ms CPU ${scoped.cpu.toFixed(0)}%`);
  console.log(`    ratio policy / no policy: p50 ${(scoped.p50 / plain.p50).toFixed(3)}, p99 ${(scoped.p99 / plain.p99).toFixed(3)}, CPU ${(scoped.cpu / plain.cpu).toFixed(3)} (target p99 within 5 %: ${scoped.p99 <= plain.p99 * 1.05 ? 'met' : 'MISSED'})`);
}

const dir = args.dir ?? tmpdir();
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`node ${process.version}, data under ${dir}, backends ${backends.join(', ')}; load average ${load()}`);
// --cpu-prof DIR profiles the server children only (each profile is written when it exits).
const profile = args['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(args['cpu-prof'])];
const servers = new ServerFactory(dir, profile);
try {
  if (!args['skip-a']) await benchUnpaced(servers);
  if (!args['skip-b']) {
    for (const n of args.streams.split(',').map(Number)) {
      if (args.auth) await benchAuthCameras(servers, n, Number(args.seconds), Number(args['camera-runs']));
      else await benchCameras(servers, n, Number(args.seconds), Number(args['camera-runs']));
    }
  }
} finally {
  await servers.close();
}
console.log(`load average at the end ${load()}`);
