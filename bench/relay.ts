/**
 * Relay CPU (bench/README.md, "relay.js"): one 1080p30 4 Mbit/s H.264 + AAC camera (GStreamer's
 * RTSP server re-serving a pre-encoded file: no encoding while measuring), relayed three ways in
 * one run, each for --seconds against a real `openkvs serve` child:
 *
 *   relay     `openkvs relay rtsp://… --stream s` (node process + its ffmpeg)
 *   pipe      `ffmpeg -i rtsp://… -c copy -f matroska - | openkvs put-media -`
 *   ffmpeg    `ffmpeg -i rtsp://… -c copy out.mkv` (ffmpeg alone writing the same stream to a file)
 *
 * CPU is user + system time of the producer's processes (not the server's), from /proc.
 *
 *   node dist/bench/relay.js [--seconds 20]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin/openkvs.cjs');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const SECONDS = Number(values.seconds);
const TICK = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime (seconds) of a process and its descendants still alive. */
function cpuOfTree(pid: number): number {
  let total = 0;
  const kids = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / TICK;
    } catch {
      continue;
    }
    stack.push(...kids(p));
  }
  return total;
}

async function measure(name: string, start: () => ChildProcess[]): Promise<{ name: string; cpuPct: number }> {
  const children = start();
  await sleep(5000); // connection set-up and ffmpeg's probing are not the steady state
  const before = children.reduce((n, c) => n + cpuOfTree(c.pid!), 0);
  await sleep(SECONDS * 1000);
  const after = children.reduce((n, c) => n + cpuOfTree(c.pid!), 0);
  for (const c of children) c.kill('SIGKILL');
  await sleep(500);
  return { name, cpuPct: ((after - before) / SECONDS) * 100 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'openkvs-bench-relay-'));
const file = path.join(dir, 'cam.mp4');
console.log('encoding the camera file once (1080p30, 4 Mbit/s, 2-s GOPs, AAC)...');
execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(SECONDS + 15),
  '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '8M', '-g', '60', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
const port = 18554 + Math.floor(Math.random() * 1000);
const serverPort = 14570 + Math.floor(Math.random() * 1000);
const rtsp = spawn('/usr/bin/python3', [path.join(ROOT, 'test/relay/rtsp-server.py'), String(port), '--file', file], { stdio: 'ignore' });
const server = spawn(process.execPath, [CLI, 'serve', '--port', String(serverPort), '--data-dir', path.join(dir, 'data'), '--log-level', 'warn'], { stdio: 'ignore' });
await sleep(2000);
const endpoint = `http://127.0.0.1:${serverPort}`;
const url = `rtsp://127.0.0.1:${port}/cam`;
for (const s of ['relay', 'pipe']) {
  await fetch(`${endpoint}/createStream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ StreamName: s, DataRetentionInHours: 1 }) });
}
const results = [];
try {
  results.push(await measure('openkvs relay', () => [spawn(process.execPath, [CLI, 'relay', url, '--stream', 'relay', '--endpoint', endpoint, '--json'], { stdio: 'ignore' })]));
  results.push(
    await measure('ffmpeg -c copy | openkvs put-media -', () => {
      const ff = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'matroska', '-cluster_size_limit', '50000000', '-cluster_time_limit', '10000', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const put = spawn(process.execPath, [CLI, 'put-media', '--stream', 'pipe', '--endpoint', endpoint, '--timecode-type', 'RELATIVE', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
      ff.stdout!.pipe(put.stdin!);
      return [ff, put];
    }),
  );
  results.push(await measure('ffmpeg -c copy to a file', () => [spawn('ffmpeg', ['-v', 'error', '-y', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', path.join(dir, 'out.mkv')], { stdio: 'ignore' })]));
} finally {
  rtsp.kill('SIGKILL');
  server.kill('SIGTERM');
  await sleep(500);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
const base = results.at(-1)!.cpuPct;
console.log(`\none 1080p30 4 Mbit/s H.264+AAC RTSP camera, ${SECONDS} s each (CPU % of one core, producer processes only)\n`);
console.log('| producer | CPU % | × ffmpeg alone |\n|---|---|---|');
for (const r of results) console.log(`| ${r.name} | ${r.cpuPct.toFixed(1)} | ${(r.cpuPct / base).toFixed(2)} |`);
