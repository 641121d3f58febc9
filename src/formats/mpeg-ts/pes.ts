/**
 * PES packet headers (ISO/IEC 13818-1 §2.4.3.6–§2.4.3.7, Table 2-21) and the 90 kHz timestamps
 * they carry. Only the header is built here; the payload stays in the caller's pieces so it is
 * copied once, into the transport packets.
 */
import { SYSTEM_CLOCK_90KHZ, TIMESTAMP_MODULUS } from './constants.js';

/** PES_packet_length is 16 bits; 0 means "unbounded", allowed only for video in a TS (§2.4.3.7). */
const MAX_PES_PACKET_LENGTH = 0xffff;

/**
 * `time` ticks of a `timescale`-per-second clock as 90 kHz ticks, rounded, then wrapped to the
 * 33-bit counter. Split into whole seconds and a remainder so that epoch-millisecond times
 * (~1.7e12) stay exact: a plain `time * 90000` would pass 2^53.
 */
export function to90kHz(time: number, timescale: number): number {
  if (!Number.isFinite(time) || !(timescale > 0)) throw new RangeError(`cannot convert ${time} at timescale ${timescale}`);
  const seconds = Math.floor(time / timescale);
  const remainder = time - seconds * timescale;
  const ticks = seconds * SYSTEM_CLOCK_90KHZ + Math.round((remainder * SYSTEM_CLOCK_90KHZ) / timescale);
  return ((ticks % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
}

/**
 * A PTS or DTS field (§2.4.3.7): a 4-bit prefix, then the 33-bit value in pieces of 3, 15 and 15
 * bits, each followed by a marker_bit '1'.
 */
function writeTimestamp(out: Uint8Array, at: number, prefix: number, ticks: number): void {
  const high = Math.floor(ticks / 2 ** 30) & 0x07; // bits 32..30
  const low = ticks % 2 ** 30; // bits 29..0
  out[at] = (prefix << 4) | (high << 1) | 1;
  out[at + 1] = (low >>> 22) & 0xff;
  out[at + 2] = (((low >>> 15) & 0x7f) << 1) | 1;
  out[at + 3] = (low >>> 7) & 0xff;
  out[at + 4] = ((low & 0x7f) << 1) | 1;
}

export interface PesHeaderFields {
  /** Table 2-22 stream_id (0xE0 video, 0xC0 audio). */
  readonly streamId: number;
  /** Bytes of elementary stream data that follow the header. */
  readonly payloadLength: number;
  readonly pts90k: number;
  /** Written only when it differs from the PTS (§2.4.3.7: DTS equal to PTS is not coded). */
  readonly dts90k?: number | undefined;
  /** Video may leave PES_packet_length 0 when the packet is too long to say. */
  readonly isVideo: boolean;
}

/**
 * PES_packet() header up to and including the PTS/DTS fields: packet_start_code_prefix,
 * stream_id, PES_packet_length, the flag bytes, PES_header_data_length, PTS [, DTS].
 */
export function pesHeader(fields: PesHeaderFields): Uint8Array {
  const hasDts = fields.dts90k !== undefined && fields.dts90k !== fields.pts90k;
  const headerDataLength = hasDts ? 10 : 5;
  const header = new Uint8Array(9 + headerDataLength);
  // packet_start_code_prefix 0x000001, stream_id
  header[2] = 0x01;
  header[3] = fields.streamId;
  // PES_packet_length: bytes after this field (3 flag/length bytes + header data + payload)
  const packetLength = 3 + headerDataLength + fields.payloadLength;
  if (packetLength > MAX_PES_PACKET_LENGTH && !fields.isVideo) {
    throw new RangeError(`audio PES packet of ${packetLength} bytes exceeds ${MAX_PES_PACKET_LENGTH}`);
  }
  const codedLength = packetLength > MAX_PES_PACKET_LENGTH ? 0 : packetLength;
  header[4] = codedLength >> 8;
  header[5] = codedLength & 0xff;
  // '10', PES_scrambling_control '00', PES_priority 0, data_alignment_indicator 1 (an access unit
  // or audio frame starts the payload), copyright 0, original_or_copy 0
  header[6] = 0x84;
  // PTS_DTS_flags ('10' PTS only, '11' both), ESCR, ES_rate, DSM_trick_mode, additional_copy_info,
  // PES_CRC and PES_extension flags all 0
  header[7] = hasDts ? 0xc0 : 0x80;
  // PES_header_data_length
  header[8] = headerDataLength;
  writeTimestamp(header, 9, hasDts ? 0x3 : 0x2, fields.pts90k);
  if (hasDts) writeTimestamp(header, 14, 0x1, fields.dts90k as number);
  return header;
}
