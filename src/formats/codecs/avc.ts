/**
 * H.264 / AVC: the AVCDecoderConfigurationRecord that Matroska (V_MPEG4/ISO/AVC) and MP4 (avcC)
 * carry as codec private data (ISO/IEC 14496-15 §5.3.3.1), and the sequence parameter set fields
 * players need: coded size after cropping, sample aspect ratio and frame rate (ITU-T H.264
 * §7.3.2.1.1, Annex E.1.1).
 */
import { concatBytes, readUint8, readUintBE, slice } from '../bytes/read.js';
import { BitReader, unescapeRbsp } from './bit-reader.js';
import { CodecConfigError } from './codec-error.js';

export interface AvcDecoderConfig {
  readonly profileIdc: number;
  /** The constraint_set flags byte ("profile_compatibility"). */
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  /** Bytes of the length prefix before each NAL unit in a sample (1, 2 or 4). */
  readonly nalLengthSize: number;
  /** Sequence parameter set NAL units (header byte included), views into the record. */
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

export interface AvcSequenceParameters {
  readonly profileIdc: number;
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** Displayed luma size: the coded macroblocks minus the cropping window. */
  readonly width: number;
  readonly height: number;
  readonly frameMbsOnly: boolean;
  /** Sample (pixel) aspect ratio; 1:1 when the VUI does not say. */
  readonly sarWidth: number;
  readonly sarHeight: number;
  /** Frames per second from VUI timing_info (time_scale / 2·num_units_in_tick), when present. */
  readonly frameRate: number | undefined;
}

/** ISO/IEC 14496-15 §5.3.3.1.2: parses an AVCDecoderConfigurationRecord. */
export function parseAvcDecoderConfig(record: Uint8Array): AvcDecoderConfig {
  if (record.length < 7) throw new CodecConfigError(`AVCDecoderConfigurationRecord of ${record.length} bytes`);
  if (readUint8(record, 0) !== 1) throw new CodecConfigError(`AVCDecoderConfigurationRecord version ${readUint8(record, 0)}`);
  const lengthSizeMinusOne = readUint8(record, 4) & 0b11;
  if (lengthSizeMinusOne === 2) throw new CodecConfigError('NAL unit length size of 3 bytes');
  try {
    let at = 5;
    const spsCount = readUint8(record, at++) & 0b11111;
    const sps = readParameterSets(record, at, spsCount);
    at = sps.end;
    const ppsCount = readUint8(record, at++);
    const pps = readParameterSets(record, at, ppsCount);
    // Any High-profile extension after the PPS (chroma format, bit depths) repeats what the SPS says.
    return {
      profileIdc: readUint8(record, 1),
      profileCompatibility: readUint8(record, 2),
      levelIdc: readUint8(record, 3),
      nalLengthSize: lengthSizeMinusOne + 1,
      sps: sps.units,
      pps: pps.units,
    };
  } catch (err) {
    if (err instanceof RangeError) throw new CodecConfigError('AVCDecoderConfigurationRecord is truncated');
    throw err;
  }
}

/** `count` parameter sets, each a 16-bit length then the NAL unit. */
export function readParameterSets(record: Uint8Array, start: number, count: number): { units: Uint8Array[]; end: number } {
  const units: Uint8Array[] = [];
  let at = start;
  for (let k = 0; k < count; k++) {
    const length = readUintBE(record, at, 2);
    units.push(slice(record, at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { units, end: at };
}

/** RFC 6381 §3.3: `avc1.PPCCLL`, profile, constraint flags and level as two hex digits each. */
export function avcCodecString(config: Pick<AvcDecoderConfig, 'profileIdc' | 'profileCompatibility' | 'levelIdc'>): string {
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  return `avc1.${hex(config.profileIdc)}${hex(config.profileCompatibility)}${hex(config.levelIdc)}`;
}

/** Profiles whose SPS carries chroma format, bit depth and scaling lists (H.264 §7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** H.264 §7.3.2.1.1 seq_parameter_set_data(), from a SPS NAL unit (header byte included). */
export function parseAvcSps(nal: Uint8Array): AvcSequenceParameters {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) throw new CodecConfigError('not a sequence parameter set NAL unit');
  const bits = new BitReader(unescapeRbsp(nal));
  bits.skip(8); // nal_unit_header
  const profileIdc = bits.bits(8);
  const constraintFlags = bits.bits(8);
  const levelIdc = bits.bits(8);
  bits.ue(); // seq_parameter_set_id
  const chroma = HIGH_PROFILES.has(profileIdc) ? readChromaAndScaling(bits) : { chromaFormatIdc: 1, separateColourPlane: false, bitDepthLuma: 8, bitDepthChroma: 8 };
  bits.ue(); // log2_max_frame_num_minus4
  skipPictureOrderCount(bits);
  bits.ue(); // max_num_ref_frames
  bits.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.ue() + 1; // pic_width_in_mbs_minus1
  const heightInMapUnits = bits.ue() + 1; // pic_height_in_map_units_minus1
  const frameMbsOnly = bits.flag();
  if (!frameMbsOnly) bits.skip(1); // mb_adaptive_frame_field_flag
  bits.skip(1); // direct_8x8_inference_flag
  const crop = bits.flag() ? { left: bits.ue(), right: bits.ue(), top: bits.ue(), bottom: bits.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };
  const vui = bits.flag() ? readVui(bits) : { sarWidth: 1, sarHeight: 1, frameRate: undefined };
  // §7.4.2.1.1 frame_crop_*_offset: crop units depend on ChromaArrayType and field coding.
  const chromaArrayType = chroma.separateColourPlane ? 0 : chroma.chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = (frameMbsOnly ? 1 : 2) * heightInMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new CodecConfigError(`SPS describes a ${width}x${height} picture`);
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc: chroma.chromaFormatIdc,
    bitDepthLuma: chroma.bitDepthLuma,
    bitDepthChroma: chroma.bitDepthChroma,
    width,
    height,
    frameMbsOnly,
    ...vui,
  };
}

function readChromaAndScaling(bits: BitReader) {
  const chromaFormatIdc = bits.ue();
  const separateColourPlane = chromaFormatIdc === 3 ? bits.flag() : false;
  const bitDepthLuma = bits.ue() + 8;
  const bitDepthChroma = bits.ue() + 8;
  bits.skip(1); // qpprime_y_zero_transform_bypass_flag
  if (bits.flag()) {
    // seq_scaling_matrix_present_flag: 8 lists (12 for 4:4:4), 4x4 for the first six.
    const lists = chromaFormatIdc === 3 ? 12 : 8;
    for (let i = 0; i < lists; i++) if (bits.flag()) skipScalingList(bits, i < 6 ? 16 : 64);
  }
  return { chromaFormatIdc, separateColourPlane, bitDepthLuma, bitDepthChroma };
}

/** H.264 §7.3.2.1.1.1 scaling_list(): only its length matters here. */
function skipScalingList(bits: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + bits.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

function skipPictureOrderCount(bits: BitReader): void {
  const type = bits.ue(); // pic_order_cnt_type
  if (type === 0) bits.ue(); // log2_max_pic_order_cnt_lsb_minus4
  else if (type === 1) {
    bits.skip(1); // delta_pic_order_always_zero_flag
    bits.se(); // offset_for_non_ref_pic
    bits.se(); // offset_for_top_to_bottom_field
    const cycle = bits.ue(); // num_ref_frames_in_pic_order_cnt_cycle
    for (let i = 0; i < cycle; i++) bits.se(); // offset_for_ref_frame[i]
  }
}

/** Table E-1: aspect_ratio_idc 1–16 → sample aspect ratio. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;

/** H.264 Annex E.1.1 vui_parameters(), up to timing_info (the rest is of no use to a muxer). */
function readVui(bits: BitReader): { sarWidth: number; sarHeight: number; frameRate: number | undefined } {
  let sar: readonly [number, number] = [1, 1];
  if (bits.flag()) {
    const idc = bits.bits(8); // aspect_ratio_idc
    if (idc === EXTENDED_SAR) sar = [bits.bits(16), bits.bits(16)];
    else sar = SAR_TABLE[idc - 1] ?? [1, 1];
  }
  if (bits.flag()) bits.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
  if (bits.flag()) {
    bits.skip(4); // video_format, video_full_range_flag
    if (bits.flag()) bits.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (bits.flag()) {
    bits.ue(); // chroma_sample_loc_type_top_field
    bits.ue(); // chroma_sample_loc_type_bottom_field
  }
  let frameRate: number | undefined;
  if (bits.flag()) {
    const numUnitsInTick = bits.bits(32);
    const timeScale = bits.bits(32);
    if (numUnitsInTick > 0 && timeScale > 0) frameRate = timeScale / (2 * numUnitsInTick);
  }
  const [sarWidth, sarHeight] = sar[0] > 0 && sar[1] > 0 ? sar : [1, 1];
  return { sarWidth, sarHeight, frameRate };
}

/**
 * §5.3.3.1.2: the profiles whose record carries chroma_format and the bit depths (100, 110, 122,
 * 144), and High 4:4:4 Predictive (244), which took 144's place and for which muxers write it too.
 */
const EXTENDED_RECORD_PROFILES = new Set([100, 110, 122, 144, 244]);

/**
 * ISO/IEC 14496-15 §5.3.3.1.2: an AVCDecoderConfigurationRecord for these parameter sets (NAL
 * units with their header byte), profile and level taken from the first SPS. High profiles get
 * the chroma format and bit depth extension, as muxers write it.
 */
export function avcDecoderConfigRecord(sps: readonly Uint8Array[], pps: readonly Uint8Array[], nalLengthSize: 1 | 2 | 4 = 4): Uint8Array {
  const first = sps[0];
  if (!first || first.length < 4) throw new CodecConfigError('an AVCDecoderConfigurationRecord needs a sequence parameter set');
  const params = parseAvcSps(first);
  const withLength = (units: readonly Uint8Array[]) => units.flatMap((u) => [Uint8Array.of(u.length >> 8, u.length & 0xff), u]);
  const extension = EXTENDED_RECORD_PROFILES.has(params.profileIdc)
    ? [Uint8Array.of(0xfc | params.chromaFormatIdc, 0xf8 | (params.bitDepthLuma - 8), 0xf8 | (params.bitDepthChroma - 8), 0)]
    : [];
  return concatBytes([
    Uint8Array.of(1, first[1]!, first[2]!, first[3]!, 0xfc | (nalLengthSize - 1), 0xe0 | sps.length),
    ...withLength(sps),
    Uint8Array.of(pps.length),
    ...withLength(pps),
    ...extension,
  ]);
}
