/**
 * G.711: Matroska stores A-law / µ-law audio as A_MS/ACM whose codec private data is a Windows
 * WAVEFORMATEX (RFC 9559 §5.1.4.1.28 "A_MS/ACM"; Microsoft mmreg.h): little-endian
 * wFormatTag, nChannels, nSamplesPerSec, nAvgBytesPerSec, nBlockAlign, wBitsPerSample[, cbSize].
 */
import { readUint8 } from '../bytes/read.js';
import { CodecConfigError } from './codec-error.js';

/** mmreg.h format tags. */
export const WAVE_FORMAT_ALAW = 0x0006;
export const WAVE_FORMAT_MULAW = 0x0007;
/** WAVEFORMAT is 14 bytes; PCMWAVEFORMAT adds wBitsPerSample (16); WAVEFORMATEX adds cbSize (18). */
const WAVEFORMAT_BYTES = 14;

export interface WaveFormat {
  readonly formatTag: number;
  readonly channels: number;
  readonly samplesPerSecond: number;
  readonly averageBytesPerSecond: number;
  readonly blockAlign: number;
  /** Absent from a bare 14-byte WAVEFORMAT. */
  readonly bitsPerSample: number | undefined;
}

export interface G711Config {
  readonly law: 'alaw' | 'ulaw';
  readonly channels: number;
  readonly sampleRate: number;
}

function readUint16LE(bytes: Uint8Array, at: number): number {
  return readUint8(bytes, at) | (readUint8(bytes, at + 1) << 8);
}

function readUint32LE(bytes: Uint8Array, at: number): number {
  return readUint16LE(bytes, at) + readUint16LE(bytes, at + 2) * 0x10000;
}

/** Any WAVEFORMAT(EX) structure. */
export function parseWaveFormat(bytes: Uint8Array): WaveFormat {
  if (bytes.length < WAVEFORMAT_BYTES) throw new CodecConfigError(`WAVEFORMATEX of ${bytes.length} bytes`);
  return {
    formatTag: readUint16LE(bytes, 0), // wFormatTag
    channels: readUint16LE(bytes, 2), // nChannels
    samplesPerSecond: readUint32LE(bytes, 4), // nSamplesPerSec
    averageBytesPerSecond: readUint32LE(bytes, 8), // nAvgBytesPerSec
    blockAlign: readUint16LE(bytes, 12), // nBlockAlign
    bitsPerSample: bytes.length >= 16 ? readUint16LE(bytes, 14) : undefined, // wBitsPerSample
  };
}

/** A WAVEFORMATEX that describes G.711 (format tag 6 or 7, 8 bits a sample); anything else is refused. */
export function parseG711WaveFormat(bytes: Uint8Array): G711Config {
  const format = parseWaveFormat(bytes);
  const law = format.formatTag === WAVE_FORMAT_ALAW ? 'alaw' : format.formatTag === WAVE_FORMAT_MULAW ? 'ulaw' : undefined;
  if (law === undefined) throw new CodecConfigError(`WAVEFORMATEX format tag 0x${format.formatTag.toString(16)} is not G.711`, 'unsupported');
  if (format.channels === 0 || format.samplesPerSecond === 0) throw new CodecConfigError('G.711 format with no channels or no sample rate');
  if (format.bitsPerSample !== undefined && format.bitsPerSample !== 8) throw new CodecConfigError(`G.711 with ${format.bitsPerSample} bits a sample`);
  return { law, channels: format.channels, sampleRate: format.samplesPerSecond };
}

/** RFC 6381 names G.711 by its MP4 sample entry: `alaw` or `ulaw`. */
export function g711CodecString(config: G711Config): string {
  return config.law;
}
