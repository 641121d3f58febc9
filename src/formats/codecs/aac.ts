/**
 * AAC: the AudioSpecificConfig that Matroska (A_AAC) and MP4 (esds DecoderSpecificInfo) carry as
 * codec private data (ISO/IEC 14496-3 §1.6.2.1) and its `mp4a.40.N` codec string (RFC 6381
 * §3.3). ADTS framing for MPEG-TS is formats/mpeg-ts/adts.ts (give it `coreObjectType`).
 */
import { BitReader } from './bit-reader.js';
import { CodecConfigError } from './codec-error.js';

/** ISO/IEC 14496-3 Table 1.18: samplingFrequencyIndex → Hz. */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const EXPLICIT_FREQUENCY = 0xf;
const ESCAPE_OBJECT_TYPE = 31;
/** Object types that signal SBR / PS explicitly (HE-AAC v1, v2): the core type follows. */
const SBR = 5;
const PS = 29;
/** Object types whose config is a GASpecificConfig (frameLengthFlag first). */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

export interface AudioSpecificConfig {
  /** audioObjectType as signalled (5 or 29 for explicit HE-AAC; 2 for AAC-LC). */
  readonly audioObjectType: number;
  /** The core codec's object type (2 for HE-AAC over AAC-LC). */
  readonly coreObjectType: number;
  readonly samplingFrequencyIndex: number;
  /** Core sampling frequency in Hz. */
  readonly samplingFrequency: number;
  /** SBR output frequency when SBR is signalled explicitly. */
  readonly extensionSamplingFrequency: number | undefined;
  /** channelConfiguration: 0 means a program_config_element defines the channels. */
  readonly channelConfiguration: number;
  /** Channel count implied by channelConfiguration (undefined for 0). */
  readonly channelCount: number | undefined;
  /** PCM samples per frame at the core frequency: 1024, or 960 with frameLengthFlag. */
  readonly samplesPerFrame: number;
}

/** Table 1.19: channelConfiguration → channels (7 is 7.1: eight channels). */
const CHANNELS_BY_CONFIGURATION: readonly (number | undefined)[] = [undefined, 1, 2, 3, 4, 5, 6, 8];

/** ISO/IEC 14496-3 §1.6.2.1 AudioSpecificConfig(). */
export function parseAudioSpecificConfig(bytes: Uint8Array): AudioSpecificConfig {
  if (bytes.length < 2) throw new CodecConfigError(`AudioSpecificConfig of ${bytes.length} bytes`);
  const bits = new BitReader(bytes);
  const audioObjectType = readObjectType(bits);
  const { index: samplingFrequencyIndex, frequency: samplingFrequency } = readSamplingFrequency(bits);
  const channelConfiguration = bits.bits(4);
  let coreObjectType = audioObjectType;
  let extensionSamplingFrequency: number | undefined;
  if (audioObjectType === SBR || audioObjectType === PS) {
    extensionSamplingFrequency = readSamplingFrequency(bits).frequency;
    coreObjectType = readObjectType(bits);
  }
  if (coreObjectType === 0) throw new CodecConfigError('AudioSpecificConfig with audio object type 0');
  // GASpecificConfig §4.4.1: frameLengthFlag selects 960-sample frames.
  const samplesPerFrame = GA_OBJECT_TYPES.has(coreObjectType) && bits.bitsLeft > 0 && bits.flag() ? 960 : 1024;
  return {
    audioObjectType,
    coreObjectType,
    samplingFrequencyIndex,
    samplingFrequency,
    extensionSamplingFrequency,
    channelConfiguration,
    channelCount: CHANNELS_BY_CONFIGURATION[channelConfiguration],
    samplesPerFrame,
  };
}

function readObjectType(bits: BitReader): number {
  const type = bits.bits(5);
  return type === ESCAPE_OBJECT_TYPE ? 32 + bits.bits(6) : type;
}

function readSamplingFrequency(bits: BitReader): { index: number; frequency: number } {
  const index = bits.bits(4);
  const frequency = index === EXPLICIT_FREQUENCY ? bits.bits(24) : AAC_SAMPLING_FREQUENCIES[index];
  if (frequency === undefined || frequency === 0) throw new CodecConfigError(`AAC sampling frequency index ${index}`);
  return { index, frequency };
}

/** RFC 6381 §3.3: `mp4a.40.` + the audio object type as signalled. */
export function aacCodecString(config: Pick<AudioSpecificConfig, 'audioObjectType'>): string {
  return `mp4a.40.${config.audioObjectType}`;
}
