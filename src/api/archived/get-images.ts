import { storedPayloads } from '../../archive/fragment-payloads.js';
import { decodeImagesToken, encodeImagesToken, type ImagesCursor } from '../../archive/images-token.js';
import { InvalidArgumentException, NoDataRetentionException } from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { decodeFrameIndex } from '../../domain/frame-index.js';
import type { StreamRecord } from '../../domain/stream.js';
import { describeTrackCodec } from '../../formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../formats/codecs/track-info.js';
import { MAX_FRAGMENT_DURATION_MS } from '../../ingest/limits.js';
import { planSamples, sampleCount, sampleTime, type GopJob, type IndexedFragmentRecord, type SampleOutcome } from '../../stills/sample-plan.js';
import type { StillJob, StillOutput } from '../../stills/still-job.js';
import type { RequestContext } from '../context.js';
import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonOperation } from '../operation.js';
import { operations as archivedMedia } from '../shapes/kinesis-video-archived-media.js';
import { parseTimestampMs } from '../shapes/validate.js';

/*
 * The rules below are the GetImages API reference and the botocore/SDK model
 * (kinesis-video-archived-media 2017-09-30, GetImagesInput member documentation):
 * - EndTimestamp more than 300 s after StartTimestamp: an error (documented as
 *   "IllegalArgumentException"; the operation's modeled error for it is InvalidArgumentException).
 * - SamplingInterval: default 3000 ms, minimum 200 ms "a hard limit"; a range shorter than the
 *   interval gives the image at StartTimestamp.
 * - FormatConfig: the one key JPEGQuality, "ints from 1 to 100", default 80.
 * - WidthPixels with HeightPixels: stretched to both; "If only the WidthPixels parameter is
 *   provided ... a ValidationException will be thrown"; HeightPixels alone keeps the aspect ratio.
 * - MaxResults: "The default limit is 25 images per API response. Providing a MaxResults greater
 *   than this value will result in a page size of 25."
 * - Image.Error: NO_MEDIA when no media exists for the timestamp, MEDIA_ERROR when the media
 *   there does not allow an image (audio only, or the wrong media ingested).
 */
const MAX_RANGE_MS = 300_000;
const DEFAULT_INTERVAL_MS = 3000;
const MIN_INTERVAL_MS = 200;
const DEFAULT_JPEG_QUALITY = 80;
const PAGE_SIZE = 25;
/** Image.ImageContent's model maximum, in base64 characters. */
const MAX_IMAGE_CONTENT = 6_291_456;
/**
 * Fragments read to cover one page: its samples lie within the 300-s range, plus one fragment of
 * at most 20 s before the first; at KVS's 5 fragments per second that is 1600 fragments.
 */
const MAX_PAGE_FRAGMENTS = 5000;

interface GetImagesInput extends StreamRef {
  ImageSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
  StartTimestamp: unknown;
  EndTimestamp: unknown;
  SamplingInterval?: number;
  Format: 'JPEG' | 'PNG';
  FormatConfig?: Record<string, string>;
  WidthPixels?: number;
  HeightPixels?: number;
  MaxResults?: number;
  NextToken?: string;
}

interface WireImage {
  TimeStamp: number;
  ImageContent?: string;
  Error?: 'NO_MEDIA' | 'MEDIA_ERROR';
}

/**
 * POST /getImages (kvs-api.md §4.4): one entry per sample instant of the page, each the frame on
 * screen at that instant (stills/sample-plan.ts) as JPEG or PNG, decoded off the event loop by the
 * still pool from the key frame before it, one decode per GOP for all its samples.
 */
export const getImages: JsonOperation<GetImagesInput> = {
  name: 'GetImages',
  shape: archivedMedia.GetImages!,
  async handle(input: GetImagesInput, ctx: RequestContext): Promise<object> {
    const schedule = imagesSchedule(input);
    const output = imageOutput(input);
    const stream = await findStream(ctx, input);
    if (stream.dataRetentionInHours === 0) {
      throw new NoDataRetentionException(`Stream ${stream.name} does not retain data (DataRetentionInHours is 0).`);
    }
    const first = input.NextToken === undefined ? 0 : decodeImagesToken(stream.arn, schedule, input.NextToken);
    const total = sampleCount(schedule);
    const last = Math.min(total, first + Math.min(input.MaxResults ?? PAGE_SIZE, PAGE_SIZE));
    const samples = [];
    for (let k = first; k < last; k++) samples.push({ sample: k, timeMs: sampleTime(schedule, k) });
    const images = await pageImages(ctx, stream, schedule, samples, output);
    return last < total ? { Images: images, NextToken: encodeImagesToken(stream.arn, schedule, last) } : { Images: images };
  },
};

