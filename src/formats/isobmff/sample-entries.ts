/**
 * The sample description box and one sample entry per codec KVS plays back:
 * avc1 + avcC and hvc1 + hvcC (ISO/IEC 14496-15 §5.4.2, §8.4.1), mp4a + esds (ISO/IEC 14496-14
 * §5.6, ISO/IEC 14496-1 §7.2.6), and alaw / ulaw for G.711, the QuickTime sound sample entries
 * that ffmpeg's and Apple's MP4 readers accept (ISO BMFF defines none for G.711).
 */
import { ByteWriter } from '../bytes/byte-writer.js';
import type { AacCodec, G711Codec, HevcCodec, AvcCodec, TrackCodec } from '../codecs/track-codec.js';
import { box, fullBox } from './box.js';

/** §8.5.2 SampleDescriptionBox. */
export function stsd(entries: readonly Uint8Array[]): Uint8Array {
  return fullBox('stsd', 0, 0, (w) => {
    w.u32(entries.length); // entry_count
    for (const entry of entries) w.bytes(entry);
  });
}

export interface AudioBitrates {
  /** Largest bit rate over any one-second window, bits/s (0 if unknown). */
  readonly maxBitrate: number;
  /** Average bit rate, bits/s (0 if unknown). */
  readonly avgBitrate: number;
  /** Largest access unit in bytes. */
  readonly bufferSizeBytes: number;
}

const UNKNOWN_BITRATES: AudioBitrates = { maxBitrate: 0, avgBitrate: 0, bufferSizeBytes: 0 };

/** The sample entry for a track's codec. */
export function sampleEntry(codec: TrackCodec, bitrates: AudioBitrates = UNKNOWN_BITRATES): Uint8Array {
  switch (codec.kind) {
    case 'avc':
      return avc1(codec);
    case 'hevc':
      return hvc1(codec);
    case 'aac':
      return mp4a(codec, bitrates);
    case 'g711':
      return g711Entry(codec);
  }
}

/** §8.5.2.2 SampleEntry fields shared by every entry. */
function writeSampleEntryHeader(w: ByteWriter): void {
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index: the one 'url ' entry of dref
}

/** §12.1.3 VisualSampleEntry fields, then the codec's boxes. */
function visualSampleEntry(type: 'avc1' | 'hvc1', codec: AvcCodec | HevcCodec, configBox: Uint8Array): Uint8Array {
  return box(type, (w) => {
    writeSampleEntryHeader(w);
    w.u16(0).u16(0); // pre_defined, reserved
    w.zeros(12); // pre_defined[3]
    w.u16(codec.width).u16(codec.height); // width, height
    w.u32(0x00480000).u32(0x00480000); // horizresolution, vertresolution: 72 dpi
    w.u32(0); // reserved
    w.u16(1); // frame_count: one frame per sample
    w.zeros(32); // compressorname: empty Pascal string
    w.u16(0x0018); // depth: colour, no alpha
    w.i16(-1); // pre_defined
    w.bytes(configBox);
    if (codec.sarWidth !== codec.sarHeight) w.bytes(pasp(codec.sarWidth, codec.sarHeight));
  });
}

/** ISO/IEC 14496-15 §5.4.2.1: avc1 with the AVCConfigurationBox holding the stored record as is. */
function avc1(codec: AvcCodec): Uint8Array {
  return visualSampleEntry('avc1', codec, box('avcC', (w) => w.bytes(codec.record)));
}

/**
 * ISO/IEC 14496-15 §8.4.1: hvc1 (parameter sets travel in the sample entry) with the
 * HEVCConfigurationBox holding the stored record as is.
 */
function hvc1(codec: HevcCodec): Uint8Array {
  return visualSampleEntry('hvc1', codec, box('hvcC', (w) => w.bytes(codec.record)));
}

/** §12.1.4 PixelAspectRatioBox. */
function pasp(hSpacing: number, vSpacing: number): Uint8Array {
  return box('pasp', (w) => w.u32(hSpacing).u32(vSpacing)); // hSpacing, vSpacing
}

