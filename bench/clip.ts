/**
 * GetClip figures (prints, asserts nothing): a clip of N fragments of 720p H.264 from the real
 * server (`bin/openkvs.cjs serve`, a child process) over loopback, against ffmpeg remuxing the very
 * same Matroska bytes to MP4 (`ffmpeg -i same.mkv -c copy out.mp4`), alternating run by run.
 * Each run twice: both writing their MP4 to a file in the same folder, then both to /dev/null.
 *   - wall time: curl's time from request start to last byte written (GetClip); process start → exit (ffmpeg);
 *   - time to first byte of the GetClip answer (its moov is complete before any media byte);
 *   - ratio ffmpeg / GetClip of the medians (> 1: GetClip is faster).
 *
 *   npm run build && node dist/bench/clip.js [--fragments 200] [--fragment-seconds 2] [--mbps 1.5] [--runs 7] [--dir DIR]
 *                                            [--backends embedded|cluster|embedded,cluster]
 *
 * --backends: where the server keeps the fragments (bench/server-backends.ts): `embedded` (SQLite +
 * files, the default), `cluster` (PostgreSQL + S3 on a one-node Ceph RGW), or both, one server
 * each, taking turns in every run, with the cluster/embedded ratio of the medians.
 */
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { rawPutMedia } from '../test/helpers/put-media.js';
import { parseBackends, ServerFactory, type Backend, type ServerUnderTest } from './server-backends.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  options: {
    fragments: { type: 'string', default: '200' },
    'fragment-seconds': { type: 'string', default: '2' },
    mbps: { type: 'string', default: '1.5' },
    runs: { type: 'string', default: '7' },
    dir: { type: 'string' },
    backends: { type: 'string', default: 'embedded' },
  },
});
const backends = parseBackends(args.backends);

const FFMPEG = 'ffmpeg';
const START_MS = 1_700_000_000_000;
const BASE_SECONDS = 10;
const TARGET_RATIO = 2;
const TARGET_TTFB_MS = 20;
const CLK_TCK = 100; // Linux USER_HZ

/**
 * Where both sides write the MP4: a file, as a user saving a clip would; or /dev/null, which
 * leaves out the page-cache writes of 80 MB that, on this VM, cost about as much as either side's
 * own work and swing by 2x from run to run.
 */
const SINKS = ['file', 'null'] as const;
type Sink = (typeof SINKS)[number];

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/**
 * N fragments of 720p30 H.264 (a key frame every fragment-seconds, so one Cluster per fragment):
 * 10 s encoded once, then looped with -c copy, so the bytes look like a camera's without
 * encoding minutes of video.
 */
function makeSource(dir: string, fragments: number, fragmentSeconds: number, mbps: number): string {
  const base = path.join(dir, 'base.mkv');
  const gop = String(30 * fragmentSeconds);
  const rate = `${mbps}M`;
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', String(BASE_SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast',
    '-b:v', rate, '-maxrate', rate, '-bufsize', `${2 * mbps}M`, '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-pix_fmt', 'yuv420p', base]);
  const source = path.join(dir, 'source.mkv');
  const total = fragments * fragmentSeconds;
  const loops = Math.ceil(total / BASE_SECONDS) - 1;
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-stream_loop', String(loops), '-i', base, '-c', 'copy', '-t', String(total), source]);
  return source;
}

/** Runs `command` under bash's `time`: wall ms (as measured here), user+sys CPU ms, and its stdout. */
async function timed(command: string[]): Promise<{ wallMs: number; cpuMs: number; stdout: string }> {
  const quoted = command.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
  const started = performance.now();
  const child = spawn('bash', ['-c', `TIMEFORMAT='%U %S'; time ${quoted}`]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`${command[0]} exited with ${code}: ${stderr}`);
  const [user, sys] = stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs, cpuMs: (user! + sys!) * 1000, stdout };
}

/** CPU time (user + sys, ms) a process has used so far (Linux /proc, 10 ms ticks). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / CLK_TCK);
}

interface Measured {
  readonly wallMs: number;
  /** CPU of every process doing the work: ffmpeg; or the server plus curl. */
  readonly cpuMs: number;
  readonly ttfbMs?: number;
  readonly bytes?: number;
  /** GetClip: the server's share of cpuMs. */
  readonly serverCpuMs?: number;
}

