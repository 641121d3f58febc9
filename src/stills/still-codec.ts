/**
 * Decoding H.264/H.265 and encoding JPEG/PNG, inside a still worker (never on the event loop).
 *
 * Why node-av: it binds FFmpeg's libavcodec/libswscale and ships the native library inside an npm
 * package (@seydx/node-av-linux-x64, an optional dependency picked per platform), so `npm ci`
 * alone gives a working decoder on a fresh machine, with no apt package and no install script
 * (its postinstall, which would download an ffmpeg CLI, is declined in package.json). It exposes
 * the synchronous codec calls a worker thread wants, so decoding runs on threads we size and
 * nice ourselves rather than on libuv's pool, which PutMedia's segment writes use. Measured
 * against spawning an ffmpeg binary and against ffmpeg.wasm in bench/README.md.
 *
 * One decoder is kept per worker and flushed between jobs while the codec and its CodecPrivate
 * stay the same, so a camera's GOPs do not each pay for opening a decoder.
 */
import { Codec, CodecContext, FFmpegError, Frame, Log, Packet, SoftwareScaleContext } from 'node-av/lib';
import {
  AV_CODEC_FLAG_QSCALE,
  AV_CODEC_ID_H264,
  AV_CODEC_ID_HEVC,
  AV_CODEC_ID_MJPEG,
  AV_CODEC_ID_PNG,
  AV_LOG_QUIET,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_YUVJ420P,
  FF_QP2LAMBDA,
  SWS_BICUBIC,
  type AVPixelFormat,
} from 'node-av/constants';
import { isAvcNonReference } from '../formats/codecs/nal-reference.js';
import type { StillJob, StillOutput, StillResult } from './still-job.js';

// Decode warnings of damaged media become MEDIA_ERROR entries; the log would only be noise.
Log.setLevel(AV_LOG_QUIET);

let decoder: { key: string; ctx: CodecContext } | undefined;

export function runStillJob(job: StillJob): StillResult {
  const ctx = openDecoder(job);
  const wanted = new Map<bigint, number>(job.targets.map((packet, i) => [BigInt(job.pts[packet]!), i]));
  const images: (Uint8Array | null)[] = job.targets.map(() => null);
  const frame = new Frame();
  frame.alloc();
  const encoder = new StillEncoder(job.output);
  try {
    const take = () => {
      while (ctx.receiveFrameSync(frame) >= 0) {
        const slot = wanted.get(frame.pts);
        if (slot !== undefined && images[slot] === null && frame.decodeErrorFlags === 0) images[slot] = encoder.encode(frame);
        frame.unref();
      }
    };
    const targets = new Set(job.targets);
    let at = 0;
    job.sizes.forEach((size, i) => {
      const bytes = job.payload.subarray(at, at + size);
      at += size;
      if (!targets.has(i) && job.codec === 'avc' && isAvcNonReference(bytes, job.nalLengthSize)) return;
      sendPacket(ctx, bytes, job.pts[i]!);
      take();
    });
    ctx.sendPacketSync(null);
    take();
  } finally {
    frame.free();
    encoder.close();
  }
  return { images };
}

function sendPacket(ctx: CodecContext, bytes: Uint8Array, pts: number): void {
  const packet = new Packet();
  packet.alloc();
  try {
    packet.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    packet.pts = BigInt(pts);
    // A damaged packet only costs the pictures that depend on it (they come out flagged or not at all).
    ctx.sendPacketSync(packet);
  } finally {
    packet.free();
  }
}

function openDecoder(job: StillJob): CodecContext {
  const key = `${job.codec}:${Buffer.from(job.extradata).toString('base64')}`;
  if (decoder?.key === key) {
    decoder.ctx.flushBuffers();
    return decoder.ctx;
  }
  decoder?.ctx.freeContext();
  decoder = undefined;
  const codec = Codec.findDecoder(job.codec === 'avc' ? AV_CODEC_ID_H264 : AV_CODEC_ID_HEVC);
  if (!codec) throw new Error(`no ${job.codec} decoder in this FFmpeg build`);
  const ctx = new CodecContext();
  ctx.allocContext3(codec);
  ctx.extraData = Buffer.from(job.extradata);
  // The worker is the unit of parallelism; codec threads would escape its niceness and bound.
  ctx.threadCount = 1;
  FFmpegError.throwIfError(ctx.open2Sync(codec), 'open decoder');
  decoder = { key, ctx };
  return ctx;
}

