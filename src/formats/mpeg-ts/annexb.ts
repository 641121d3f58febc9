/**
 * Length-prefixed access units (ISO/IEC 14496-15 §4.3.2 / §8.3.2 sample format, as Matroska and
 * MP4 store H.264/H.265) → the byte-stream format of ITU-T H.264 / H.265 Annex B that MPEG-TS
 * carries (ISO/IEC 13818-1 §2.14 / §2.17): start codes, an access unit delimiter first, and the
 * parameter sets repeated before every IDR/IRAP picture, because a TS decoder that joins at a
 * segment never sees the codec private data.
 *
 * The result is a list of pieces: shared constant start codes and AUDs, the caller's parameter
 * sets, and views of the caller's NAL units (never copies), for the TS packetizer to copy once.
 */

export type AnnexBCodec = 'H264' | 'H265';

export interface AnnexBOptions {
  readonly codec: AnnexBCodec;
  /** Bytes of each NAL unit length field: lengthSizeMinusOne + 1 from avcC/hvcC (1, 2 or 4). */
  readonly nalLengthSize: number;
  /** SPS and PPS (H.264) or VPS, SPS and PPS (H.265) NAL units, without start codes or lengths, in decoding order. */
  readonly parameterSets: readonly Uint8Array[];
}

/** The access unit's bytes do not parse as length-prefixed NAL units. */
export class NalUnitFormatError extends Error {}

/** Annex B §B.2 start code prefix with its leading zero_byte (4-byte form). */
const START_CODE = Uint8Array.of(0, 0, 0, 1);

/**
 * H.264 §7.3.2.4 access_unit_delimiter_rbsp: NAL header (nal_unit_type 9), primary_pic_type 7
 * (any slice type) and the rbsp stop bit: 0x09 0xF0.
 */
const H264_AUD = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);
/**
 * H.265 §7.3.2.5 access_unit_delimiter_rbsp: NAL header (nal_unit_type 35, layer 0,
 * nuh_temporal_id_plus1 1), pic_type 2 (I, P or B slices) and the rbsp stop bit: 0x46 0x01 0x50.
 */
const H265_AUD = Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50);

interface NalTypes {
  readonly aud: Uint8Array;
  typeOf(firstByte: number): number;
  /** A picture decoders can start at, so parameter sets must precede it. */
  isRandomAccess(type: number): boolean;
  isAccessUnitDelimiter(type: number): boolean;
  isSequenceParameterSet(type: number): boolean;
}

const NAL_TYPES: Readonly<Record<AnnexBCodec, NalTypes>> = {
  // H.264 Table 7-1: 5 IDR slice, 7 SPS, 9 AUD.
  H264: {
    aud: H264_AUD,
    typeOf: (first) => first & 0x1f,
    isRandomAccess: (type) => type === 5,
    isAccessUnitDelimiter: (type) => type === 9,
    isSequenceParameterSet: (type) => type === 7,
  },
  // H.265 Table 7-1: 16–23 IRAP (BLA, IDR, CRA and reserved IRAP types), 33 SPS, 35 AUD.
  H265: {
    aud: H265_AUD,
    typeOf: (first) => (first >> 1) & 0x3f,
    isRandomAccess: (type) => type >= 16 && type <= 23,
    isAccessUnitDelimiter: (type) => type === 35,
    isSequenceParameterSet: (type) => type === 33,
  },
};

/** The NAL units of one length-prefixed access unit, as views. Zero-length units are dropped. */
export function splitLengthPrefixed(accessUnit: Uint8Array, nalLengthSize: number): Uint8Array[] {
  if (nalLengthSize !== 1 && nalLengthSize !== 2 && nalLengthSize !== 4) {
    throw new NalUnitFormatError(`NAL unit length size ${nalLengthSize} is not 1, 2 or 4`);
  }
  const units: Uint8Array[] = [];
  let at = 0;
  while (at < accessUnit.length) {
    if (at + nalLengthSize > accessUnit.length) throw new NalUnitFormatError(`truncated NAL unit length at byte ${at}`);
    let length = 0;
    for (let k = 0; k < nalLengthSize; k++) length = length * 256 + (accessUnit[at + k] as number);
    at += nalLengthSize;
    if (length > accessUnit.length - at) {
      throw new NalUnitFormatError(`NAL unit of ${length} bytes at byte ${at} overruns the ${accessUnit.length}-byte access unit`);
    }
    if (length > 0) units.push(accessUnit.subarray(at, at + length));
    at += length;
  }
  return units;
}

/**
 * One access unit in Annex B form, as pieces: AUD; then, when the unit holds a random access
 * picture and no SPS of its own, the parameter sets; then its NAL units (any AUD it had is
 * dropped, since ours comes first). Every NAL unit gets a 4-byte start code.
 */
export function annexBAccessUnit(accessUnit: Uint8Array, options: AnnexBOptions): Uint8Array[] {
  const types = NAL_TYPES[options.codec];
  const units = splitLengthPrefixed(accessUnit, options.nalLengthSize);
  let randomAccess = false;
  let hasSps = false;
  for (const unit of units) {
    const type = types.typeOf(unit[0] as number);
    randomAccess ||= types.isRandomAccess(type);
    hasSps ||= types.isSequenceParameterSet(type);
  }
  const pieces: Uint8Array[] = [types.aud];
  if (randomAccess && !hasSps) {
    for (const parameterSet of options.parameterSets) pieces.push(START_CODE, parameterSet);
  }
  for (const unit of units) {
    if (types.isAccessUnitDelimiter(types.typeOf(unit[0] as number))) continue;
    pieces.push(START_CODE, unit);
  }
  return pieces;
}

/** The total length of `pieces`. */
export function piecesLength(pieces: readonly Uint8Array[]): number {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return length;
}
