import type { ServerResponse } from 'node:http';
import { storedPayloads } from '../../archive/fragment-payloads.js';
import { ResponseSink } from '../../archive/response-sink.js';
import {
  InvalidArgumentException,
  InvalidCodecPrivateDataException,
  MissingCodecPrivateDataException,
  NoDataRetentionException,
  ResourceNotFoundException,
  UnsupportedStreamMediaTypeException,
  type ApiError,
} from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { decodeFrameIndex } from '../../domain/frame-index.js';
import type { StreamRecord } from '../../domain/stream.js';
import { CodecConfigError } from '../../formats/codecs/codec-error.js';
import { describeTrackCodec } from '../../formats/codecs/track-codec.js';
import { describeTrackHeader, type TrackDescription } from '../../formats/codecs/track-info.js';
import { planProgressiveClip, type ClipPlan, type ClipTrack } from '../../formats/isobmff/progressive-clip.js';
import type { FragmentTimestampKind } from '../../storage/index-store.js';
import type { RequestContext } from '../context.js';
import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonStreamOperation } from '../operation.js';
import { operations as archivedMedia } from '../shapes/kinesis-video-archived-media.js';
import { parseTimestampMs } from '../shapes/validate.js';

/** kvs-api.md §4.3: a clip holds the first 200 fragments or the first 100 MB, whichever comes first. */
export const MAX_CLIP_FRAGMENTS = 200;
export const MAX_CLIP_BYTES = 100 * 1024 * 1024;
const MAX_RANGE_MS = 24 * 3600 * 1000;
/** Fragments read per clip before de-duplication: room for many duplicate producer timestamps. */
const CANDIDATE_FRAGMENTS = 4 * MAX_CLIP_FRAGMENTS;

interface GetClipInput extends StreamRef {
  ClipFragmentSelector: {
    FragmentSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
    TimestampRange: { StartTimestamp: unknown; EndTimestamp: unknown };
  };
}

/**
 * POST /getClip (kvs-api.md §4.3): an ordinary MP4 of the fragments that start in the range.
 * The whole moov is computed from the frame indexes before the first media byte, so the answer
 * has a Content-Length, starts at once, and its mdat streams straight from storage.
 */
export const getClip: JsonStreamOperation<GetClipInput> = {
  name: 'GetClip',
  shape: archivedMedia.GetClip!,
  async handle(input: GetClipInput, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const range = clipRange(input, ctx.clock.nowMs());
    const stream = await findStream(ctx, input);
    if (stream.dataRetentionInHours === 0) {
      throw new NoDataRetentionException(`Stream ${stream.name} does not retain data (DataRetentionInHours is 0).`);
    }
    const candidates = await selectFragments(ctx, stream, range);
    const clip = await clipContents(ctx, candidates);
    const plan = planProgressiveClip({ tracks: clip.tracks, timecodeScaleNs: clip.timecodeScaleNs, fragments: clip.fragments.map(indexedFragment) });
    await sendClip(res, ctx, clip.fragments, plan);
  },
};