/** Scales a decoded picture to the output size and pixel format, and encodes it. */
class StillEncoder {
  private scaler: { key: string; sws: SoftwareScaleContext } | undefined;
  private encoder: { key: string; ctx: CodecContext } | undefined;
  private readonly scaled = new Frame();
  private readonly packet = new Packet();

  constructor(private readonly output: StillOutput) {
    this.scaled.alloc();
    this.packet.alloc();
  }

  encode(picture: Frame): Uint8Array | null {
    const { width, height } = outputSize(this.output, picture.width, picture.height);
    const format = this.output.format === 'PNG' ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ420P;
    this.scale(picture, width, height, format);
    const ctx = this.encoderFor(width, height, format);
    // With a fixed quantiser, MPEG-family encoders (MJPEG) take the scale from each frame.
    this.scaled.quality = ctx.globalQuality;
    if (ctx.sendFrameSync(this.scaled) < 0) return null;
    if (ctx.receivePacketSync(this.packet) < 0) return null;
    const bytes = Uint8Array.from(this.packet.data ?? []);
    this.packet.unref();
    return bytes.length > 0 ? bytes : null;
  }

  close(): void {
    this.scaler?.sws.freeContext();
    this.encoder?.ctx.freeContext();
    this.scaled.free();
    this.packet.free();
  }

  private scale(picture: Frame, width: number, height: number, format: AVPixelFormat): void {
    const key = `${picture.width}x${picture.height}:${picture.format}`;
    if (this.scaler?.key !== key) {
      this.scaler?.sws.freeContext();
      const sws = new SoftwareScaleContext();
      // Bicubic, the ffmpeg CLI's default, so that a PNG is the picture ffmpeg itself would give.
      sws.getContext(picture.width, picture.height, picture.format as AVPixelFormat, width, height, format, SWS_BICUBIC as never);
      this.scaler = { key, sws };
      this.scaled.unref();
      this.scaled.width = width;
      this.scaled.height = height;
      this.scaled.format = format;
      FFmpegError.throwIfError(this.scaled.getBuffer(), 'frame buffer');
    }
    FFmpegError.throwIfError(this.scaler.sws.scaleFrameSync(this.scaled, picture), 'scale');
  }

  private encoderFor(width: number, height: number, format: AVPixelFormat): CodecContext {
    const key = `${width}x${height}`;
    if (this.encoder?.key === key) return this.encoder.ctx;
    this.encoder?.ctx.freeContext();
    const png = this.output.format === 'PNG';
    const codec = Codec.findEncoder(png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG);
    if (!codec) throw new Error(`no ${this.output.format} encoder in this FFmpeg build`);
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = format;
    ctx.timeBase = { num: 1, den: 1000 } as never;
    if (!png) {
      const q = jpegQscale(this.output.quality);
      ctx.flags = AV_CODEC_FLAG_QSCALE as never;
      ctx.globalQuality = q * FF_QP2LAMBDA;
      ctx.qMin = 1;
      ctx.qMax = q;
    }
    FFmpegError.throwIfError(ctx.open2Sync(codec), 'open encoder');
    this.encoder = { key, ctx };
    return ctx;
  }
}

/**
 * Output size by AWS's GetImages rules: both given, stretched to them; only HeightPixels, the
 * width follows the source's aspect ratio; neither, the source size. (WidthPixels alone is
 * refused by the operation before any decoding.)
 */
export function outputSize(output: Pick<StillOutput, 'width' | 'height'>, sourceWidth: number, sourceHeight: number): { width: number; height: number } {
  if (output.height === undefined) return { width: sourceWidth, height: sourceHeight };
  if (output.width !== undefined) return { width: output.width, height: output.height };
  return { width: Math.max(1, Math.round((output.height * sourceWidth) / sourceHeight)), height: output.height };
}

/**
 * JPEGQuality (libjpeg's 1–100 scale, which KVS's FormatConfig uses) as the MJPEG encoder's
 * quantiser scale (1–31). Both scale the standard tables of ITU-T T.81 Annex K: libjpeg by
 * 5000/q % below 50 and by (200 − 2q) % from 50; the mapping takes qscale 1 per 25 % of that, an
 * approximation (the two encoders also differ in rounding), monotonic so that a higher quality
 * never gives a coarser image.
 */
export function jpegQscale(quality: number): number {
  const percent = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  return Math.min(31, Math.max(1, Math.round(percent / 25)));
}