function imagesSchedule(input: GetImagesInput): ImagesCursor {
  const startMs = parseTimestampMs(input.StartTimestamp)!;
  const endMs = parseTimestampMs(input.EndTimestamp)!;
  const intervalMs = input.SamplingInterval ?? DEFAULT_INTERVAL_MS;
  if (endMs < startMs) throw new InvalidArgumentException('EndTimestamp must not be before StartTimestamp.');
  if (endMs - startMs > MAX_RANGE_MS) throw new InvalidArgumentException('The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds.');
  if (intervalMs < MIN_INTERVAL_MS) throw new InvalidArgumentException(`SamplingInterval must be at least ${MIN_INTERVAL_MS} ms.`);
  return { by: input.ImageSelectorType === 'SERVER_TIMESTAMP' ? 'server' : 'producer', startMs, endMs, intervalMs };
}

function imageOutput(input: GetImagesInput): StillOutput {
  if (input.WidthPixels !== undefined && input.HeightPixels === undefined) {
    throw new InvalidArgumentException('WidthPixels requires HeightPixels; give both, only HeightPixels, or neither.');
  }
  return { format: input.Format, quality: jpegQuality(input.FormatConfig), width: input.WidthPixels, height: input.HeightPixels };
}

function jpegQuality(config: Record<string, string> | undefined): number {
  const value = config?.['JPEGQuality'];
  if (value === undefined) return DEFAULT_JPEG_QUALITY;
  const quality = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(quality >= 1 && quality <= 100)) throw new InvalidArgumentException('FormatConfig JPEGQuality must be an integer from 1 to 100.');
  return quality;
}

async function pageImages(
  ctx: RequestContext,
  stream: StreamRecord,
  schedule: ImagesCursor,
  samples: { sample: number; timeMs: number }[],
  output: StillOutput,
): Promise<WireImage[]> {
  if (samples.length === 0) return [];
  const range = { by: schedule.by, startMs: samples[0]!.timeMs - MAX_FRAGMENT_DURATION_MS, endMs: samples[samples.length - 1]!.timeMs };
  const records = await ctx.index.fragmentsByTime(stream.streamId, { range, limit: MAX_PAGE_FRAGMENTS });
  const fragments: IndexedFragmentRecord[] = records.map((record) => ({ record, frames: decodeFrameIndex(record.frameIndex) }));
  const videos = await videoTracks(ctx, records);
  const outcomes = planSamples({
    by: schedule.by,
    samples,
    fragments,
    timecodeScaleNs: (f) => videos.get(f.headerId)?.timecodeScaleNs ?? 1e6,
    videoTrack: (f) => videos.get(f.headerId)?.video?.track,
  });
  const pictures = await decodeJobs(ctx, outcomes, videos, output);
  return samples.map(({ sample, timeMs }, i) => {
    const outcome = outcomes[i]!;
    return wireImage(timeMs, outcome, outcome.kind === 'image' ? pictures.get(outcome.job)?.get(sample) : undefined);
  });
}

interface VideoTrack {
  readonly track: number;
  readonly codec: 'avc' | 'hevc';
  readonly extradata: Uint8Array;
  readonly nalLengthSize: number;
}

interface HeaderVideo {
  readonly timecodeScaleNs: number;
  /** Undefined when track 1 is not H.264/H.265 video with usable CodecPrivate: its samples are MEDIA_ERROR. */
  readonly video: VideoTrack | undefined;
}

/** Each track header of the fragments, once: its first track as the video to show. */
async function videoTracks(ctx: RequestContext, records: readonly FragmentRecord[]): Promise<Map<number, HeaderVideo>> {
  const out = new Map<number, HeaderVideo>();
  for (const headerId of new Set(records.map((r) => r.headerId))) {
    const bytes = await ctx.index.getTrackHeader(headerId);
    out.set(headerId, bytes ? headerVideo(bytes) : { timecodeScaleNs: 1e6, video: undefined });
  }
  return out;
}

