/**
 * GetImages benchmarks (bench/README.md, "images.js"). Three parts, each against a baseline
 * measured in the same run:
 *
 * 1. decoders: the candidate decoders on one still each: the frame on screen at an instant of a
 *    720p30 H.264 stream with 2-s GOPs, from its key frame, as a JPEG. node-av (FFmpeg's
 *    libraries in-process, what openkvs uses), Debian's ffmpeg binary spawned per still, and the
 *    ffmpeg binary shipped in @ffmpeg-installer/linux-x64 when installed (`npm i --no-save
 *    @ffmpeg-installer/linux-x64`).
 * 2. end to end: GetImages over 300 s at a 3-s interval (100 JPEGs, 4 pages) through the AWS SDK
 *    against the real server, beside ffmpeg extracting the same 100 frames as JPEG in one process
 *    (the fastest of the invocations tried, each printed).
 * 3. acks: p99 PutMedia ack latency of 50 real-time cameras alone, then while 4 clients page
 *    through GetImages over and over.
 */
import { CreateStreamCommand, GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, paginateGetImages } from '@aws-sdk/client-kinesis-video-archived-media';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { concatBytes } from '../src/formats/bytes/read.js';
import { describeTrackCodec } from '../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../src/formats/codecs/track-info.js';
import { MatroskaId as Id } from '../src/formats/matroska/ids.js';
import { elementHeader, uintElement } from '../src/formats/matroska/writer.js';
import { runStillJob } from '../src/stills/still-codec.js';
import { archive } from '../test/unit/formats/isobmff/mkv-source.js';
import { prng, randomBytes, streamHeader } from '../test/helpers/synthetic-mkv.js';
import { ServerFactory } from './server-backends.js';
import { median, percentile } from './stats.js';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'decoders,e2e,acks' },
    runs: { type: 'string', default: '3' },
    cameras: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    dir: { type: 'string' },
  },
});
const parts = new Set(args.parts.split(','));
const RUNS = Number(args.runs);
const FFMPEG = '/usr/bin/ffmpeg';
const INSTALLER_FFMPEG = path.resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
const START_MS = 1_700_000_000_000;
const SPAN_S = 300;
const INTERVAL_S = 3;
const JPEG_QSCALE = 2; // what JPEGQuality 80 (GetImages' default) maps to
const dir = mkdtempSync(path.join(args.dir ?? tmpdir(), 'openkvs-bench-images-'));
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** 720p30 H.264 (no B-frames, as cameras send), a key frame every 2 s: 10 s encoded, looped with -c copy. */
function makeSource(seconds: number): string {
  const base = path.join(dir, 'base.mkv');
  if (!existsSync(base)) {
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast',
      '-b:v', '2M', '-maxrate', '2M', '-bufsize', '4M', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-bf', '0', '-pix_fmt', 'yuv420p', base]);
  }
  const out = path.join(dir, `source-${seconds}.mkv`);
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-stream_loop', String(Math.ceil(seconds / 10) - 1), '-i', base, '-c', 'copy', '-t', String(seconds), out]);
  return out;
}