/** §12.2.3 AudioSampleEntry fields, then the codec's boxes. */
function audioSampleEntry(type: string, channelCount: number, sampleRate: number, extra?: Uint8Array): Uint8Array {
  return box(type, (w) => {
    writeSampleEntryHeader(w);
    w.zeros(8); // reserved[2]
    w.u16(channelCount); // channelcount
    w.u16(16); // samplesize
    w.u16(0).u16(0); // pre_defined, reserved
    w.u32(sampleRate <= 0xffff ? sampleRate * 0x10000 : 0); // samplerate (16.16); the codec config says rates above 65535
    if (extra) w.bytes(extra);
  });
}

/** ISO/IEC 14496-14 §5.6.1 MP4AudioSampleEntry. */
function mp4a(codec: AacCodec, bitrates: AudioBitrates): Uint8Array {
  return audioSampleEntry('mp4a', codec.channelCount, codec.sampleRate, esds(codec.record, bitrates));
}

/** QuickTime 'alaw' / 'ulaw' SoundDescription, version 0: one byte per sample per channel. */
function g711Entry(codec: G711Codec): Uint8Array {
  return audioSampleEntry(codec.law, codec.channelCount, codec.sampleRate);
}

/** ISO/IEC 14496-1 §7.2.6: descriptor tag, then its size in the expandable 7-bits-a-byte form. */
function descriptor(tag: number, body: Uint8Array): Uint8Array {
  const sizeBytes: number[] = [];
  let size = body.length;
  do {
    sizeBytes.unshift(size & 0x7f);
    size >>>= 7;
  } while (size > 0);
  for (let k = 0; k < sizeBytes.length - 1; k++) sizeBytes[k]! |= 0x80; // more size bytes follow
  const out = new Uint8Array(1 + sizeBytes.length + body.length);
  out[0] = tag;
  out.set(sizeBytes, 1);
  out.set(body, 1 + sizeBytes.length);
  return out;
}

const ES_DESCRIPTOR_TAG = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCRIPTOR_TAG = 0x06;
/** ISO/IEC 14496-1 Table 5: objectTypeIndication 0x40 = Audio ISO/IEC 14496-3. */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** Table 6: streamType 0x05 = AudioStream, shifted past upStream, plus the reserved 1 bit. */
const AUDIO_STREAM_TYPE_BYTE = (0x05 << 2) | 0b01;

/** ISO/IEC 14496-14 §5.6.1 ESDBox: an ES_Descriptor carrying the AudioSpecificConfig. */
function esds(audioSpecificConfig: Uint8Array, bitrates: AudioBitrates): Uint8Array {
  const decoderConfig = new ByteWriter()
    .u8(OBJECT_TYPE_MPEG4_AUDIO) // objectTypeIndication
    .u8(AUDIO_STREAM_TYPE_BYTE) // streamType, upStream, reserved
    .u24(Math.min(bitrates.bufferSizeBytes, 0xffffff)) // bufferSizeDB
    .u32(bitrates.maxBitrate) // maxBitrate
    .u32(bitrates.avgBitrate) // avgBitrate
    .bytes(descriptor(DECODER_SPECIFIC_INFO_TAG, audioSpecificConfig)) // DecoderSpecificInfo
    .finish();
  const esDescriptor = new ByteWriter()
    .u16(0) // ES_ID: 0 inside MP4 files (14496-14 §3.1.2)
    .u8(0) // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority
    .bytes(descriptor(DECODER_CONFIG_DESCRIPTOR_TAG, decoderConfig))
    .bytes(descriptor(SL_CONFIG_DESCRIPTOR_TAG, Uint8Array.of(0x02))) // SLConfigDescriptor: predefined 2 (MP4)
    .finish();
  return fullBox('esds', 0, 0, (w) => w.bytes(descriptor(ES_DESCRIPTOR_TAG, esDescriptor)));
}
