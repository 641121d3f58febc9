/**
 * H.265 / HEVC: the HEVCDecoderConfigurationRecord that Matroska (V_MPEGH/ISO/HEVC) and MP4
 * (hvcC) carry as codec private data (ISO/IEC 14496-15 §8.3.3.1), the picture size from the
 * sequence parameter set (ITU-T H.265 §7.3.2.2.1) and the RFC 6381 / 14496-15 Annex E codec string.
 */
import { readUint8, readUintBE, slice } from '../bytes/read.js';
import { BitReader, unescapeRbsp } from './bit-reader.js';
import { CodecConfigError } from './codec-error.js';

/** NAL unit types of the parameter sets (H.265 Table 7-1). */
export const HevcNalType = { VPS: 32, SPS: 33, PPS: 34 } as const;

export interface HevcNalArray {
  /** array_completeness: every parameter set of this type is here (none in the samples). */
  readonly complete: boolean;
  readonly nalUnitType: number;
  /** NAL units, header included, views into the record. */
  readonly units: readonly Uint8Array[];
}

export interface HevcDecoderConfig {
  readonly profileSpace: number;
  readonly tierFlag: boolean;
  readonly profileIdc: number;
  /** general_profile_compatibility_flags, bit 31 = flag 0. */
  readonly profileCompatibilityFlags: number;
  /** general_constraint_indicator_flags: 6 bytes. */
  readonly constraintIndicatorFlags: Uint8Array;
  readonly levelIdc: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** avgFrameRate in frames per 256 s; 0 = unspecified. */
  readonly avgFrameRate: number;
  readonly nalLengthSize: number;
  readonly arrays: readonly HevcNalArray[];
}

export interface HevcSequenceParameters {
  readonly chromaFormatIdc: number;
  /** Displayed luma size: pic_*_in_luma_samples minus the conformance window. */
  readonly width: number;
  readonly height: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
}

const FIXED_PART_BYTES = 23;

/** ISO/IEC 14496-15 §8.3.3.1.2: parses an HEVCDecoderConfigurationRecord. */
export function parseHevcDecoderConfig(record: Uint8Array): HevcDecoderConfig {
  if (record.length < FIXED_PART_BYTES) throw new CodecConfigError(`HEVCDecoderConfigurationRecord of ${record.length} bytes`);
  if (readUint8(record, 0) !== 1) throw new CodecConfigError(`HEVCDecoderConfigurationRecord version ${readUint8(record, 0)}`);
  const profileByte = readUint8(record, 1);
  const lengthSizeMinusOne = readUint8(record, 21) & 0b11;
  if (lengthSizeMinusOne === 2) throw new CodecConfigError('NAL unit length size of 3 bytes');
  try {
    return {
      profileSpace: profileByte >>> 6, // general_profile_space
      tierFlag: (profileByte & 0x20) !== 0, // general_tier_flag
      profileIdc: profileByte & 0x1f, // general_profile_idc
      profileCompatibilityFlags: readUintBE(record, 2, 4),
      constraintIndicatorFlags: slice(record, 6, 12),
      levelIdc: readUint8(record, 12),
      // bytes 13–15: min_spatial_segmentation_idc, parallelismType
      chromaFormatIdc: readUint8(record, 16) & 0b11,
      bitDepthLuma: (readUint8(record, 17) & 0b111) + 8,
      bitDepthChroma: (readUint8(record, 18) & 0b111) + 8,
      avgFrameRate: readUintBE(record, 19, 2),
      // byte 21: constantFrameRate, numTemporalLayers, temporalIdNested, lengthSizeMinusOne
      nalLengthSize: lengthSizeMinusOne + 1,
      arrays: readNalArrays(record, 22),
    };
  } catch (err) {
    if (err instanceof RangeError) throw new CodecConfigError('HEVCDecoderConfigurationRecord is truncated');
    throw err;
  }
}