async function timedChild(command: string, argv: string[]): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${err.slice(-500)}`))));
  });
  return performance.now() - t0;
}

// ---- 1. decoder candidates ----

async function benchDecoders(): Promise<void> {
  const source = makeSource(20);
  const bytes = readFileSync(source);
  const file = archive(bytes);
  const video = describeTrackCodec(describeTrackHeader(file.header).tracks[0]!);
  if (video.media !== 'video') throw new Error('the source has no video track 1');
  // Instants 1 s into each GOP: 30 frames to decode per still, the average for random instants.
  const instants = file.fragments.map((f) => f.producerTimestampMs + 1000).filter((ms) => ms < 20_000);
  const nodeAv = () => {
    const t0 = performance.now();
    for (const ms of instants) {
      const fragment = file.fragments.find((f) => f.producerTimestampMs <= ms && ms < f.producerTimestampMs + 2000)!;
      const frames = fragment.frames.filter((f) => f.timecode <= ms - fragment.producerTimestampMs);
      const result = runStillJob({
        codec: video.kind,
        extradata: video.record,
        nalLengthSize: video.nalLengthSize,
        payload: concatBytes(frames.map((f) => bytes.subarray(f.offset, f.offset + f.size))),
        sizes: frames.map((f) => f.size),
        pts: frames.map((f) => f.timecode),
        targets: [frames.length - 1],
        output: { format: 'JPEG', quality: 80 },
      });
      if (!result.images[0]) throw new Error('node-av gave no image');
    }
    return (performance.now() - t0) / instants.length;
  };
  const spawned = (binary: string) => async () => {
    const t0 = performance.now();
    for (const ms of instants) {
      await timedChild(binary, ['-v', 'error', '-ss', (ms / 1000).toFixed(3), '-i', source, '-frames:v', '1', '-q:v', String(JPEG_QSCALE), '-threads', '1', '-y', path.join(dir, 'still.jpg')]);
    }
    return (performance.now() - t0) / instants.length;
  };
  const candidates: [string, () => number | Promise<number>][] = [
    ['node-av 6.1.1 (in-process, one thread)', nodeAv],
    ['Debian ffmpeg 5.1, spawned per still (-threads 1)', spawned(FFMPEG)],
  ];
  if (existsSync(INSTALLER_FFMPEG)) candidates.push(['@ffmpeg-installer/linux-x64 4.1.0, spawned per still (-threads 1)', spawned(INSTALLER_FFMPEG)]);
  else console.log(`(@ffmpeg-installer/linux-x64 not installed: npm i --no-save @ffmpeg-installer/linux-x64 to include it)`);
  console.log(`\n1. decoders: one 1280x720 JPEG still 1 s into a 2-s GOP (30 frames decoded), ${instants.length} stills, median of ${RUNS} runs`);
  const baseline: number[] = [];
  for (const [name, run] of candidates) {
    const perStill: number[] = [];
    for (let r = 0; r < RUNS; r++) perStill.push(await run());
    const m = median(perStill);
    if (baseline.length === 0) baseline.push(m);
    console.log(`   ${name.padEnd(70)} ${m.toFixed(1)} ms/still   (${(m / baseline[0]!).toFixed(2)}× node-av)`);
  }
}

// ---- 2. end to end ----

interface Server {
  readonly url: string;
  readonly dispose: () => Promise<void>;
}

async function startServer(factory: ServerFactory): Promise<Server> {
  const s = await factory.start('embedded');
  return { url: s.server.url, dispose: () => s.dispose() };
}

async function ingestFile(url: string, stream: string, file: string): Promise<void> {
  const control = new KinesisVideoClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  await control.send(new CreateStreamCommand({ StreamName: stream, DataRetentionInHours: 24 }));
  control.destroy();
  await new Promise<void>((resolve, reject) => {
    const req = request(`${url}/putMedia`, {
      method: 'POST',
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': (START_MS / 1000).toFixed(3) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (text.includes('"ERROR"') ? reject(new Error(text.slice(0, 500))) : resolve()));
    });
    req.on('error', reject);
    req.end(readFileSync(file));
  });
}

async function archivedClient(url: string, stream: string): Promise<KinesisVideoArchivedMediaClient> {
  const control = new KinesisVideoClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const { DataEndpoint } = await control.send(new GetDataEndpointCommand({ StreamName: stream, APIName: 'GET_IMAGES' }));
  control.destroy();
  return new KinesisVideoArchivedMediaClient({ endpoint: DataEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
}

/** All 100 images through the SDK paginator; returns wall ms. */
async function getImagesOnce(client: KinesisVideoArchivedMediaClient, stream: string): Promise<{ ms: number; images: number; pages: number }> {
  const t0 = performance.now();
  let images = 0;
  let pages = 0;
  const input = { StreamName: stream, ImageSelectorType: 'PRODUCER_TIMESTAMP' as const, StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + SPAN_S * 1000), SamplingInterval: INTERVAL_S * 1000, Format: 'JPEG' as const };
  for await (const page of paginateGetImages({ client, pageSize: 100 }, input)) {
    pages++;
    images += page.Images!.filter((i) => i.ImageContent).length;
  }
  return { ms: performance.now() - t0, images, pages };
}

/** ffmpeg invocations that write the same 100 frames (0, 3, …, 297 s) as JPEG, one process each. */
function ffmpegInvocations(source: string): [string, string[]][] {
  const out = path.join(dir, 'ff');
  rmSync(out, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', out]);
  const seeks = Array.from({ length: SPAN_S / INTERVAL_S }, (_, k) => k * INTERVAL_S);
  const seekArgs = seeks.flatMap((s) => ['-ss', String(s), '-i', source]);
  const singleThreadSeekArgs = seeks.flatMap((s) => ['-threads', '1', '-ss', String(s), '-i', source]);
  const seekOutputs = seeks.flatMap((_, k) => ['-map', `${k}:v`, '-frames:v', '1', '-q:v', String(JPEG_QSCALE), path.join(out, `seek-${k}.jpg`)]);
  return [
    ['decode all, select every 90th frame', ['-v', 'error', '-y', '-i', source, '-vf', `select=not(mod(n\\,${INTERVAL_S * 30}))`, '-vsync', 'passthrough', '-q:v', String(JPEG_QSCALE), path.join(out, 'sel-%03d.jpg')]],
    ['decode all, fps=1/3', ['-v', 'error', '-y', '-i', source, '-vf', `fps=1/${INTERVAL_S}:round=down`, '-q:v', String(JPEG_QSCALE), path.join(out, 'fps-%03d.jpg')]],
    ['100 inputs, each -ss seek + 1 frame', ['-v', 'error', '-y', ...seekArgs, ...seekOutputs]],
    // Opening 100 decoders with a thread per core each thrashes; one thread each is faster (and lighter).
    ['100 inputs, -threads 1 -ss seek + 1 frame each', ['-v', 'error', '-y', ...singleThreadSeekArgs, ...seekOutputs]],
  ];
}

async function benchEndToEnd(factory: ServerFactory): Promise<{ server: Server; stream: string }> {
  const source = makeSource(SPAN_S + 2);
  const server = await startServer(factory);
  const stream = 'images-720p';
  await ingestFile(server.url, stream, source);
  if (!parts.has('e2e')) return { server, stream };
  const client = await archivedClient(server.url, stream);
  console.log(`\n2. end to end: 100 JPEGs of 1280x720 over ${SPAN_S} s at ${INTERVAL_S} s, median of ${RUNS} runs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const ffmpeg: { name: string; ms: number }[] = [];
  for (const [name, argv] of ffmpegInvocations(source)) {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) times.push(await timedChild(FFMPEG, argv));
    ffmpeg.push({ name, ms: median(times) });
    console.log(`   ffmpeg ${name.padEnd(45)} ${fmt(median(times))}`);
  }
  const best = ffmpeg.reduce((a, b) => (b.ms < a.ms ? b : a));
  await getImagesOnce(client, stream); // warm: workers started, decoders opened
  const ours: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const run = await getImagesOnce(client, stream);
    if (run.images !== 100 || run.pages !== 4) throw new Error(`expected 100 images in 4 pages, got ${run.images} in ${run.pages}`);
    ours.push(run.ms);
  }
  console.log(`   openkvs GetImages (SDK paginator, 4 pages)              ${fmt(median(ours))}   runs ${ours.map(fmt).join(', ')}`);
  console.log(`   speed-up over the best ffmpeg (${best.name}): ${(best.ms / median(ours)).toFixed(2)}× (target ≥ 2×)`);
  client.destroy();
  return { server, stream };
}

