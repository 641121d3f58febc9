/**
 * Synthetic PutMedia bodies built with the project's EBML writer: EBML header, unknown-size
 * Segment, Info (TimestampScale 1 ms), Tracks (one V_MPEG4/ISO/AVC track, optionally an A_AAC
 * one), then clusters of random-content frames. The builder records where each Cluster sits in
 * the body, so tests can cut the bytes they sent by cluster and compare them with what was stored.
 */
import { concatBytes, encodeUtf8 } from '../../src/formats/bytes/read.js';
import { MatroskaId as Id } from '../../src/formats/matroska/ids.js';
import {
  binaryElement,
  blockData,
  ebmlHeaderElement,
  element,
  elementHeader,
  simpleBlockElement,
  stringElement,
  uintElement,
} from '../../src/formats/matroska/writer.js';
export { prng } from './prng.js';


export type Rng = () => number;
export const randInt = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const v = (rng() * 4294967296) >>> 0;
    out[i] = v & 0xff;
    if (i + 1 < length) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < length) out[i + 3] = v >>> 24;
  }
  return out;
}

/** EBML header + the 8-octet unknown-size Segment header + Info + Tracks. */
export function streamHeader(options: { audio?: boolean; codecPrivate?: Uint8Array } = {}): Uint8Array {
  const codecPrivate = options.codecPrivate ?? Uint8Array.of(0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f, 0x01, 0x00, 0x04, 0x68, 0xee, 0x3c, 0x80);
  const video = element(Id.TrackEntry, [
    uintElement(Id.TrackNumber, 1),
    uintElement(Id.TrackUID, 1),
    uintElement(Id.TrackType, 1),
    stringElement(Id.CodecID, 'V_MPEG4/ISO/AVC'),
    binaryElement(Id.CodecPrivate, codecPrivate),
    element(Id.Video, [uintElement(Id.PixelWidth, 1280), uintElement(Id.PixelHeight, 720)]),
  ]);
  const entries = [video];
  if (options.audio) {
    entries.push(
      element(Id.TrackEntry, [
        uintElement(Id.TrackNumber, 2),
        uintElement(Id.TrackUID, 2),
        uintElement(Id.TrackType, 2),
        stringElement(Id.CodecID, 'A_AAC'),
        binaryElement(Id.CodecPrivate, Uint8Array.of(0x12, 0x10)),
      ]),
    );
  }
  return concatBytes([
    ebmlHeaderElement(),
    elementHeader(Id.Segment, undefined),
    element(Id.Info, [uintElement(Id.TimestampScale, 1_000_000), stringElement(Id.MuxingApp, 'openkvs-test'), stringElement(Id.WritingApp, 'openkvs-test')]),
    element(Id.Tracks, entries),
  ]);
}

export interface ClusterOptions {
  /** Cluster timestamp, ms. */
  readonly timecode: number;
  /** Frame payloads of track 1, one every `frameMs`; the first is a key frame. */
  readonly frames: readonly Uint8Array[];
  readonly frameMs: number;
  readonly knownSize: boolean;
  /** Track-2 frames interleaved (one per video frame). */
  readonly audio?: readonly Uint8Array[];
  /** Wrap every other video frame in a BlockGroup with BlockDuration. */
  readonly blockGroups?: boolean;
}

/** One Cluster (known or unknown size) of SimpleBlocks (and BlockGroups when asked). */
export function cluster(options: ClusterOptions): Uint8Array {
  const children: Uint8Array[] = [uintElement(Id.Timestamp, options.timecode)];
  options.frames.forEach((frame, i) => {
    const timecode = i * options.frameMs;
    if (options.blockGroups && i % 2 === 1) {
      children.push(
        element(Id.BlockGroup, [
          element(Id.Block, blockData({ track: 1, timecode, frames: [frame] })),
          uintElement(Id.BlockDuration, options.frameMs),
          element(Id.ReferenceBlock, Uint8Array.of(0xff - options.frameMs)),
        ]),
      );
    } else {
      children.push(simpleBlockElement({ track: 1, timecode, key: i === 0, frames: [frame] }));
    }
    const audio = options.audio?.[i];
    if (audio) children.push(simpleBlockElement({ track: 2, timecode, key: true, frames: [audio] }));
  });
  const body = concatBytes(children);
  return concatBytes([elementHeader(Id.Cluster, options.knownSize ? body.length : undefined), body]);
}

/** A level-1 Tags element with one fragment-metadata item. */
export function metadataTags(name: string, value: string): Uint8Array {
  return element(Id.Tags, [
    element(Id.Tag, [element(Id.Targets, []), element(Id.SimpleTag, [stringElement(Id.TagName, name), element(Id.TagString, encodeUtf8(value))])]),
  ]);
}

export interface SentCluster {
  /** Body offsets of the Cluster's first byte and one past its last. */
  readonly start: number;
  readonly end: number;
  readonly timecode: number;
}

export interface SyntheticStream {
  readonly bytes: Uint8Array;
  readonly clusters: SentCluster[];
}

export interface SyntheticOptions {
  readonly clusters: number;
  /** ms timestamp of the first cluster. */
  readonly startTimecode?: number;
  readonly clusterMs?: number;
  readonly frameMs?: number;
  readonly frameBytes?: readonly [number, number];
  /** 'mixed' picks per cluster. */
  readonly sizes?: 'known' | 'unknown' | 'mixed';
  readonly audio?: boolean;
  readonly blockGroups?: boolean;
  /** Put a Tags element after some clusters. */
  readonly tags?: boolean;
}

/**
 * A whole body: header, then `clusters` clusters of `clusterMs` (default 300 ms) with frames of
 * random content every `frameMs` (default 33 ms).
 */
export function syntheticStream(rng: Rng, options: SyntheticOptions): SyntheticStream {
  const clusterMs = options.clusterMs ?? 300;
  const frameMs = options.frameMs ?? 33;
  const [minBytes, maxBytes] = options.frameBytes ?? [200, 3000];
  const parts: Uint8Array[] = [streamHeader({ audio: options.audio })];
  let at = parts[0]!.length;
  const clusters: SentCluster[] = [];
  for (let c = 0; c < options.clusters; c++) {
    const timecode = (options.startTimecode ?? 1_700_000_000_000) + c * clusterMs;
    const count = Math.max(1, Math.floor(clusterMs / frameMs));
    const frames = Array.from({ length: count }, () => randomBytes(rng, randInt(rng, minBytes, maxBytes)));
    const audio = options.audio ? Array.from({ length: count }, () => randomBytes(rng, randInt(rng, 20, 300))) : undefined;
    const knownSize = options.sizes === 'unknown' ? false : options.sizes === 'mixed' ? rng() < 0.5 : true;
    const bytes = cluster({ timecode, frames, frameMs, knownSize, audio, blockGroups: options.blockGroups });
    parts.push(bytes);
    clusters.push({ start: at, end: at + bytes.length, timecode });
    at += bytes.length;
    if (options.tags && rng() < 0.3) {
      const tags = metadataTags(`k${c}`, `v${c}`);
      parts.push(tags);
      at += tags.length;
    }
  }
  return { bytes: concatBytes(parts), clusters };
}
