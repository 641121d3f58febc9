/**
 * ADTS framing of raw AAC frames (ISO/IEC 13818-7 §6.2 / ISO/IEC 14496-3 §1.A.2.2): the 7-byte
 * fixed + variable header without CRC that MPEG-TS stream_type 0x0F (and HLS) require in front of
 * every AAC frame, since a transport stream has no place for an AudioSpecificConfig.
 */

export const ADTS_HEADER_SIZE = 7;
/** aac_frame_length is 13 bits and counts the header too. */
const MAX_ADTS_FRAME_LENGTH = 0x1fff;

/** What the AudioSpecificConfig (parsed elsewhere) says about the stream. */
export interface AdtsConfig {
  /** MPEG-4 audioObjectType: 1 Main, 2 LC, 3 SSR, 4 LTP (ADTS profile = type − 1, 2 bits). */
  readonly audioObjectType: number;
  /** sampling_frequency_index, 0–12 (14496-3 Table 1.18). */
  readonly samplingFrequencyIndex: number;
  /** channel_configuration, 1–7 (0 would need an in-band program_config_element). */
  readonly channelConfiguration: number;
}

/** Throws RangeError unless ADTS can describe `config`. */
export function checkAdtsConfig(config: AdtsConfig): void {
  const { audioObjectType, samplingFrequencyIndex, channelConfiguration } = config;
  if (!Number.isInteger(audioObjectType) || audioObjectType < 1 || audioObjectType > 4) {
    throw new RangeError(`ADTS cannot carry audio object type ${audioObjectType} (only 1-4; signal HE-AAC as its AAC-LC core)`);
  }
  if (!Number.isInteger(samplingFrequencyIndex) || samplingFrequencyIndex < 0 || samplingFrequencyIndex > 12) {
    throw new RangeError(`ADTS cannot carry sampling frequency index ${samplingFrequencyIndex} (only 0-12)`);
  }
  if (!Number.isInteger(channelConfiguration) || channelConfiguration < 1 || channelConfiguration > 7) {
    throw new RangeError(`ADTS cannot carry channel configuration ${channelConfiguration} (only 1-7)`);
  }
}

/** adts_fixed_header() + adts_variable_header() for one raw frame of `rawFrameLength` bytes. */
export function adtsHeader(config: AdtsConfig, rawFrameLength: number): Uint8Array {
  checkAdtsConfig(config);
  const frameLength = ADTS_HEADER_SIZE + rawFrameLength;
  if (!Number.isInteger(rawFrameLength) || rawFrameLength < 0 || frameLength > MAX_ADTS_FRAME_LENGTH) {
    throw new RangeError(`an AAC frame of ${rawFrameLength} bytes does not fit ADTS (max ${MAX_ADTS_FRAME_LENGTH - ADTS_HEADER_SIZE})`);
  }
  const profile = config.audioObjectType - 1;
  const header = new Uint8Array(ADTS_HEADER_SIZE);
  // syncword 0xFFF
  header[0] = 0xff;
  // syncword (low 4 bits), ID 0 (MPEG-4), layer '00', protection_absent 1 (no CRC)
  header[1] = 0xf1;
  // profile_ObjectType (2), sampling_frequency_index (4), private_bit 0, channel_configuration bit 2
  header[2] = (profile << 6) | (config.samplingFrequencyIndex << 2) | ((config.channelConfiguration >> 2) & 0x01);
  // channel_configuration bits 1..0, original_copy 0, home 0, copyright_identification_bit 0,
  // copyright_identification_start 0, aac_frame_length bits 12..11
  header[3] = ((config.channelConfiguration & 0x03) << 6) | ((frameLength >> 11) & 0x03);
  // aac_frame_length bits 10..3
  header[4] = (frameLength >> 3) & 0xff;
  // aac_frame_length bits 2..0, adts_buffer_fullness bits 10..6 (0x7FF: variable bit rate)
  header[5] = ((frameLength & 0x07) << 5) | 0x1f;
  // adts_buffer_fullness bits 5..0, number_of_raw_data_blocks_in_frame 0 (one raw block)
  header[6] = 0xfc;
  return header;
}
