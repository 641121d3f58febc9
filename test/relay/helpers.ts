/**
 * Relay test fixtures: a GStreamer RTSP camera on 127.0.0.1 (rtsp-server.py), `openkvs relay` as
 * a child process with its JSON status lines, and judges of what reached the stream (ffprobe on
 * each fragment's document, ffmpeg decoding HLS).
 */
import { GetHLSStreamingSessionURLCommand, GetMediaForFragmentListCommand, ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { parseAvcDecoderConfig, parseAvcSps } from '../../src/formats/codecs/avc.js';
import type { MkvEvent } from '../../src/formats/matroska/events.js';
import { MkvParser } from '../../src/formats/matroska/parser.js';
import { OPENKVS_CLI } from '../helpers/cli.js';
import { archivedMediaClient, readAll, splitDocuments } from '../helpers/kvs-readers.js';
import { findTool, REPO_ROOT } from '../helpers/process.js';
import { serviceUnavailable } from '../helpers/services.js';
import type { TestServer } from '../helpers/server.js';

export const FFMPEG = findTool(['ffmpeg']);
export const FFPROBE = findTool(['ffprobe']);
const PYTHON = '/usr/bin/python3';
const RTSP_SERVER = path.join(REPO_ROOT, 'test/relay/rtsp-server.py');

function gstRtspPresent(): boolean {
  if (!existsSync(PYTHON)) return false;
  const probe = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer; gi.require_version('Gst','1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('x264enc') and Gst.ElementFactory.find('avenc_aac')"], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Skip reason (outside CI) when ffmpeg or the GStreamer RTSP server is missing. */
export function relayToolsSkip(): string | false {
  return (
    serviceUnavailable(FFMPEG !== undefined && FFPROBE !== undefined, 'ffmpeg and ffprobe (apt-get install ffmpeg)') ||
    serviceUnavailable(
      gstRtspPresent(),
      'the GStreamer RTSP server (apt-get install gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav)',
    )
  );
}

export interface Camera {
  readonly url: string;
  readonly port: number;
  /** Sends a signal to the server process (SIGSTOP/SIGCONT: a camera that stalls). */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** A test-pattern RTSP camera; `args` go to rtsp-server.py (--bframes, --size, --gop, --fps). */
export async function startCamera(args: string[] = [], port = 0): Promise<Camera & { startWith(args: string[]): Promise<void> }> {
  let child: ChildProcess | undefined;
  let bound = port;
  let current = args;
  const start = async () => {
    const c = spawn(PYTHON, [RTSP_SERVER, String(bound), ...current], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    bound = await new Promise<number>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      c.once('exit', (code) => reject(new Error(`rtsp-server.py exited ${code}: ${err}`)));
    });
  };
  await start();
  return {
    get url() {
      return `${current.includes('--tls') ? 'rtsps' : 'rtsp'}://127.0.0.1:${bound}/cam`;
    },
    get port() {
      return bound;
    },
    signal(sig: NodeJS.Signals) {
      child?.kill(sig);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    start,
    /** Starts it again on the same port with other arguments (another resolution, say). */
    async startWith(next: string[]) {
      current = next;
      await start();
    },
  };
}

export interface RelayStatusLine {
  readonly state: string;
  readonly fragmentsPersisted: number;
  readonly fragmentsBuffered: number;
  readonly lastError?: string;
  readonly sessions: number;
  readonly sourceRestarts: number;
}

export interface RelayProcess {
  readonly child: ChildProcess;
  readonly lines: RelayStatusLine[];
  stderr(): string;
  /** Resolves once a status line satisfies `predicate` (rejects after `timeoutMs`). */
  until(predicate: (s: RelayStatusLine) => boolean, timeoutMs: number, what: string): Promise<RelayStatusLine>;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `openkvs relay --json ARGS`; `stdin`: a file descriptor to read as its standard input (source `-`). */
export function startRelay(args: string[], stdin?: number): RelayProcess {
  const child = spawn(process.execPath, [OPENKVS_CLI, 'relay', '--json', ...args], { cwd: REPO_ROOT, stdio: [stdin ?? 'ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' } });
  const lines: RelayStatusLine[] = [];
  let stderr = '';
  let partial = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as RelayStatusLine);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    until(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`relay: timed out waiting for ${what}; last status ${JSON.stringify(lines.at(-1))}; stderr ${stderr}`));
        }, timeoutMs);
        const check = () => {
          const hit = lines.find(predicate);
          if (hit) {
            clearTimeout(deadline);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
        void exited.then(() => {
          clearTimeout(deadline);
          const hit = lines.find(predicate);
          if (hit) resolve(hit);
          else reject(new Error(`relay exited while waiting for ${what}: ${stderr}`));
        });
      });
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Every fragment of the stream, in producer-timestamp order. */
export async function listFragments(t: TestServer, stream: string): Promise<Fragment[]> {
  const client = await archivedMediaClient(t, stream, 'LIST_FRAGMENTS');
  const fragments = (await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 1000 }))).Fragments ?? [];
  return fragments.sort((a, b) => a.ProducerTimestamp!.getTime() - b.ProducerTimestamp!.getTime());
}

