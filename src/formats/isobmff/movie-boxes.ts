/**
 * Movie- and track-level header boxes (ISO/IEC 14496-12): file type, movie header, track header,
 * edit list, media header, handler, media information headers and data references.
 * Times are 0 (unknown) on purpose: clips and init segments must be byte-stable for a given input.
 */
import type { ByteWriter } from '../bytes/byte-writer.js';
import { box, containerBox, fullBox, needsVersion1 } from './box.js';

/** §8.2.2.3 / §8.3.2.3: the unity transformation matrix {a b u, c d v, x y w} in 16.16 / 2.30. */
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
const FIXED_16_16_ONE = 0x00010000;

function writeMatrix(w: ByteWriter): void {
  for (const value of UNITY_MATRIX) w.u32(value);
}

/** §4.3 FileTypeBox. */
export function ftyp(majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Uint8Array {
  return brandsBox('ftyp', majorBrand, minorVersion, compatibleBrands);
}

/** §8.16.2 SegmentTypeBox: the same layout as ftyp, at the head of a media segment. */
export function styp(majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Uint8Array {
  return brandsBox('styp', majorBrand, minorVersion, compatibleBrands);
}

function brandsBox(type: 'ftyp' | 'styp', majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Uint8Array {
  return box(type, (w) => {
    w.fourcc(majorBrand); // major_brand
    w.u32(minorVersion); // minor_version
    for (const brand of compatibleBrands) w.fourcc(brand); // compatible_brands[]
  });
}

/** §8.2.2 MovieHeaderBox. `duration` in `timescale` units (0 for fragmented movies). */
export function mvhd(timescale: number, duration: number, nextTrackId: number): Uint8Array {
  const version = needsVersion1(duration) ? 1 : 0;
  return fullBox('mvhd', version, 0, (w) => {
    if (version === 1) w.u64(0).u64(0).u32(timescale).u64(duration); // creation_time, modification_time, timescale, duration
    else w.u32(0).u32(0).u32(timescale).u32(duration);
    w.u32(FIXED_16_16_ONE); // rate 1.0
    w.u16(0x0100); // volume 1.0 (8.8)
    w.zeros(2 + 8); // reserved
    writeMatrix(w); // matrix
    w.zeros(24); // pre_defined[6]
    w.u32(nextTrackId); // next_track_ID
  });
}

export interface TrackHeaderFields {
  readonly trackId: number;
  /** In the movie timescale (the sum of the edit list). */
  readonly duration: number;
  readonly audio: boolean;
  /** Display size in pixels (aspect ratio applied); 0 for audio. */
  readonly width: number;
  readonly height: number;
}

/** §8.3.2 TrackHeaderBox; flags track_enabled | track_in_movie. */
export function tkhd(fields: TrackHeaderFields): Uint8Array {
  const version = needsVersion1(fields.duration) ? 1 : 0;
  return fullBox('tkhd', version, 0x000003, (w) => {
    if (version === 1) w.u64(0).u64(0).u32(fields.trackId).u32(0).u64(fields.duration); // creation, modification, track_ID, reserved, duration
    else w.u32(0).u32(0).u32(fields.trackId).u32(0).u32(fields.duration);
    w.zeros(8); // reserved
    w.i16(0); // layer
    w.i16(0); // alternate_group
    w.u16(fields.audio ? 0x0100 : 0); // volume
    w.zeros(2); // reserved
    writeMatrix(w); // matrix
    w.u32(Math.round(fields.width * FIXED_16_16_ONE)); // width (16.16)
    w.u32(Math.round(fields.height * FIXED_16_16_ONE)); // height (16.16)
  });
}

export interface EditListEntry {
  /** In the movie timescale. */
  readonly segmentDuration: number;
  /** In the media timescale; -1 for an empty edit (the track is silent / shows nothing). */
  readonly mediaTime: number;
}

/** §8.6.5 EditBox holding one §8.6.6 EditListBox; media rate 1. */
export function edts(entries: readonly EditListEntry[]): Uint8Array {
  const version = entries.some((e) => needsVersion1(e.segmentDuration) || e.mediaTime > 0x7fffffff) ? 1 : 0;
  const elst = fullBox('elst', version, 0, (w) => {
    w.u32(entries.length); // entry_count
    for (const entry of entries) {
      if (version === 1) w.u64(entry.segmentDuration).i64(entry.mediaTime); // segment_duration, media_time
      else w.u32(entry.segmentDuration).i32(entry.mediaTime);
      w.i16(1).i16(0); // media_rate_integer, media_rate_fraction
    }
  });
  return containerBox('edts', [elst]);
}

/** ISO 639-2/T code packed as three 5-bit letters (§8.4.2.3). */
function packLanguage(code: string): number {
  if (!/^[a-z]{3}$/.test(code)) throw new RangeError(`language ${JSON.stringify(code)}`);
  return [...code].reduce((packed, letter) => (packed << 5) | (letter.charCodeAt(0) - 0x60), 0);
}

/** §8.4.2 MediaHeaderBox. */
export function mdhd(timescale: number, duration: number, language = 'und'): Uint8Array {
  const version = needsVersion1(duration) ? 1 : 0;
  return fullBox('mdhd', version, 0, (w) => {
    if (version === 1) w.u64(0).u64(0).u32(timescale).u64(duration); // creation_time, modification_time, timescale, duration
    else w.u32(0).u32(0).u32(timescale).u32(duration);
    w.u16(packLanguage(language)); // pad, language
    w.u16(0); // pre_defined
  });
}

/** §8.4.3 HandlerBox: 'vide' or 'soun', with a readable name. */
export function hdlr(handlerType: 'vide' | 'soun', name: string): Uint8Array {
  return fullBox('hdlr', 0, 0, (w) => {
    w.u32(0); // pre_defined
    w.fourcc(handlerType); // handler_type
    w.zeros(12); // reserved[3]
    for (let k = 0; k < name.length; k++) w.u8(name.charCodeAt(k) & 0x7f); // name (ASCII) …
    w.u8(0); // … null-terminated
  });
}

/** §12.1.2 VideoMediaHeaderBox; flags 1 as the spec requires. */
export function vmhd(): Uint8Array {
  return fullBox('vmhd', 0, 1, (w) => {
    w.u16(0); // graphicsmode: copy
    w.zeros(6); // opcolor[3]
  });
}

/** §12.2.2 SoundMediaHeaderBox. */
export function smhd(): Uint8Array {
  return fullBox('smhd', 0, 0, (w) => {
    w.i16(0); // balance: centre
    w.zeros(2); // reserved
  });
}

/** §8.7.1 DataInformationBox with a §8.7.2 DataReferenceBox: one self-contained 'url ' entry. */
export function dinf(): Uint8Array {
  const url = fullBox('url ', 0, 0x000001, () => {}); // flags 1: media data is in this file
  const dref = fullBox('dref', 0, 0, (w) => {
    w.u32(1); // entry_count
    w.bytes(url);
  });
  return containerBox('dinf', [dref]);
}
