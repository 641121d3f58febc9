/**
 * Relay CPU (bench/README.md, "relay.js"): one 1080p30 4 Mbit/s H.264 + AAC camera (GStreamer's
 * RTSP server re-serving a pre-encoded file: no encoding while measuring), relayed three ways in
 * one run, each for --seconds against a real `openkvs serve` child:
 *
 *   relay     `openkvs relay rtsp://… --stream s` (node process + its ffmpeg)
 *   pipe      `ffmpeg -i rtsp://… -c copy -f matroska - | openkvs put-media -`
 *   ffmpeg    `ffmpeg -i rtsp://… -c copy out.mkv` (ffmpeg alone writing the same stream to a file)
 *
 * --runs rounds take the producers in turn (a slow minute of the shared machine then touches all
 * of them); the table holds each producer's median. CPU is user + system time of the producer's
 * processes (not the server's), from /proc, split into node and ffmpeg. `--before DIR` adds the
 * relay of another build (a checkout of the commit before, built) to every round: before/after
 * in one run. `--cpu-prof DIR` runs the relay's node under --cpu-prof.
 *
 * `--warmup` is how long each producer runs before its CPU counts: the default 5 s skips the
 * connection set-up and ffmpeg's probing; a longer one also skips what a node process pays once
 * (V8 optimizing its hot functions, the memory reducer's first full GCs), for the steady state a
 * relay that runs for days is in.
 *
 *   node dist/bench/relay.js [--seconds 30] [--runs 3] [--warmup 5] [--before /tmp/openkvs-before] [--cpu-prof DIR]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, cpuByCommand, createStreams, encodeCamera, median, sleep, startOpenkvs, startRtspServer } from './relay-fixture.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, runs: { type: 'string', default: '3' }, warmup: { type: 'string', default: '5' }, before: { type: 'string' }, 'cpu-prof': { type: 'string' } },
});
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const WARMUP_MS = Number(values.warmup) * 1000;

type Split = Map<string, number>;

async function measure(start: () => ChildProcess[], graceful: boolean): Promise<Split> {
  const children = start();
  await sleep(WARMUP_MS);
  const sample = () => {
    const total: Split = new Map();
    for (const c of children) for (const [comm, s] of cpuByCommand(c.pid!)) total.set(comm, (total.get(comm) ?? 0) + s);
    return total;
  };
  const before = sample();
  await sleep(SECONDS * 1000);
  const after = sample();
  // SIGTERM lets a relay end cleanly (and write its --cpu-prof); SIGKILL after 15 s, and at once
  // for the others (an ffmpeg whose pipe reader is gone would wait on its write for ever).
  for (const c of children) c.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  const killer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 15_000);
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
  clearTimeout(killer);
  const pct: Split = new Map();
  for (const [comm, s] of after) pct.set(comm, ((s - (before.get(comm) ?? 0)) / SECONDS) * 100);
  return pct;
}

const dir = mkdtempSync(path.join(tmpdir(), 'openkvs-bench-relay-'));
console.log('encoding the camera file once (1080p30, 4 Mbit/s, 2-s GOPs, AAC)...');
const file = encodeCamera(dir, { size: '1920x1080', bitrate: '4M', fps: 30, seconds: SECONDS + WARMUP_MS / 1000 + 20 });
const rtsp = await startRtspServer(file);
const server = await startOpenkvs(path.join(dir, 'data'));
const { endpoint } = server;
const url = rtsp.url;
await createStreams(endpoint, ['relay', 'before', 'pipe']);

const relay = (cli: string, stream: string) => () => {
  const prof = values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', path.join(values['cpu-prof'], stream)] : [];
  return [spawn(process.execPath, [...prof, cli, 'relay', url, '--stream', stream, '--endpoint', endpoint, '--json'], { stdio: 'ignore' })];
};
const producers: Array<{ name: string; start: () => ChildProcess[]; relay?: boolean }> = [
  { name: '`openkvs relay rtsp://…`', start: relay(CLI, 'relay'), relay: true },
  ...(values.before !== undefined ? [{ name: '`openkvs relay` before (--before)', start: relay(path.join(values.before, 'bin/openkvs.cjs'), 'before'), relay: true }] : []),
  {
    name: '`ffmpeg -c copy -f matroska - | openkvs put-media -`',
    start: () => {
      const ff = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'matroska', '-cluster_size_limit', '50000000', '-cluster_time_limit', '10000', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const put = spawn(process.execPath, [CLI, 'put-media', '--stream', 'pipe', '--endpoint', endpoint, '--timecode-type', 'RELATIVE', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
      ff.stdout!.pipe(put.stdin!);
      put.stdin!.on('error', () => undefined);
      return [ff, put];
    },
  },
  { name: '`ffmpeg -c copy` to a file', start: () => [spawn('ffmpeg', ['-v', 'error', '-y', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', path.join(dir, 'out.mkv')], { stdio: 'ignore' })] },
];
const results = new Map<string, Split[]>(producers.map((p) => [p.name, []]));
const loads: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    // Each round in another order, so no producer always follows the same one.
    const order = producers.map((_, i) => producers[(i + run) % producers.length]!);
    for (const p of order) {
      loads.push(loadavg()[0]!);
      const split = await measure(p.start, p.relay === true);
      results.get(p.name)!.push(split);
      console.log(`run ${run + 1} ${p.name}: ${[...split].map(([c, v]) => `${c} ${v.toFixed(2)} %`).join(', ')}`);
    }
  }
} finally {
  rtsp.proc.kill('SIGKILL');
  server.proc.kill('SIGTERM');
  await sleep(500);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
const total = (s: Split) => [...s.values()].reduce((a, b) => a + b, 0);
const base = median(results.get(producers.at(-1)!.name)!.map(total));
console.log(`\none 1080p30 4 Mbit/s H.264+AAC RTSP camera, ${SECONDS} s per measure after ${values.warmup} s, median of ${RUNS} runs (CPU % of one core, producer processes only); load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}\n`);
console.log('| producer | CPU % | of which node | of which ffmpeg | × ffmpeg alone |\n|---|---|---|---|---|');
for (const p of producers) {
  const runs = results.get(p.name)!;
  const cpu = median(runs.map(total));
  const part = (comm: string) => median(runs.map((s) => s.get(comm) ?? 0)).toFixed(2);
  console.log(`| ${p.name} | ${cpu.toFixed(2)} | ${part('node')} | ${part('ffmpeg')} | ${(cpu / base).toFixed(2)} |`);
}