function headerVideo(bytes: Uint8Array): HeaderVideo {
  try {
    const header = describeTrackHeader(bytes);
    const first = header.tracks[0];
    if (!first || first.kind !== 'video') return { timecodeScaleNs: header.timecodeScaleNs, video: undefined };
    const codec = describeTrackCodec(first);
    if (codec.media !== 'video') return { timecodeScaleNs: header.timecodeScaleNs, video: undefined };
    return {
      timecodeScaleNs: header.timecodeScaleNs,
      video: { track: first.number, codec: codec.kind, extradata: codec.record, nalLengthSize: codec.nalLengthSize },
    };
  } catch {
    return { timecodeScaleNs: 1e6, video: undefined };
  }
}

/** Encoded picture per GOP job and sample number; null where decoding failed. */
type Pictures = Map<GopJob, Map<number, Uint8Array | null>>;

/**
 * Runs the page's GOP jobs on the still pool, a few at a time: each holds its GOP's packets until
 * a worker takes it, so a page never reads more GOPs ahead than the pool can decode.
 */
async function decodeJobs(ctx: RequestContext, outcomes: readonly SampleOutcome[], videos: Map<number, HeaderVideo>, output: StillOutput): Promise<Pictures> {
  const jobs = [...new Set(outcomes.flatMap((o) => (o.kind === 'image' ? [o.job] : [])))];
  const pictures: Pictures = new Map();
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      pictures.set(job, await decodeJob(ctx, job, videos.get(job.fragment.record.headerId)!.video!, output));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs.length, ctx.stills.size + 1) }, lane));
  return pictures;
}

async function decodeJob(ctx: RequestContext, job: GopJob, video: VideoTrack, output: StillOutput): Promise<Map<number, Uint8Array | null>> {
  const frames = job.fragment.frames;
  const targets = [...new Set(job.targets.map((t) => job.frameIndexes.indexOf(t.frameIndex)))];
  const byPacket = new Map<number, Uint8Array | null>();
  try {
    const stillJob: StillJob = {
      codec: video.codec,
      extradata: video.extradata,
      nalLengthSize: video.nalLengthSize,
      payload: await gopPayload(ctx, job),
      sizes: job.frameIndexes.map((i) => frames[i]!.size),
      pts: job.frameIndexes.map((i) => frames[i]!.timecode),
      targets,
      output,
    };
    const { images } = await ctx.stills.run(stillJob);
    targets.forEach((packet, i) => byPacket.set(packet, images[i] ?? null));
  } catch (err) {
    ctx.log.warn({ err, fragment: job.fragment.record.fragmentNumber }, 'GetImages: a GOP could not be decoded');
  }
  return new Map(job.targets.map((t) => [t.sample, byPacket.get(job.frameIndexes.indexOf(t.frameIndex)) ?? null]));
}

/** The job's frame payloads back to back, read through the frame index in one ranged read. */
async function gopPayload(ctx: RequestContext, job: GopJob): Promise<Uint8Array> {
  const frames = job.frameIndexes.map((i) => job.fragment.frames[i]!);
  const ranges = new Uint32Array(frames.flatMap((f) => [f.offset, f.size]));
  const payload = new Uint8Array(frames.reduce((sum, f) => sum + f.size, 0));
  let at = 0;
  for await (const views of storedPayloads(ctx.blobs, [{ fragment: job.fragment.record, ranges }])) {
    for (const view of views) {
      payload.set(view, at);
      at += view.byteLength;
    }
  }
  if (at !== payload.byteLength) throw new Error(`fragment ${job.fragment.record.fragmentNumber}: read ${at} of ${payload.byteLength} payload bytes`);
  return payload;
}

function wireImage(timeMs: number, outcome: SampleOutcome, picture: Uint8Array | null | undefined): WireImage {
  const TimeStamp = timeMs / 1000;
  if (outcome.kind === 'no-media') return { TimeStamp, Error: 'NO_MEDIA' };
  const content = outcome.kind === 'image' && picture ? Buffer.from(picture.buffer, picture.byteOffset, picture.byteLength).toString('base64') : undefined;
  return content && content.length <= MAX_IMAGE_CONTENT ? { TimeStamp, ImageContent: content } : { TimeStamp, Error: 'MEDIA_ERROR' };
}