/** Each fragment as its own Matroska document (GetMediaForFragmentList). */
export async function fragmentDocuments(t: TestServer, stream: string, fragments: Fragment[]): Promise<Buffer[]> {
  const client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
  const out = await client.send(new GetMediaForFragmentListCommand({ StreamName: stream, Fragments: fragments.map((f) => f.FragmentNumber!) }));
  return splitDocuments(await readAll(out.Payload));
}

export interface Packet {
  readonly stream: number;
  readonly pts: number;
  readonly key: boolean;
}

/** ffprobe's packets of one document (or file), in storage order. */
export function packets(doc: Buffer): Packet[] {
  const run = spawnSync(FFPROBE!, ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,flags', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: doc, encoding: 'utf8', maxBuffer: 64 << 20 });
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [stream, pts, flags] = line.split(',');
      return { stream: Number(stream), pts: Number(pts), key: (flags ?? '').includes('K') };
    });
}

/** ffprobe's video codec parameters (width x height) of a document. */
export function videoSize(doc: Buffer): string {
  const run = spawnSync(FFPROBE!, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', '-i', 'pipe:0'], { input: doc, encoding: 'utf8' });
  return run.stdout.trim();
}

/**
 * What a document's track header says of its H.264 video: the size in its CodecPrivate's SPS
 * and its PixelWidth x PixelHeight ("640x480 640x480"). Read from the header itself, not by
 * ffprobe, which decodes the first frames and would report an in-band SPS instead.
 */
export function headerVideoSize(doc: Buffer): string {
  const events: MkvEvent[] = [];
  const parser = new MkvParser();
  parser.push(doc, events);
  const tracks = events.find((e) => e.kind === 'tracks');
  const video = tracks?.kind === 'tracks' ? tracks.tracks.find((tr) => tr.type === 1) : undefined;
  if (!video?.codecPrivate || !video.video) return 'no video track';
  const sps = parseAvcSps(parseAvcDecoderConfig(video.codecPrivate).sps[0]!);
  return `${sps.width}x${sps.height} ${video.video.pixelWidth}x${video.video.pixelHeight}`;
}

/**
 * Warnings of ffmpeg's own HLS reader, not of the stream: at a track header change (a new
 * EXT-X-MAP after EXT-X-DISCONTINUITY) it feeds the next init segment into the same MP4 demuxer.
 */
const READER_NOTICES = [/Found duplicated MOOV Atom/];

/**
 * ffmpeg decodes the stream's ON_DEMAND HLS whole, in both containers (fMP4 and MPEG-TS); returns
 * its warnings and errors ('' when clean). Warnings count: a picture decoded with missing slices
 * ("corrupt decoded frame") and frames closer than a frame apart ("non monotonically increasing
 * dts", ffmpeg at the stream's constant frame rate) are what a viewer sees as glitches.
 */
export async function hlsDecodeErrors(t: TestServer, stream: string, fragments: Fragment[]): Promise<string> {
  const client = await archivedMediaClient(t, stream, 'GET_HLS_STREAMING_SESSION_URL');
  const first = fragments[0]!.ProducerTimestamp!;
  const last = fragments.at(-1)!.ProducerTimestamp!;
  const problems: string[] = [];
  for (const container of ['FRAGMENTED_MP4', 'MPEG_TS'] as const) {
    const { HLSStreamingSessionURL } = await client.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: stream,
        PlaybackMode: 'ON_DEMAND',
        ContainerFormat: container,
        HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: first, EndTimestamp: new Date(last.getTime() + 20_000) } },
      }),
    );
    // Asynchronous: the server answering ffmpeg runs in this process.
    const child = spawn(FFMPEG!, ['-v', 'warning', '-i', HLSStreamingSessionURL!, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) problems.push(`${container}: exit ${code}: ${stderr}`);
    const lines = stderr.split('\n').filter((line) => line.trim() !== '' && !READER_NOTICES.some((re) => re.test(line)));
    if (lines.length > 0) problems.push(`${container}: ${lines.join('\n')}`);
  }
  return problems.join('\n');
}
