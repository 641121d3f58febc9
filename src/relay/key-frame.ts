/**
 * What the relay reads in a GOP's key frame (length-prefixed NAL units, as Matroska holds them).
 *
 * Whole pictures: a relay that joins an RTP stream mid-picture gets from ffmpeg's parser a "key
 * frame" that is only the picture's later slices (a camera encoding several slices per picture);
 * a fragment opening with it decodes with half its picture concealed. Its first slice must start
 * at the picture's first macroblock (H.264 first_mb_in_slice 0, H.265
 * first_slice_segment_in_pic_flag), or the GOP cannot start a fragment.
 *
 * Tidy access units: an RTP camera may send its parameter sets before every slice of a key
 * picture (GStreamer's rtph264pay config-interval=-1 does), and ffmpeg copies them where they
 * came. A parameter set between two slices of one picture is not allowed (H.264 §7.4.1.2.3,
 * H.265 §7.4.2.4.4) and an Annex B reader (MPEG-TS, so HLS in TS) takes it for the start of
 * the next picture: the key frame splits in two, with no timestamp on the second half. Those
 * after the picture's first slice are dropped.
 *
 * In-band parameter sets: a camera reconfigured while streaming (a new resolution, say) sends
 * its new H.264 parameter sets in band, with the next IDR, on the same connection. ffmpeg copies them into the key
 * frame's block and keeps the CodecPrivate it wrote when it started, but KVS, its HLS/DASH and
 * every player of a single fragment read the track header: a fragment must come with the header
 * that describes it. So the relay reads the parameter sets each key frame carries and, when they
 * differ from the header's, rebuilds the track header from them (a new header means a new MKV
 * segment, so a new PutMedia session: session.ts). Only H.264 is followed; an H.265 camera keeps
 * the header it started with until it reconnects.
 */
import { avcDecoderConfigRecord, parseAvcDecoderConfig, parseAvcSps } from '../formats/codecs/avc.js';
import { parseHevcDecoderConfig } from '../formats/codecs/hevc.js';
import { CodecConfigError } from '../formats/codecs/codec-error.js';
import { forEachChild, readUint, type Span } from '../formats/matroska/ebml-reader.js';
import type { TrackInfo } from '../formats/matroska/events.js';
import { MatroskaId } from '../formats/matroska/ids.js';
import { decodeTracks } from '../formats/matroska/tracks.js';
import { readVintSize, vintWidth } from '../formats/matroska/vint.js';
import { binaryElement, element, uintElement } from '../formats/matroska/writer.js';

const AVC_CODEC_ID = 'V_MPEG4/ISO/AVC';
const HEVC_CODEC_ID = 'V_MPEGH/ISO/HEVC';
const NAL_SPS = 7;
const NAL_PPS = 8;

/** H.264 or H.265 with its NAL unit length size (from the codec private data); undefined for others. */
function nalFormat(track: TrackInfo): { kind: 'avc' | 'hevc'; lengthSize: number } | undefined {
  if (!track.codecPrivate) return undefined;
  try {
    if (track.codecId === AVC_CODEC_ID) return { kind: 'avc', lengthSize: parseAvcDecoderConfig(track.codecPrivate).nalLengthSize };
    if (track.codecId === HEVC_CODEC_ID) return { kind: 'hevc', lengthSize: parseHevcDecoderConfig(track.codecPrivate).nalLengthSize };
  } catch (err) {
    if (!(err instanceof CodecConfigError || err instanceof RangeError)) throw err;
  }
  return undefined;
}

/** H.264 Table 7-1 / H.265 Table 7-1 NAL unit type. */
const nalType = (kind: 'avc' | 'hevc', unit: Uint8Array) => (kind === 'avc' ? unit[0]! & 0x1f : (unit[0]! >> 1) & 0x3f);
/** Coded slices: H.264 types 1-5, H.265 VCL types 0-31. */
const isSlice = (kind: 'avc' | 'hevc', type: number) => (kind === 'avc' ? type >= 1 && type <= 5 : type < 32);

/**
 * False when the key frame's first slice does not start the picture (its first slices were
 * missed); true when it does, and for what cannot be read (other codecs, no codec private data).
 */
export function startsWholePicture(track: TrackInfo, keyFrame: Uint8Array): boolean {
  const format = nalFormat(track);
  if (!format) return true;
  const slice = lengthPrefixedUnits(keyFrame, format.lengthSize).find((u) => isSlice(format.kind, nalType(format.kind, u)));
  if (!slice) return true;
  // H.264: first_mb_in_slice, ue(v), the first syntax element: 0 is the single bit 1.
  // H.265: first_slice_segment_in_pic_flag, the first bit after the 2-byte NAL unit header.
  const at = format.kind === 'avc' ? 1 : 2;
  return slice.length <= at || (slice[at]! & 0x80) !== 0;
}

/**
 * The key frame without parameter sets (and access unit delimiters) after its first slice;
 * undefined when there are none, or the codec is not H.264/H.265.
 */
export function tidyKeyFrame(track: TrackInfo, keyFrame: Uint8Array): Uint8Array | undefined {
  const format = nalFormat(track);
  if (!format) return undefined;
  const { kind, lengthSize } = format;
  const units = lengthPrefixedUnits(keyFrame, lengthSize);
  // H.264: SPS 7, PPS 8, AUD 9; H.265: VPS 32, SPS 33, PPS 34, AUD 35.
  const misplaced = new Set(kind === 'avc' ? [7, 8, 9] : [32, 33, 34, 35]);
  const firstSlice = units.findIndex((u) => isSlice(kind, nalType(kind, u)));
  if (firstSlice < 0) return undefined;
  const kept = units.filter((u, i) => i <= firstSlice || !misplaced.has(nalType(kind, u)));
  if (kept.length === units.length) return undefined;
  const out = new Uint8Array(kept.reduce((n, u) => n + lengthSize + u.length, 0));
  let at = 0;
  for (const u of kept) {
    for (let i = 0; i < lengthSize; i++) out[at + i] = (u.length >>> (8 * (lengthSize - 1 - i))) & 0xff;
    out.set(u, at + lengthSize);
    at += lengthSize + u.length;
  }
  return out;
}

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
    // An RTP camera's key frame can repeat its parameter sets (ffmpeg joins the packet carrying
    // them with the picture, which carries them again): each counts once.
    const sps = distinct(units.filter((u) => (u[0]! & 0x1f) === NAL_SPS));
    if (sps.length === 0) return undefined;
    const inBandPps = distinct(units.filter((u) => (u[0]! & 0x1f) === NAL_PPS));
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

function distinct(units: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return units.filter((u) => {
    const key = Buffer.from(u).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
