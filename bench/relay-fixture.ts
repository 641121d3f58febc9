/**
 * What the relay benches (relay.js, relay-scale.js, relay-soak.js) share: a camera file encoded
 * once before measuring, GStreamer's RTSP server re-serving it (test/relay/rtsp-server.py: no
 * encoding while measuring), an `openkvs serve` child, and CPU and memory read from /proc.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTree } from './proc-tree.js';

// Benchmarks talk to loopback only. With no AWS credentials set, the credential chain of the
// relays' PutMedia client ends by asking EC2 instance metadata (169.254.169.254).
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin/openkvs.cjs');
const TICK = 100; // USER_HZ on Linux
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime (seconds) of a process and its live descendants, by command name (node, ffmpeg, ...). */
export function cpuByCommand(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICK);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

export function cpuOfTree(pid: number): number {
  return [...cpuByCommand(pid).values()].reduce((a, b) => a + b, 0);
}

/** Resident memory of one process (MB); `peak` is VmHWM. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** RSS of the process and its descendants (MB): a relay process and its ffmpeg children. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((n, p) => n + memoryMb(p).rss, 0);
}

export interface CameraFile {
  readonly size: string;
  readonly bitrate: string;
  readonly fps: number;
  /** Length of the file; only 20 s is encoded, the rest is that clip repeated (copied). */
  readonly seconds: number;
}

/** An H.264 (2-s GOPs, no B-frames) + AAC MP4, encoded once: the camera the benches re-serve. */
export function encodeCamera(dir: string, c: CameraFile): string {
  const clip = path.join(dir, 'clip.mp4');
  const file = path.join(dir, 'cam.mp4');
  const clipSeconds = Math.min(20, c.seconds);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${c.size}:rate=${c.fps}`, '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(clipSeconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', c.bitrate, '-maxrate', c.bitrate, '-bufsize', `${parseFloat(c.bitrate) * 2}M`, '-g', String(2 * c.fps), '-bf', '0',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  const loops = Math.ceil(c.seconds / clipSeconds) - 1;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', String(loops), '-i', clip, '-c', 'copy', file]);
  return file;
}

/** GStreamer's RTSP server re-serving `file` from its start to each client, at rtsp://127.0.0.1:PORT/cam. */
export async function startRtspServer(file: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn('/usr/bin/python3', [path.join(ROOT, 'test/relay/rtsp-server.py'), '0', '--file', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', () => reject(new Error('rtsp-server.py exited (needs gir1.2-gst-rtsp-server-1.0, python3-gi)')));
  });
  return { url: `rtsp://127.0.0.1:${port}/cam`, proc };
}

/** `openkvs serve` on a random port with its data in `dataDir`; resolves once it answers. */
export async function startOpenkvs(dataDir: string): Promise<{ endpoint: string; proc: ChildProcess }> {
  const port = 14570 + Math.floor(Math.random() * 1000);
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${endpoint}/listStreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { endpoint, proc };
    } catch {
      await sleep(100);
    }
  }
  throw new Error('openkvs serve did not start');
}

export async function createStreams(endpoint: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const res = await fetch(`${endpoint}/createStream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ StreamName: name, DataRetentionInHours: 1 }) });
    if (!res.ok) throw new Error(`createStream ${name}: ${res.status} ${await res.text()}`);
  }
}

/** A relays.yaml for `openkvs relay --config`: one relay per stream, all from `source`. */
export function relaysYaml(endpoint: string, streams: readonly string[], source: string): string {
  return [`endpoint: ${endpoint}`, 'relays:', ...streams.map((s) => `  - { stream: ${s}, source: "${source}" }`)].join('\n') + '\n';
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
