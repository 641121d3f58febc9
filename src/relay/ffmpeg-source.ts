/**
 * The source side of a relay: ffmpeg does the network protocols (RTSP/RTSPS over TCP or UDP,
 * RTMP, SRT, HTTP) and demuxing, the one dependency made for exactly that; openkvs does what is
 * KVS-specific on its Matroska output. Video is always copied; audio is copied when KVS plays it
 * (AAC, G.711) and transcoded to AAC otherwise. The Cluster limits above any GOP make ffmpeg start
 * a Cluster only at a video key frame (README "Sending video").
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export type SourceKind = 'rtsp' | 'rtmp' | 'srt' | 'http' | 'file' | 'stdin';

export class SourceError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help (bad URL, no such file, unsupported codec). */
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

export interface SourceOptions {
  readonly source: string;
  /** RTSP transport; default tcp (UDP loses packets on busy networks and behind NAT). */
  readonly rtspTransport?: 'tcp' | 'udp';
  /** Read at the native frame rate (default: for files only; live sources pace themselves). */
  readonly realtime?: boolean;
  /** Play a file source again and again (tests, benches, demo streams). */
  readonly loop?: boolean;
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
}

export function sourceKind(source: string): SourceKind {
  if (source === '-') return 'stdin';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!isFile(source)) throw new SourceError(`no such file: ${source}`, true);
    return 'file';
  }
  if (scheme === 'rtsp' || scheme === 'rtsps') return 'rtsp';
  if (scheme === 'rtmp' || scheme === 'rtmps') return 'rtmp';
  if (scheme === 'srt') return 'srt';
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'file') return 'file';
  throw new SourceError(`unsupported source ${source}: use rtsp://, rtsps://, rtmp://, srt://, http(s)://, a file or -`, true);
}

/**
 * Text (a source, an error naming it) without the user names and passwords camera URLs often
 * carry, for showing beyond the relay's own process.
 */
export function redactedSource(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile() || statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/** Throws a SourceError saying how to get ffmpeg when it is not on PATH. */
export function checkFfmpeg(ffmpeg = 'ffmpeg'): void {
  const probe = spawnSync(ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new SourceError(
      `openkvs relay needs ffmpeg (it does the RTSP/RTMP/SRT/HTTP protocols and demuxing) but "${ffmpeg}" was not found on PATH; install it (apt-get install ffmpeg, brew install ffmpeg) or pass --ffmpeg PATH`,
      true,
    );
  }
}

export interface ProbedStream {
  readonly codecType: string;
  readonly codecName: string;
  readonly hasBFrames: number;
}

export interface ProbedSource {
  /** ffprobe's format_name ("mpegts", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "rtsp"). */
  readonly format: string;
  readonly streams: ProbedStream[];
}

/**
 * ffprobe's view of the source (codecs decide copy or transcode); undefined on failure and for
 * sources not probed: stdin (it can be read once), RTMP and SRT (a publisher listening for one
 * client would give its connection to the probe).
 */
export async function probeSource(options: SourceOptions, timeoutMs = 15_000): Promise<ProbedSource | undefined> {
  const kind = sourceKind(options.source);
  if (kind === 'stdin' || kind === 'rtmp' || kind === 'srt') return undefined;
  const args = ['-v', 'error', ...inputOptions(kind, options, true), '-show_entries', 'stream=codec_type,codec_name,has_b_frames:format=format_name', '-of', 'json', options.source];
  return new Promise((resolve) => {
    const child = spawn(options.ffprobe ?? 'ffprobe', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return resolve(undefined);
      try {
        const parsed = JSON.parse(out) as { format?: { format_name?: string }; streams?: Array<{ codec_type?: string; codec_name?: string; has_b_frames?: number }> };
        resolve({
          format: parsed.format?.format_name ?? '',
          streams: (parsed.streams ?? []).map((s) => ({ codecType: s.codec_type ?? '', codecName: s.codec_name ?? '', hasBFrames: s.has_b_frames ?? 0 })),
        });
      } catch {
        resolve(undefined);
      }
    });
  });
}