function readNalArrays(record: Uint8Array, start: number): HevcNalArray[] {
  const count = readUint8(record, start); // numOfArrays
  const arrays: HevcNalArray[] = [];
  let at = start + 1;
  for (let k = 0; k < count; k++) {
    const head = readUint8(record, at); // array_completeness, reserved, NAL_unit_type
    const numNalus = readUintBE(record, at + 1, 2);
    at += 3;
    const units: Uint8Array[] = [];
    for (let n = 0; n < numNalus; n++) {
      const length = readUintBE(record, at, 2); // nalUnitLength
      units.push(slice(record, at + 2, at + 2 + length));
      at += 2 + length;
    }
    arrays.push({ complete: (head & 0x80) !== 0, nalUnitType: head & 0x3f, units });
  }
  return arrays;
}

/** The NAL units of one type across the record's arrays. */
export function hevcParameterSets(config: HevcDecoderConfig, nalUnitType: number): Uint8Array[] {
  return config.arrays.filter((a) => a.nalUnitType === nalUnitType).flatMap((a) => [...a.units]);
}

/**
 * ISO/IEC 14496-15 Annex E.3: `hvc1.` + profile space letter and profile_idc, the compatibility
 * flags bit-reversed in hex, tier letter and level_idc, then the constraint bytes in hex with
 * trailing zero bytes left out (e.g. `hvc1.1.6.L93.B0`).
 */
export function hevcCodecString(config: HevcDecoderConfig, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  const space = ['', 'A', 'B', 'C'][config.profileSpace] ?? '';
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) if (config.profileCompatibilityFlags & (2 ** bit)) reversed += 2 ** (31 - bit);
  const constraints = [...config.constraintIndicatorFlags];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const parts = [`${space}${config.profileIdc}`, reversed.toString(16).toUpperCase(), `${config.tierFlag ? 'H' : 'L'}${config.levelIdc}`];
  parts.push(...constraints.map((byte) => byte.toString(16).toUpperCase()));
  return `${sampleEntry}.${parts.join('.')}`;
}

/** H.265 §7.3.2.2.1 seq_parameter_set_rbsp(), up to the bit depths. */
export function parseHevcSps(nal: Uint8Array): HevcSequenceParameters {
  if (nal.length < 3 || (nal[0]! >>> 1) !== HevcNalType.SPS) throw new CodecConfigError('not a sequence parameter set NAL unit');
  const bits = new BitReader(unescapeRbsp(nal));
  bits.skip(16); // nal_unit_header
  bits.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = bits.bits(3); // sps_max_sub_layers_minus1
  bits.skip(1); // sps_temporal_id_nesting_flag
  skipProfileTierLevel(bits, maxSubLayersMinus1);
  bits.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = bits.ue();
  const separateColourPlane = chromaFormatIdc === 3 ? bits.flag() : false;
  const lumaWidth = bits.ue(); // pic_width_in_luma_samples
  const lumaHeight = bits.ue(); // pic_height_in_luma_samples
  const window = bits.flag() ? { left: bits.ue(), right: bits.ue(), top: bits.ue(), bottom: bits.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };
  const bitDepthLuma = bits.ue() + 8;
  const bitDepthChroma = bits.ue() + 8;
  // Table 6-1: conformance window offsets count in chroma samples.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = lumaWidth - subWidthC * (window.left + window.right);
  const height = lumaHeight - subHeightC * (window.top + window.bottom);
  if (width <= 0 || height <= 0) throw new CodecConfigError(`SPS describes a ${width}x${height} picture`);
  return { chromaFormatIdc, width, height, bitDepthLuma, bitDepthChroma };
}

/** H.265 §7.3.3 profile_tier_level(1, maxNumSubLayersMinus1): fixed-size except for sub-layers. */
function skipProfileTierLevel(bits: BitReader, maxSubLayersMinus1: number): void {
  bits.skip(2 + 1 + 5 + 32 + 4 + 43 + 1); // general profile space/tier/idc, compatibility flags, source flags, constraints
  bits.skip(8); // general_level_idc
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(bits.flag()); // sub_layer_profile_present_flag
    levelPresent.push(bits.flag()); // sub_layer_level_present_flag
  }
  if (maxSubLayersMinus1 > 0) bits.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) bits.skip(88); // sub-layer profile space … constraint flags
    if (levelPresent[i]) bits.skip(8); // sub_layer_level_idc
  }
}