interface ClipRange {
  readonly by: FragmentTimestampKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** ClipTimestampRange rules: end after start, within 24 h of it, and in the past for server timestamps. */
function clipRange(input: GetClipInput, nowMs: number): ClipRange {
  const selector = input.ClipFragmentSelector;
  const startMs = parseTimestampMs(selector.TimestampRange.StartTimestamp)!;
  const endMs = parseTimestampMs(selector.TimestampRange.EndTimestamp)!;
  const by: FragmentTimestampKind = selector.FragmentSelectorType === 'SERVER_TIMESTAMP' ? 'server' : 'producer';
  if (endMs <= startMs) throw new InvalidArgumentException('ClipFragmentSelector.TimestampRange.EndTimestamp must be later than StartTimestamp.');
  if (endMs - startMs > MAX_RANGE_MS) throw new InvalidArgumentException('ClipFragmentSelector.TimestampRange must not span more than 24 hours.');
  if (by === 'server' && endMs > nowMs) {
    throw new InvalidArgumentException('ClipFragmentSelector.TimestampRange.EndTimestamp must be in the past for SERVER_TIMESTAMP.');
  }
  return { by, startMs, endMs };
}

/** The fragments starting in the range, chosen by chooseClipFragments; none: ResourceNotFound. */
async function selectFragments(ctx: RequestContext, stream: StreamRecord, range: ClipRange): Promise<FragmentRecord[]> {
  const chosen = chooseClipFragments(await ctx.index.fragmentsByTime(stream.streamId, { range, limit: CANDIDATE_FRAGMENTS }));
  if (chosen.length === 0) throw new ResourceNotFoundException('No fragments found in the stream for the specified timestamp range.');
  return chosen;
}

/**
 * From fragments in selector order: de-duplicated on producer timestamp (the earliest ingested
 * wins), cut at 200 fragments or 100 MiB (the first fragment always counts), then put in
 * producer-time order: the clip's timeline is the producer's.
 */
export function chooseClipFragments(found: readonly FragmentRecord[]): FragmentRecord[] {
  // Fragment numbers grow with ingestion and have one fixed width: the smallest is the earliest.
  const earliest = new Map<number, FragmentRecord>();
  for (const fragment of found) {
    const other = earliest.get(fragment.producerTimestampMs);
    if (!other || fragment.fragmentNumber < other.fragmentNumber) earliest.set(fragment.producerTimestampMs, fragment);
  }
  const chosen: FragmentRecord[] = [];
  let bytes = 0;
  for (const fragment of found) {
    if (earliest.get(fragment.producerTimestampMs) !== fragment) continue;
    if (chosen.length === MAX_CLIP_FRAGMENTS || (chosen.length > 0 && bytes + fragment.size > MAX_CLIP_BYTES)) break;
    chosen.push(fragment);
    bytes += fragment.size;
  }
  return chosen.sort((a, b) => a.producerTimestampMs - b.producerTimestampMs || (a.fragmentNumber < b.fragmentNumber ? -1 : 1));
}

interface ClipContents {
  readonly tracks: ClipTrack[];
  readonly timecodeScaleNs: number;
  readonly fragments: FragmentRecord[];
}

/**
 * The clip's tracks come from the first fragment's track header: H.264 or H.265 video first,
 * then optionally AAC or G.711 audio (further tracks are left out). Every fragment of the clip
 * must agree with it, as KVS requires ("Video playback track requirements", GetClip: "CPD changes
 * aren't supported between the target fragments of the resulting clip. The CPD must remain
 * consistent through the queried media, otherwise an error will be returned", and likewise for
 * track changes): a clip never silently stops short at a change.
 */
async function clipContents(ctx: RequestContext, fragments: FragmentRecord[]): Promise<ClipContents> {
  const headers = new Map<number, ClipHeader>();
  const headerOf = async (headerId: number) => {
    let header = headers.get(headerId);
    if (!header) {
      const bytes = await ctx.index.getTrackHeader(headerId);
      if (!bytes) throw new MissingCodecPrivateDataException('The fragment has no track header.');
      header = codecCall(() => describeTrackHeader(bytes));
      headers.set(headerId, header);
    }
    return header;
  };
  const first = await headerOf(fragments[0]!.headerId);
  const tracks = clipTracks(first.tracks);
  for (const fragment of fragments.slice(1)) checkSameClipTracks(first, await headerOf(fragment.headerId), tracks.length, fragment);
  return { tracks, timecodeScaleNs: first.timecodeScaleNs, fragments };
}

function clipTracks(tracks: readonly TrackDescription[]): ClipTrack[] {
  const [video, audio] = tracks;
  if (!video || video.kind !== 'video') throw new UnsupportedStreamMediaTypeException('Track 1 must be H.264 or H.265 video.');
  const out: ClipTrack[] = [{ trackNumber: video.number, codec: codecCall(() => describeTrackCodec(video)) }];
  if (out[0]!.codec.media !== 'video') throw new UnsupportedStreamMediaTypeException('Track 1 must be H.264 or H.265 video.');
  if (audio) {
    const codec = codecCall(() => describeTrackCodec(audio));
    if (audio.kind !== 'audio' || codec.media !== 'audio') throw new UnsupportedStreamMediaTypeException('Track 2 must be AAC or G.711 audio.');
    out.push({ trackNumber: audio.number, codec });
  }
  return out;
}

type ClipHeader = { timecodeScaleNs: number; tracks: readonly TrackDescription[] };

/**
 * A later fragment's header against the first one's, on the clip's tracks. KVS documents that an
 * error is returned but not which; a changed codec private data is InvalidCodecPrivateData (its
 * description: "not valid for this operation"), a changed track set or codec
 * UnsupportedStreamMediaType. Either message names the fragment where the change happens, so a
 * caller can ask for the clip up to there.
 */
function checkSameClipTracks(a: ClipHeader, b: ClipHeader, count: number, fragment: FragmentRecord): void {
  if (a === b) return;
  const at = `fragment ${fragment.fragmentNumber} (producer timestamp ${new Date(fragment.producerTimestampMs).toISOString()})`;
  const clipCount = Math.min(b.tracks.length, 2);
  if (a.timecodeScaleNs !== b.timecodeScaleNs || clipCount !== count) {
    throw new UnsupportedStreamMediaTypeException(`The tracks change within the requested range, at ${at}; a clip must have the same tracks throughout.`);
  }
  for (let i = 0; i < count; i++) {
    const x = a.tracks[i]!;
    const y = b.tracks[i]!;
    if (x.number !== y.number || x.codecId !== y.codecId) {
      throw new UnsupportedStreamMediaTypeException(`Track ${y.number} changes codec within the requested range, at ${at}; a clip must have the same tracks throughout.`);
    }
    if (!sameBytes(x.codecPrivate, y.codecPrivate)) {
      throw new InvalidCodecPrivateDataException(`The codec private data of track ${y.number} changes within the requested range, at ${at}; the codec private data must remain consistent throughout a clip.`);
    }
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const CODEC_ERRORS: Record<CodecConfigError['reason'], new (message: string) => ApiError> = {
  missing: MissingCodecPrivateDataException,
  invalid: InvalidCodecPrivateDataException,
  unsupported: UnsupportedStreamMediaTypeException,
};

/** Runs a codec parser, turning its verdict into the AWS exception for it. */
function codecCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecConfigError) throw new CODEC_ERRORS[err.reason](err.message);
    throw err;
  }
}

function indexedFragment(fragment: FragmentRecord) {
  return { producerTimestampMs: fragment.producerTimestampMs, frames: decodeFrameIndex(fragment.frameIndex) };
}

/**
 * Header first, then the payloads as storage yields them: each chunk read becomes one corked
 * batch of views (one writev, no copy); the next chunk is asked for once the socket has taken the
 * batch, which is backpressure and lets the store read into the same two buffers throughout
 * (ReadOptions.reuseChunks). Stops if the client goes away.
 */
async function sendClip(res: ServerResponse, ctx: RequestContext, fragments: readonly FragmentRecord[], plan: ClipPlan): Promise<void> {
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': plan.totalBytes });
  const sink = new ResponseSink(res);
  if (!(await sink.write(plan.header))) return;
  const reads = fragments.map((fragment, i) => ({ fragment, ranges: plan.payloadRanges[i]! }));
  for await (const views of storedPayloads(ctx.blobs, reads, { reuseChunks: true })) {
    // Leaving the loop early closes the blob read through return().
    if (!(await sink.writeBatchFlushed(views))) return;
  }
  sink.end();
}