// ---- 3. PutMedia acks of real-time cameras while GetImages runs ----

const FPS = 30;
const FRAME_BYTES = Math.round(2_000_000 / 8 / FPS);
const FRAMES_PER_CLUSTER = 60;
const rng = prng(0x1a9e5);
const noise = Buffer.from(randomBytes(rng, 1 << 20));

function simpleBlock(timecode: number, key: boolean): Buffer {
  const head = Uint8Array.of(0x81, (timecode >> 8) & 0xff, timecode & 0xff, key ? 0x80 : 0);
  const at = Math.floor(rng() * (noise.length - FRAME_BYTES));
  return Buffer.concat([elementHeader(Id.SimpleBlock, head.length + FRAME_BYTES), head, noise.subarray(at, at + FRAME_BYTES)]);
}

/** N cameras, 2 Mbit/s each, 2-s clusters written frame by frame in real time; PERSISTED latency from each cluster's last byte. */
async function runCameras(url: string, count: number, seconds: number, tag: string): Promise<number[]> {
  const control = new KinesisVideoClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const names = Array.from({ length: count }, (_, i) => `cam-${tag}-${i}`);
  await Promise.all(names.map((StreamName) => control.send(new CreateStreamCommand({ StreamName, DataRetentionInHours: 1 }))));
  control.destroy();
  const blocks = Array.from({ length: FRAMES_PER_CLUSTER }, (_, i) => simpleBlock(Math.round((i * 1000) / FPS), i === 0));
  const blockBytes = blocks.reduce((s, b) => s + b.length, 0);
  const latencies: number[] = [];
  const t0 = performance.now() + 500;
  const endAt = t0 + seconds * 1000;
  const cams = names.map((name) => {
    const req: ClientRequest = request(`${url}/putMedia`, {
      method: 'POST',
      agent: false,
      headers: { 'x-amzn-stream-name': name, 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000.000' },
    });
    const lastByte = new Map<number, number>();
    req.on('response', (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const lines = (pending + d).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const ack = JSON.parse(line) as { EventType: string; FragmentTimecode?: number };
          const at = ack.EventType === 'PERSISTED' ? lastByte.get(ack.FragmentTimecode!) : undefined;
          if (at !== undefined) latencies.push(performance.now() - at);
        }
      });
    });
    req.on('error', () => {});
    req.write(Buffer.from(streamHeader()));
    return { req, lastByte, start: t0 + rng() * 2000, next: 0 };
  });
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      let done = true;
      for (const cam of cams) {
        for (;;) {
          const due = cam.start + (cam.next * 1000) / FPS;
          const i = cam.next % FRAMES_PER_CLUSTER;
          if (i === 0 && due >= endAt) break;
          done = false;
          if (due > now) break;
          const timecode = START_MS + Math.floor(cam.next / FRAMES_PER_CLUSTER) * 2000;
          if (i === 0) cam.req.write(concatBytes([elementHeader(Id.Cluster, uintElement(Id.Timestamp, timecode).length + blockBytes), uintElement(Id.Timestamp, timecode)]));
          cam.req.write(blocks[i]!);
          if (i === FRAMES_PER_CLUSTER - 1) cam.lastByte.set(timecode, performance.now());
          cam.next++;
        }
      }
      if (done) resolve();
      else setTimeout(tick, 2);
    };
    setTimeout(tick, 500);
  });
  await new Promise((r) => setTimeout(r, 2000));
  for (const cam of cams) cam.req.destroy();
  return latencies.sort((a, b) => a - b);
}

