/**
 * Judging GetImages' pictures with an independent decoder: ffmpeg decodes the source file (every
 * frame, display order, rgb24) and the image openkvs returned, and the two are compared by PSNR.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FFMPEG, FFPROBE } from '../unit/formats/isobmff/mkv-source.js';
import { skipUnlessPresent } from './process.js';

export const skipWithoutFfmpegInCi = skipUnlessPresent(existsSync(FFMPEG) && existsSync(FFPROBE) ? FFMPEG : undefined, 'ffmpeg (apt-get install -y ffmpeg)');

export interface DecodedVideo {
  readonly width: number;
  readonly height: number;
  /** Presentation times in ms, display order. */
  readonly ptsMs: number[];
  /** rgb24 pictures, display order. */
  readonly frames: Buffer[];
}

/** Every video frame of `file`, in display order, as ffmpeg decodes it. */
export function decodeAll(file: string): DecodedVideo {
  const probe = JSON.parse(
    execFileSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height:frame=pts_time', '-of', 'json', file], { encoding: 'utf8' }),
  ) as { streams: { width: number; height: number }[]; frames: { pts_time: string }[] };
  const { width, height } = probe.streams[0]!;
  const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
  const size = width * height * 3;
  const frames = Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size));
  const ptsMs = probe.frames.map((f) => Math.round(Number(f.pts_time) * 1000)).sort((a, b) => a - b);
  return { width, height, ptsMs, frames };
}

/** The display-order index of the frame on screen `offsetMs` into the file. */
export function frameAt(video: DecodedVideo, offsetMs: number): number {
  let at = 0;
  video.ptsMs.forEach((pts, i) => {
    if (pts <= offsetMs) at = i;
  });
  return at;
}

/** An image file (PNG, JPEG) decoded by ffmpeg to rgb24, with its size. */
export function decodeImage(bytes: Uint8Array): { width: number; height: number; rgb: Buffer } {
  const probe = JSON.parse(
    execFileSync(FFPROBE, ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', '-i', '-'], { input: bytes, encoding: 'utf8' }),
  ) as { streams: { width: number; height: number }[] };
  const { width, height } = probe.streams[0]!;
  const rgb = execFileSync(FFMPEG, ['-v', 'error', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { input: bytes, maxBuffer: 1 << 28 });
  return { width, height, rgb };
}

/** PSNR in dB of two equally sized 8-bit pictures; Infinity when identical. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`pictures differ in size: ${a.length} vs ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}