const COPIED_AUDIO = new Set(['aac', 'pcm_alaw', 'pcm_mulaw']);
const VIDEO_CODECS = new Set(['h264', 'hevc']);

export interface AudioPlan {
  readonly audio: 'copy' | 'aac' | 'none';
}

/** Decides what to do with the probed streams; throws a fatal SourceError for video KVS cannot take. */
export function planStreams(probed: ProbedSource | undefined, kind?: SourceKind): AudioPlan {
  // RTMP carries AAC with its config (copied); MPEG-TS (over SRT, HTTP, stdin) carries ADTS AAC,
  // whose config ffmpeg's Matroska muxer needs before the first packet ("Could not write
  // header"), so that audio is re-encoded (cheap).
  if (probed === undefined) return { audio: kind === 'rtmp' ? 'copy' : 'aac' };
  const { streams } = probed;
  const video = streams.find((s) => s.codecType === 'video');
  if (video && !VIDEO_CODECS.has(video.codecName)) {
    throw new SourceError(`the source's video is ${video.codecName}; openkvs relays H.264 and H.265 without re-encoding`, true);
  }
  const audio = streams.find((s) => s.codecType === 'audio');
  if (!audio) return { audio: 'none' };
  const adts = audio.codecName === 'aac' && probed.format.split(',').includes('mpegts');
  return { audio: COPIED_AUDIO.has(audio.codecName) && !adts ? 'copy' : 'aac' };
}

function inputOptions(kind: SourceKind, options: SourceOptions, probing: boolean): string[] {
  const args: string[] = [];
  if (kind === 'rtsp') args.push('-rtsp_transport', options.rtspTransport ?? 'tcp');
  if (probing) return args;
  // Keep ffmpeg's own read timeouts above the relay's stall detection, which decides.
  if (kind === 'file' && options.loop) args.push('-stream_loop', '-1');
  if (options.realtime ?? kind === 'file') args.push('-re');
  return args;
}

/** ffmpeg's arguments for one run: source in, Matroska with one Cluster per GOP on stdout. */
export function ffmpegArgs(options: SourceOptions, plan: AudioPlan): string[] {
  const kind = sourceKind(options.source);
  const input = kind === 'stdin' ? 'pipe:0' : options.source;
  const audio = plan.audio === 'none' ? ['-an'] : ['-map', '0:a:0?', '-c:a', plan.audio === 'copy' ? 'copy' : 'aac'];
  return [
    '-hide_banner',
    '-loglevel', 'error',
    ...(kind === 'stdin' ? [] : ['-nostdin']),
    ...inputOptions(kind, options, false),
    '-i', input,
    '-map', '0:v:0',
    '-c:v', 'copy',
    // RTSP with B-frames: packets ahead of the first timed picture come without a timestamp,
    // and the Matroska muxer ends the run on them; drop them (the relay starts at a key frame anyway).
    '-bsf:v', 'noise=drop=eq(pts\\,nopts)',
    ...audio,
    '-f', 'matroska',
    '-cluster_size_limit', '50000000',
    '-cluster_time_limit', '10000',
    'pipe:1',
  ];
}

export type FfmpegProcess = ChildProcessByStdio<Writable | null, Readable, Readable>;

export function spawnFfmpeg(options: SourceOptions, plan: AudioPlan): FfmpegProcess {
  const stdin = sourceKind(options.source) === 'stdin' ? 'pipe' : 'ignore';
  return spawn(options.ffmpeg ?? 'ffmpeg', ffmpegArgs(options, plan), { stdio: [stdin, 'pipe', 'pipe'] }) as FfmpegProcess;
}

/** ffmpeg stderr lines that mean retrying cannot help. */
const FATAL_STDERR = [/Protocol not found/i, /No such file or directory/i, /Invalid argument/i, /401 Unauthorized/i];

export function isFatalStderr(line: string): boolean {
  return FATAL_STDERR.some((re) => re.test(line));
}