/** ffmpeg remux of the same bytes: process start → exit. `/dev/null` works: the MP4 muxer's seeks succeed there. */
async function ffmpegRemux(source: string, out: string): Promise<Measured> {
  const run = await timed([FFMPEG, '-v', 'error', '-y', '-i', source, '-c', 'copy', '-f', 'mp4', out]);
  return { wallMs: run.wallMs, cpuMs: run.cpuMs };
}

/**
 * POST /getClip (open mode: unsigned) with curl, a native client like the ffmpeg it is compared
 * with, writing the body to `out`. Wall time and time to first byte are curl's own.
 */
async function getClip(url: string, stream: string, out: string, serverPid: number): Promise<Measured> {
  return curlPost(`${url}/getClip`, clipRequest(stream), out, serverPid);
}

function clipRequest(stream: string): string {
  return JSON.stringify({
    StreamName: stream,
    ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: START_MS / 1000, EndTimestamp: START_MS / 1000 + 86_000 } },
  });
}

/** One POST with curl, the body written to `out`; the CPU of curl and of the process `serverPid`. */
async function curlPost(url: string, body: string, out: string, serverPid: number): Promise<Measured> {
  const serverBefore = processCpuMs(serverPid);
  const run = await timed(['curl', '-sS', '--fail', '-o', out, '-H', 'content-type: application/json', '--data-binary', body, '-w', '%{time_starttransfer} %{time_total} %{size_download}', url]);
  const serverMs = processCpuMs(serverPid) - serverBefore;
  const [ttfb, total, bytes] = run.stdout.trim().split(' ').map(Number);
  return { ttfbMs: ttfb! * 1000, wallMs: total! * 1000, cpuMs: run.cpuMs + serverMs, serverCpuMs: serverMs, bytes: bytes! };
}

/**
 * The floor for GetClip's transfer: a bare node:http server (child process) that answers any POST
 * with one file, read in 1 MiB chunks as the blob store reads segments: what sending the clip's
 * bytes over loopback to curl costs with no index, no MP4 and no payload ranges.
 */
