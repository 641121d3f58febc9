/**
 * Many relays in one process (bench/README.md, "relay-scale.js"): `openkvs relay --config
 * relays.yaml` with --relays cameras against one `openkvs serve`, all pulled from one GStreamer
 * RTSP server re-serving a pre-encoded file (no encoding while measuring).
 *
 * - PERSISTED latency: from a fragment's last byte handed to its PutMedia connection to its
 *   PERSISTED ack, as the relay reports it (`persistLatencyMs` in its --json status lines);
 *   p50 / p99 / max over the fragments acked during the measured --seconds, and how many took
 *   longer than 1 s.
 * - CPU (% of one core, user + system from /proc) of the relay process (node and its ffmpegs),
 *   the server and the RTSP server, over the measured seconds.
 * - RSS of the relay's node process sampled every --rss-every seconds: the mean of the first and
 *   of the last minute (is memory flat?), and peaks of the relay process tree and the server.
 * - Health at the end: every relay live, and each relay's errors, source restarts, dropped
 *   fragments and PutMedia sessions.
 *
 * Scale:  node dist/bench/relay-scale.js --relays 50 --seconds 60 [--size 1920x1080 --bitrate 4M]
 * Soak:   node dist/bench/relay-scale.js --relays 20 --seconds 600 --rss-every 10
 * `--before DIR` runs another build's relay (a built checkout) instead, to compare memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CLI, cpuByCommand, cpuOfTree, createStreams, encodeCamera, memoryMb, percentile, relaysYaml, sleep, startOpenkvs, startRtspServer, treeRssMb } from './relay-fixture.js';

const { values } = parseArgs({
  options: {
    relays: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    size: { type: 'string', default: '1920x1080' },
    bitrate: { type: 'string', default: '4M' },
    fps: { type: 'string', default: '30' },
    'rss-every': { type: 'string', default: '2' },
    dir: { type: 'string' },
    /** Another build's relay (a built checkout), e.g. the commit before a change: its RSS over time. */
    before: { type: 'string' },
  },
});
const RELAYS = Number(values.relays);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const RSS_EVERY_MS = Number(values['rss-every']) * 1000;

interface Status {
  name: string;
  state: string;
  fragmentsPersisted: number;
  fragmentsDropped: number;
  sourceRestarts: number;
  sessions: number;
  lastError?: string;
  persistLatencyMs?: number;
}

const dir = mkdtempSync(path.join(values.dir ?? tmpdir(), 'openkvs-bench-relay-scale-'));
console.log(`encoding the camera file once (${values.size} at ${values.fps} fps, ${values.bitrate}bit/s, 2-s GOPs, AAC)...`);
const file = encodeCamera(dir, { size: values.size!, bitrate: values.bitrate!, fps: Number(values.fps), seconds: WARMUP + SECONDS + 30 });
const rtsp = await startRtspServer(file);
const server = await startOpenkvs(path.join(dir, 'data'));
const streams = Array.from({ length: RELAYS }, (_, i) => `cam-${i}`);
await createStreams(server.endpoint, streams);
const config = path.join(dir, 'relays.yaml');
writeFileSync(config, relaysYaml(server.endpoint, streams, rtsp.url));