async function benchAcks(server: Server, stream: string): Promise<void> {
  const cameras = Number(args.cameras);
  const seconds = Number(args.seconds);
  console.log(`\n3. PutMedia acks: ${cameras} real-time cameras (2 Mbit/s, 2-s fragments) for ${seconds} s, alone and with 4 GetImages clients paging 100 JPEGs in a loop; median of ${RUNS} runs each`);
  const alone: number[] = [];
  const loaded: number[] = [];
  const p50: number[][] = [[], []];
  let pagesDone = 0;
  for (let r = 0; r < RUNS; r++) {
    const quiet = await runCameras(server.url, cameras, seconds, `q${r}`);
    alone.push(percentile(quiet, 0.99));
    p50[0]!.push(percentile(quiet, 0.5));
    const clients = await Promise.all(Array.from({ length: 4 }, () => archivedClient(server.url, stream)));
    let stop = false;
    const readers = clients.map(async (client) => {
      while (!stop) pagesDone += (await getImagesOnce(client, stream)).pages;
    });
    const busy = await runCameras(server.url, cameras, seconds, `b${r}`);
    stop = true;
    await Promise.all(readers);
    clients.forEach((c) => c.destroy());
    loaded.push(percentile(busy, 0.99));
    p50[1]!.push(percentile(busy, 0.5));
    console.log(`   run ${r + 1}: p99 alone ${alone[r]!.toFixed(1)} ms (${quiet.length} acks), with GetImages ${loaded[r]!.toFixed(1)} ms (${busy.length} acks)`);
  }
  console.log(`   p50 alone ${median(p50[0]!).toFixed(1)} ms, with GetImages ${median(p50[1]!).toFixed(1)} ms`);
  console.log(`   p99 alone ${median(alone).toFixed(1)} ms, with GetImages ${median(loaded).toFixed(1)} ms: ratio ${(median(loaded) / median(alone)).toFixed(2)} (target ≤ 2); ${pagesDone} GetImages pages served meanwhile`);
}

const factory = new ServerFactory(dir);
try {
  if (parts.has('decoders')) await benchDecoders();
  if (parts.has('e2e') || parts.has('acks')) {
    const { server, stream } = await benchEndToEnd(factory);
    try {
      if (parts.has('acks')) await benchAcks(server, stream);
    } finally {
      await server.dispose();
    }
  }
} finally {
  await factory.close();
  rmSync(dir, { recursive: true, force: true });
}