async function startBareFileServer(file: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const code = `const fs = require('fs'); const file = process.argv[1]; const size = fs.statSync(file).size;
    require('http').createServer((q, s) => { q.resume(); q.on('end', () => {
      s.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
      fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(s); }); })
      .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}`, pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** A server on `backend` holding the source as stream "bench". */
async function serverWithSource(servers: ServerFactory, backend: Backend, source: string): Promise<ServerUnderTest> {
  const started = await servers.start(backend);
  const { url } = started.server;
  const kv = new KinesisVideoClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  await kv.send(new CreateStreamCommand({ StreamName: 'bench', DataRetentionInHours: 24 }));
  kv.destroy();
  const put = await rawPutMedia(url, readFileSync(source), {
    headers: { 'x-amzn-stream-name': 'bench', 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': (START_MS / 1000).toFixed(3) },
  });
  console.log(`${backend}: ${put.acks.filter((a) => a.EventType === 'PERSISTED').length} fragments PERSISTED`);
  return started;
}

async function main(): Promise<void> {
  const fragments = Number(args.fragments);
  const fragmentSeconds = Number(args['fragment-seconds']);
  const runs = Number(args.runs);
  const dir = await mkdtemp(path.join(args.dir ?? tmpdir(), 'openkvs-bench-clip-'));
  const servers = new ServerFactory(dir);
  const started: [Backend, ServerUnderTest][] = [];
  let bare: Awaited<ReturnType<typeof startBareFileServer>> | undefined;
  try {
    const source = makeSource(dir, fragments, fragmentSeconds, Number(args.mbps));
    console.log(`source: ${fragments} × ${fragmentSeconds} s of 720p30 H.264, ${(statSync(source).size / 1e6).toFixed(1)} MB`);
    for (const backend of backends) started.push([backend, await serverWithSource(servers, backend, source)]);

    // One untimed round each: page cache, JIT, connection setup paths.
    await ffmpegRemux(source, path.join(dir, 'ffmpeg.mp4'));
    const packets = (file: string) => execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim();
    let clipBytes = 0;
    for (const [backend, { server }] of started) {
      const warm = await getClip(server.url, 'bench', path.join(dir, 'clip.mp4'), server.child.pid!);
      clipBytes = warm.bytes!;
      console.log(`${backend} clip: ${(warm.bytes! / 1e6).toFixed(1)} MB, ${packets(path.join(dir, 'clip.mp4'))} packets (source ${packets(source)}, ffmpeg's MP4 ${packets(path.join(dir, 'ffmpeg.mp4'))})`);
    }
    // The bare server sends a copy of the clip: the runs below overwrite clip.mp4.
    const bareFile = path.join(dir, 'bare.mp4');
    await copyFile(path.join(dir, 'clip.mp4'), bareFile);
    bare = await startBareFileServer(bareFile);
    const bareServer = bare;

    for (const sink of SINKS) {
      const out = (name: string) => (sink === 'file' ? path.join(dir, name) : '/dev/null');
      const remux: Measured[] = [];
      const bareSends: Measured[] = [];
      const clips = new Map<Backend, Measured[]>(backends.map((b) => [b, []]));
      for (let run = 0; run < runs; run++) {
        // Rotate who goes first, so nobody always runs on a cooler machine.
        const turns: (() => Promise<void>)[] = [
          async () => void remux.push(await ffmpegRemux(source, out('ffmpeg.mp4'))),
          async () => void bareSends.push(await curlPost(bareServer.url, '{}', out('clip.mp4'), bareServer.pid)),
          ...started.map(([backend, { server }]) => async () => void clips.get(backend)!.push(await getClip(server.url, 'bench', out('clip.mp4'), server.child.pid!))),
        ];
        for (let i = 0; i < turns.length; i++) await turns[(run + i) % turns.length]!();
      }
      for (const backend of backends) report(backend, sink, remux, bareSends, clips.get(backend)!, clipBytes);
      if (backends.length === 2) {
        const wall = (b: Backend) => median(clips.get(b)!.map((c) => c.wallMs));
        const ttfb = (b: Backend) => median(clips.get(b)!.map((c) => c.ttfbMs!));
        console.log(`cluster / embedded (${sink}): wall ${(wall('cluster') / wall('embedded')).toFixed(2)}, first byte ${(ttfb('cluster') / ttfb('embedded')).toFixed(2)}`);
      }
    }
    console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  } finally {
    bare?.stop();
    for (const [, server] of started) await server.dispose();
    await servers.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function report(backend: Backend, sink: Sink, remux: Measured[], bareSends: Measured[], clip: Measured[], clipBytes: number): void {
  const clipMs = median(clip.map((c) => c.wallMs));
  const ffmpegMs = median(remux.map((r) => r.wallMs));
  const ttfb = clip.map((c) => c.ttfbMs!);
  const ratio = ffmpegMs / clipMs;
  const runsOf = (xs: Measured[]) => xs.map((x) => x.wallMs.toFixed(0)).join(', ');
  console.log(`${backend}, MP4 written ${sink === 'file' ? 'to a file (each side its own, same folder)' : 'to /dev/null (by curl; by ffmpeg)'}, runs: ${clip.length}`);
  console.log(`GetClip (curl)    wall median ${fmt(clipMs)} (runs ${runsOf(clip)}), ${(clipBytes / 1e6 / (clipMs / 1000)).toFixed(0)} MB/s; CPU server + curl median ${fmt(median(clip.map((c) => c.cpuMs)))}, server alone ${fmt(median(clip.map((c) => c.serverCpuMs!)))}`);
  console.log(`ffmpeg -c copy    wall median ${fmt(ffmpegMs)} (runs ${runsOf(remux)}); CPU median ${fmt(median(remux.map((r) => r.cpuMs)))}`);
  const bareMs = median(bareSends.map((b) => b.wallMs));
  console.log(`bare node:http    wall median ${fmt(bareMs)} (runs ${runsOf(bareSends)}), server CPU median ${fmt(median(bareSends.map((b) => b.serverCpuMs!)))}: the same bytes from one file, no GetClip work; GetClip / bare ${(clipMs / bareMs).toFixed(2)}`);
  console.log(`ratio ffmpeg / GetClip, wall: ${ratio.toFixed(2)}  (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'missed'})`);
  console.log(`GetClip first byte median ${fmt(median(ttfb))}, min ${fmt(Math.min(...ttfb))}, max ${fmt(Math.max(...ttfb))}  (target ≤ ${TARGET_TTFB_MS} ms: ${median(ttfb) <= TARGET_TTFB_MS ? 'met' : 'missed'})`);
}

await main();
