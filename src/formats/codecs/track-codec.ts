/**
 * What a stored track is, in the terms MP4 sample entries, HLS CODECS / RESOLUTION and DASH
 * @codecs need: one typed description per codec KVS plays back (H.264, H.265, AAC, G.711),
 * derived from the CodecID and CodecPrivate of the Matroska track, never guessed.
 */
import { aacCodecString, parseAudioSpecificConfig, type AudioSpecificConfig } from './aac.js';
import { avcCodecString, parseAvcDecoderConfig, parseAvcSps, type AvcDecoderConfig, type AvcSequenceParameters } from './avc.js';
import { CodecConfigError } from './codec-error.js';
import { g711CodecString, parseG711WaveFormat, type G711Config } from './g711.js';
import { HevcNalType, hevcCodecString, hevcParameterSets, parseHevcDecoderConfig, parseHevcSps, type HevcDecoderConfig, type HevcSequenceParameters } from './hevc.js';
import type { TrackDescription } from './track-info.js';

interface VideoCommon {
  readonly media: 'video';
  /** RFC 6381 codec string (`avc1.64001f`, `hvc1.1.6.L93.B0`). */
  readonly codecString: string;
  /** The decoder configuration record, as stored (the avcC / hvcC payload). */
  readonly record: Uint8Array;
  readonly nalLengthSize: number;
  readonly width: number;
  readonly height: number;
  readonly sarWidth: number;
  readonly sarHeight: number;
  readonly frameRate: number | undefined;
}

export interface AvcCodec extends VideoCommon {
  readonly kind: 'avc';
  readonly config: AvcDecoderConfig;
  readonly sps: AvcSequenceParameters;
}

export interface HevcCodec extends VideoCommon {
  readonly kind: 'hevc';
  readonly config: HevcDecoderConfig;
  readonly sps: HevcSequenceParameters;
}

export interface AacCodec {
  readonly media: 'audio';
  readonly kind: 'aac';
  readonly codecString: string;
  /** The AudioSpecificConfig, as stored. */
  readonly record: Uint8Array;
  readonly config: AudioSpecificConfig;
  readonly sampleRate: number;
  readonly channelCount: number;
  /** Samples per access unit (1024 or 960). */
  readonly samplesPerFrame: number;
}

export interface G711Codec {
  readonly media: 'audio';
  readonly kind: 'g711';
  readonly codecString: string;
  readonly law: G711Config['law'];
  readonly sampleRate: number;
  readonly channelCount: number;
}

export type TrackCodec = AvcCodec | HevcCodec | AacCodec | G711Codec;

type CodecReader = (track: TrackDescription, codecPrivate: Uint8Array) => TrackCodec;

/** Matroska CodecIDs (RFC 9559 codec mappings; V_MPEG/ISO/AVC is the KVS documentation's spelling). */
const READERS: ReadonlyMap<string, CodecReader> = new Map<string, CodecReader>([
  ['V_MPEG4/ISO/AVC', readAvc],
  ['V_MPEG/ISO/AVC', readAvc],
  ['V_MPEGH/ISO/HEVC', readHevc],
  ['V_MPEG/ISO/HEVC', readHevc],
  ['A_AAC', readAac],
  ['A_MS/ACM', readG711],
]);

/**
 * The codec of a track. CodecConfigError with reason 'unsupported' for a codec outside the four,
 * 'missing' for a supported codec without CodecPrivate, 'invalid' for CodecPrivate that does not parse.
 */
export function describeTrackCodec(track: TrackDescription): TrackCodec {
  const reader = READERS.get(track.codecId);
  if (!reader) throw new CodecConfigError(`track ${track.number} has codec ${track.codecId}`, 'unsupported');
  if (!track.codecPrivate || track.codecPrivate.length === 0) {
    throw new CodecConfigError(`track ${track.number} (${track.codecId}) has no codec private data`, 'missing');
  }
  return reader(track, track.codecPrivate);
}

function readAvc(_track: TrackDescription, record: Uint8Array): AvcCodec {
  const config = parseAvcDecoderConfig(record);
  const firstSps = config.sps[0];
  if (!firstSps) throw new CodecConfigError('AVCDecoderConfigurationRecord without a sequence parameter set');
  const sps = parseAvcSps(firstSps);
  return {
    media: 'video',
    kind: 'avc',
    codecString: avcCodecString(config),
    record,
    nalLengthSize: config.nalLengthSize,
    width: sps.width,
    height: sps.height,
    sarWidth: sps.sarWidth,
    sarHeight: sps.sarHeight,
    frameRate: sps.frameRate,
    config,
    sps,
  };
}

function readHevc(_track: TrackDescription, record: Uint8Array): HevcCodec {
  const config = parseHevcDecoderConfig(record);
  const firstSps = hevcParameterSets(config, HevcNalType.SPS)[0];
  if (!firstSps) throw new CodecConfigError('HEVCDecoderConfigurationRecord without a sequence parameter set');
  const sps = parseHevcSps(firstSps);
  return {
    media: 'video',
    kind: 'hevc',
    codecString: hevcCodecString(config),
    record,
    nalLengthSize: config.nalLengthSize,
    width: sps.width,
    height: sps.height,
    // The HEVC VUI sits behind the reference picture sets; square pixels are assumed.
    sarWidth: 1,
    sarHeight: 1,
    frameRate: config.avgFrameRate > 0 ? config.avgFrameRate / 256 : undefined,
    config,
    sps,
  };
}

function readAac(track: TrackDescription, record: Uint8Array): AacCodec {
  const config = parseAudioSpecificConfig(record);
  const channelCount = config.channelCount ?? track.audio?.channels;
  if (channelCount === undefined || channelCount === 0) throw new CodecConfigError('AAC track with no channel count');
  return {
    media: 'audio',
    kind: 'aac',
    codecString: aacCodecString(config),
    record,
    config,
    sampleRate: config.samplingFrequency,
    channelCount,
    samplesPerFrame: config.samplesPerFrame,
  };
}

function readG711(_track: TrackDescription, waveFormat: Uint8Array): G711Codec {
  const config = parseG711WaveFormat(waveFormat);
  return { media: 'audio', kind: 'g711', codecString: g711CodecString(config), law: config.law, sampleRate: config.sampleRate, channelCount: config.channels };
}
