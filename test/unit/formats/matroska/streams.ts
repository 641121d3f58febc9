/** Test helpers: build Matroska bodies with the writer, feed them to MkvParser in various chunkings. */
import { concatBytes } from '../../../../src/formats/bytes/read.js';
import type { MkvEvent } from '../../../../src/formats/matroska/events.js';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import { MkvParser } from '../../../../src/formats/matroska/parser.js';
import {
  binaryElement,
  blockData,
  ebmlHeaderElement,
  element,
  elementHeader,
  floatElement,
  intElement,
  stringElement,
  uintElement,
  unknownSizeElement,
  type BlockDataOptions,
} from '../../../../src/formats/matroska/writer.js';
export { prng } from '../../../helpers/prng.js';

export { concatBytes };

export function info(timestampScale?: number): Uint8Array {
  const children = [stringElement(Id.MuxingApp, 'test'), stringElement(Id.WritingApp, 'test')];
  if (timestampScale !== undefined) children.unshift(uintElement(Id.TimestampScale, timestampScale));
  return element(Id.Info, children);
}

export function videoTrack(number = 1, codecPrivate = Uint8Array.of(1, 2, 3)): Uint8Array {
  return element(Id.TrackEntry, [
    uintElement(Id.TrackNumber, number),
    uintElement(Id.TrackUID, 0xfedcba9876543210n),
    uintElement(Id.TrackType, 1),
    stringElement(Id.CodecID, 'V_MPEG4/ISO/AVC'),
    binaryElement(Id.CodecPrivate, codecPrivate),
    uintElement(Id.DefaultDuration, 33_333_333),
    stringElement(Id.Name, 'camera'),
    element(Id.Video, [uintElement(Id.PixelWidth, 640), uintElement(Id.PixelHeight, 480)]),
  ]);
}

export function audioTrack(number = 2): Uint8Array {
  return element(Id.TrackEntry, [
    uintElement(Id.TrackNumber, number),
    uintElement(Id.TrackType, 2),
    stringElement(Id.CodecID, 'A_AAC'),
    element(Id.Audio, [floatElement(Id.SamplingFrequency, 48000), uintElement(Id.Channels, 2), uintElement(Id.BitDepth, 16)]),
  ]);
}

export function tracks(...entries: Uint8Array[]): Uint8Array {
  return element(Id.Tracks, entries.length > 0 ? entries : [videoTrack()]);
}

export function simpleTag(name: string, value?: string, nested: Uint8Array[] = []): Uint8Array {
  const children = [stringElement(Id.TagName, name)];
  if (value !== undefined) children.push(stringElement(Id.TagString, value));
  return element(Id.SimpleTag, [...children, ...nested]);
}

export function tags(...simpleTags: Uint8Array[]): Uint8Array {
  return element(Id.Tags, [element(Id.Tag, [element(Id.Targets, []), ...simpleTags])]);
}

export function timestamp(value: number): Uint8Array {
  return uintElement(Id.Timestamp, value);
}

export function frameBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed + i * 31) & 0xff;
  return out;
}

export function simpleBlock(track: number, timecode: number, key: boolean, ...frames: Uint8Array[]): Uint8Array {
  return element(Id.SimpleBlock, blockData({ track, timecode, key, frames }));
}

export function lacedSimpleBlock(options: BlockDataOptions): Uint8Array {
  return element(Id.SimpleBlock, blockData(options));
}

export interface GroupOptions {
  readonly track: number;
  readonly timecode: number;
  readonly frames: Uint8Array[];
  readonly lacing?: BlockDataOptions['lacing'];
  readonly duration?: number;
  readonly reference?: number;
  /** Put ReferenceBlock/BlockDuration after the Block (allowed; the parser must wait for the group's end). */
  readonly blockFirst?: boolean;
}

export function blockGroup(options: GroupOptions): Uint8Array {
  const block = element(Id.Block, blockData({ track: options.track, timecode: options.timecode, frames: options.frames, lacing: options.lacing }));
  const extras: Uint8Array[] = [];
  if (options.duration !== undefined) extras.push(uintElement(Id.BlockDuration, options.duration));
  if (options.reference !== undefined) extras.push(intElement(Id.ReferenceBlock, options.reference));
  return element(Id.BlockGroup, options.blockFirst === true ? [block, ...extras] : [...extras, block]);
}

export function cluster(children: Uint8Array[], knownSize = true): Uint8Array {
  return knownSize ? element(Id.Cluster, children) : unknownSizeElement(Id.Cluster, children);
}

export function segment(children: Uint8Array[], knownSize = true): Uint8Array {
  return knownSize ? element(Id.Segment, children) : unknownSizeElement(Id.Segment, children);
}

/** A whole body: EBML header + Segment. */
export function body(children: Uint8Array[], knownSize = true, docType = 'matroska'): Uint8Array {
  return concatBytes([ebmlHeaderElement(docType), segment(children, knownSize)]);
}

export { elementHeader };

export interface ParseResult {
  readonly events: MkvEvent[];
  readonly error: Error | undefined;
}

/** Feeds `bytes` cut at the given chunk lengths (cycled), then end(); collects events and the error. */
export function parseChunked(bytes: Uint8Array, chunkLength: (index: number) => number): ParseResult {
  const parser = new MkvParser();
  const events: MkvEvent[] = [];
  try {
    for (let at = 0, index = 0; at < bytes.length; index++) {
      const length = Math.max(1, chunkLength(index));
      // Copy each chunk, so the parser cannot lean on the chunks sharing one buffer.
      parser.push(bytes.slice(at, at + length), events);
      at += length;
    }
    parser.end(events);
    return { events, error: undefined };
  } catch (error) {
    return { events, error: error as Error };
  }
}

export function parseWhole(bytes: Uint8Array): ParseResult {
  return parseChunked(bytes, () => bytes.length);
}

export function parseBytewise(bytes: Uint8Array): ParseResult {
  return parseChunked(bytes, () => 1);
}


/** Events without the `bytes` copies, for compact deep-equal checks. */
export function kinds(events: readonly MkvEvent[]): string[] {
  return events.map((e) => e.kind);
}

export function frames(events: readonly MkvEvent[]): Extract<MkvEvent, { kind: 'frame' }>[] {
  return events.filter((e): e is Extract<MkvEvent, { kind: 'frame' }> => e.kind === 'frame');
}
