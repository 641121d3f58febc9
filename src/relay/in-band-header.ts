/**
 * A camera reconfigured while streaming (a new resolution, say) sends its new H.264 parameter
 * sets in band, with the next IDR, on the same connection. ffmpeg copies them into the key
 * frame's block and keeps the CodecPrivate it wrote when it started, but KVS, its HLS/DASH and
 * every player of a single fragment read the track header: a fragment must come with the header
 * that describes it. So the relay reads the parameter sets each key frame carries and, when they
 * differ from the header's, rebuilds the track header from them (a new header means a new MKV
 * segment, so a new PutMedia session: session.ts). Only H.264 is followed; an H.265 camera keeps
 * the header it started with until it reconnects.
 */
import { avcDecoderConfigRecord, parseAvcDecoderConfig, parseAvcSps } from '../formats/codecs/avc.js';
import { CodecConfigError } from '../formats/codecs/codec-error.js';
import { forEachChild, readUint, type Span } from '../formats/matroska/ebml-reader.js';
import type { TrackInfo } from '../formats/matroska/events.js';
import { MatroskaId } from '../formats/matroska/ids.js';
import { decodeTracks } from '../formats/matroska/tracks.js';
import { readVintSize, vintWidth } from '../formats/matroska/vint.js';
import { binaryElement, element, uintElement } from '../formats/matroska/writer.js';

const AVC_CODEC_ID = 'V_MPEG4/ISO/AVC';
const NAL_SPS = 7;
const NAL_PPS = 8;

export interface InBandChange {
  readonly codecPrivate: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Display size for a non-square sample aspect ratio, else undefined. */
  readonly display: { readonly width: number; readonly height: number } | undefined;
}

/**
 * The new codec private data when this key frame (a block's payload) carries parameter sets
 * other than the track's; undefined when it carries none, the same ones, or the track is not H.264.
 */
export function inBandChange(track: TrackInfo, keyFrame: Uint8Array): InBandChange | undefined {
  if (track.codecId !== AVC_CODEC_ID || !track.codecPrivate) return undefined;
  try {
    const config = parseAvcDecoderConfig(track.codecPrivate);
    const units = lengthPrefixedUnits(keyFrame, config.nalLengthSize);
    const sps = units.filter((u) => (u[0]! & 0x1f) === NAL_SPS);
    if (sps.length === 0) return undefined;
    const inBandPps = units.filter((u) => (u[0]! & 0x1f) === NAL_PPS);
    // A key frame with a new SPS but no PPS keeps using the PPS it had.
    const pps = inBandPps.length > 0 ? inBandPps : config.pps;
    if (sameUnits(sps, config.sps) && sameUnits(pps, config.pps)) return undefined;
    const params = parseAvcSps(sps[0]!);
    const nalLengthSize = config.nalLengthSize as 1 | 2 | 4;
    const square = params.sarWidth === params.sarHeight;
    return {
      codecPrivate: avcDecoderConfigRecord(sps, pps, nalLengthSize),
      width: params.width,
      height: params.height,
      display: square ? undefined : { width: Math.round((params.width * params.sarWidth) / params.sarHeight), height: params.height },
    };
  } catch (err) {
    // A parameter set the parsers cannot read: keep the header (the camera's own one still plays).
    if (err instanceof CodecConfigError || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** The NAL units of a length-prefixed (AVCC) sample; stops at a length that overruns it. */
export function lengthPrefixedUnits(sample: Uint8Array, lengthSize: number): Uint8Array[] {
  const units: Uint8Array[] = [];
  for (let at = 0; at + lengthSize <= sample.length; ) {
    let length = 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + sample[at + i]!;
    const start = at + lengthSize;
    if (length === 0 || start + length > sample.length) break;
    units.push(sample.subarray(start, start + length));
    at = start + length;
  }
  return units;
}

function sameUnits(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((u, i) => Buffer.from(u).equals(b[i]!));
}

/**
 * The Tracks element (whole, header included) with track `number`'s CodecPrivate and picture
 * size replaced, its other children copied as they are; and what it now says.
 */
export function replaceVideoTrack(tracks: Uint8Array, number: number, change: InBandChange): { bytes: Uint8Array; tracks: TrackInfo[] } {
  const entries: Uint8Array[] = [];
  forEachChild(dataSpan(tracks), (id, entry) => {
    if (id !== MatroskaId.TrackEntry || trackNumber(entry) !== number) return void entries.push(wholeElement(id, entry));
    const children: Uint8Array[] = [];
    forEachChild(entry, (childId, child) => {
      if (childId === MatroskaId.CodecPrivate) children.push(binaryElement(MatroskaId.CodecPrivate, change.codecPrivate));
      else if (childId === MatroskaId.Video) children.push(videoElement(child, change));
      else children.push(wholeElement(childId, child));
    });
    entries.push(element(MatroskaId.TrackEntry, children));
  });
  const bytes = element(MatroskaId.Tracks, entries);
  return { bytes, tracks: decodeTracks(dataSpan(bytes)) };
}

/** Video with the new pixel (and display) size; its other children (colour, ...) kept. */
function videoElement(video: Span, change: InBandChange): Uint8Array {
  const sizes = new Set<number>([MatroskaId.PixelWidth, MatroskaId.PixelHeight, MatroskaId.DisplayWidth, MatroskaId.DisplayHeight, DISPLAY_UNIT]);
  const kept: Uint8Array[] = [];
  forEachChild(video, (id, child) => {
    if (!sizes.has(id)) kept.push(wholeElement(id, child));
  });
  const display = change.display ? [uintElement(MatroskaId.DisplayWidth, change.display.width), uintElement(MatroskaId.DisplayHeight, change.display.height)] : [];
  return element(MatroskaId.Video, [uintElement(MatroskaId.PixelWidth, change.width), uintElement(MatroskaId.PixelHeight, change.height), ...display, ...kept]);
}

/** RFC 9559 DisplayUnit: display sizes are rewritten in pixels, so a unit given for the old ones goes. */
const DISPLAY_UNIT = 0x54b2;

function trackNumber(entry: Span): number | undefined {
  let number: number | undefined;
  forEachChild(entry, (id, child) => {
    if (id === MatroskaId.TrackNumber) number = readUint(child);
  });
  return number;
}

function dataSpan(whole: Uint8Array): Span {
  const idWidth = vintWidth(whole[0]!);
  const sizeWidth = vintWidth(whole[idWidth]!);
  const size = readVintSize(whole, idWidth, sizeWidth);
  const start = idWidth + sizeWidth;
  return { bytes: whole, start, end: start + size, base: 0 };
}

function wholeElement(id: number, span: Span): Uint8Array {
  return element(id, span.bytes.subarray(span.start, span.end));
}