const cli = values.before !== undefined ? path.join(values.before, 'bin/openkvs.cjs') : CLI;
const relay = spawn(process.execPath, [cli, 'relay', '--config', config, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const last = new Map<string, Status>();
const latencies: number[] = [];
/** Acks per 200-ms slot of the 2-s GOP period: how aligned the cameras' fragments are. */
const phase = new Array<number>(10).fill(0);
let measuring = false;
createInterface({ input: relay.stdout! }).on('line', (line) => {
  let s: Status;
  try {
    s = JSON.parse(line) as Status;
  } catch {
    return;
  }
  const prev = last.get(s.name);
  last.set(s.name, s);
  if (!measuring || !prev || s.fragmentsPersisted === prev.fragmentsPersisted || s.persistLatencyMs === undefined) return;
  latencies.push(s.persistLatencyMs);
  phase[Math.floor((Date.now() % 2000) / 200)]!++;
});

const rssSamples: Array<{ at: number; rss: number }> = [];
let treePeak = 0;
let serverPeak = 0;
try {
  console.log(`${RELAYS} relays starting; measuring from ${WARMUP} s for ${SECONDS} s`);
  await sleep(WARMUP * 1000);
  const load = [loadavg()[0]!];
  const persistedBefore = [...last.values()].reduce((n, s) => n + s.fragmentsPersisted, 0);
  const cpu0 = { relay: cpuByCommand(relay.pid!), server: cpuOfTree(server.proc.pid!), rtsp: cpuOfTree(rtsp.proc.pid!) };
  measuring = true;
  const started = Date.now();
  while (Date.now() - started < SECONDS * 1000) {
    rssSamples.push({ at: Date.now() - started, rss: memoryMb(relay.pid!).rss });
    treePeak = Math.max(treePeak, treeRssMb(relay.pid!));
    serverPeak = Math.max(serverPeak, memoryMb(server.proc.pid!).rss);
    await sleep(Math.min(RSS_EVERY_MS, SECONDS * 1000 - (Date.now() - started)));
  }
  measuring = false;
  const elapsed = (Date.now() - started) / 1000;
  const cpu1 = { relay: cpuByCommand(relay.pid!), server: cpuOfTree(server.proc.pid!), rtsp: cpuOfTree(rtsp.proc.pid!) };
  load.push(loadavg()[0]!);
  const pct = (a: number, b: number) => (((b - a) / elapsed) * 100).toFixed(1);
  const statuses = [...last.values()];
  const persisted = statuses.reduce((n, s) => n + s.fragmentsPersisted, 0) - persistedBefore;
  const sorted = [...latencies].sort((a, b) => a - b);
  const late = sorted.filter((v) => v > 1000).length;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const firstMinute = rssSamples.filter((r) => r.at < 60_000).map((r) => r.rss);
  const lastMinute = rssSamples.filter((r) => r.at >= SECONDS * 1000 - 60_000).map((r) => r.rss);
  const unhealthy = statuses.filter((s) => s.state !== 'live' || s.lastError !== undefined || s.sourceRestarts > 0 || s.fragmentsDropped > 0);

  console.log(`\n${RELAYS} relays in one process, ${values.size} ${values.fps} fps ${values.bitrate}bit/s H.264 + AAC, ${SECONDS} s measured after ${WARMUP} s; load average ${load.map((l) => l.toFixed(1)).join(' → ')}\n`);
  console.log('| PERSISTED after last byte | p50 ms | p99 ms | max ms | > 1 s | fragments (expected) |\n|---|---|---|---|---|---|');
  console.log(`| relay → openkvs | ${percentile(sorted, 50)} | ${percentile(sorted, 99)} | ${sorted.at(-1)} | ${late} | ${sorted.length} (${Math.round((RELAYS * SECONDS) / 2)}) |`);
  console.log(`\nacks per 200-ms slot of the 2-s GOP period (camera alignment): ${phase.join(' ')}`);
  const relayCpu = (comm: string) => pct(cpu0.relay.get(comm) ?? 0, cpu1.relay.get(comm) ?? 0);
  console.log('\n| CPU % of one core | relay node | relay ffmpegs | server | RTSP server |\n|---|---|---|---|---|');
  console.log(`| over ${Math.round(elapsed)} s | ${relayCpu('node')} | ${relayCpu('ffmpeg')} | ${pct(cpu0.server, cpu1.server)} | ${pct(cpu0.rtsp, cpu1.rtsp)} |`);
  console.log('\n| RSS MB | relay node, first minute (mean) | relay node, last minute (mean) | relay node peak | relay + ffmpegs peak | server peak |\n|---|---|---|---|---|---|');
  console.log(`| | ${mean(firstMinute).toFixed(0)} | ${mean(lastMinute).toFixed(0)} | ${memoryMb(relay.pid!).peak.toFixed(0)} | ${treePeak.toFixed(0)} | ${serverPeak.toFixed(0)} |`);
  console.log(`\nhealth: ${statuses.length} relays reporting, ${RELAYS - unhealthy.length} live with no error, restart or drop; ${persisted} fragments persisted in the window; sessions ${Math.min(...statuses.map((s) => s.sessions))}–${Math.max(...statuses.map((s) => s.sessions))} per relay`);
  for (const s of unhealthy) console.log(`  ${s.name}: ${s.state}, restarts ${s.sourceRestarts}, dropped ${s.fragmentsDropped}, last error ${s.lastError ?? '-'}`);
  if (RSS_EVERY_MS >= 10_000) console.log(`\nrelay node RSS every ${RSS_EVERY_MS / 1000} s (MB): ${rssSamples.map((r) => r.rss.toFixed(0)).join(' ')}`);
} finally {
  relay.kill('SIGTERM');
  await new Promise((r) => (relay.exitCode !== null ? r(null) : relay.once('exit', r)));
  rtsp.proc.kill('SIGKILL');
  server.proc.kill('SIGTERM');
  await sleep(500);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
