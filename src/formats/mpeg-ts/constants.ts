/**
 * Fixed numbers of the MPEG-2 transport stream (ISO/IEC 13818-1) as openkvs uses them: one
 * program per segment (RFC 8216 §3.2 asks for exactly one), PIDs in the ranges the standard leaves
 * to applications (Table 2-3), the same layout ffmpeg and most segmenters use.
 */

/** §2.4.3.2: every transport packet is 188 bytes and starts with sync_byte 0x47. */
export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** Bytes after the 4-byte packet header (adaptation field + payload). */
export const TS_PACKET_BODY_SIZE = TS_PACKET_SIZE - 4;

/** Table 2-3: PID 0x0000 carries the Program Association Table. */
export const PAT_PID = 0x0000;
/** The PID of our one Program Map Table. */
export const PMT_PID = 0x1000;
/** Elementary stream PIDs: FIRST_ELEMENTARY_PID + track index. */
export const FIRST_ELEMENTARY_PID = 0x0100;
/** The program_number of our one program (PAT entry and PMT). */
export const PROGRAM_NUMBER = 1;
/** transport_stream_id in the PAT; any value will do for a stand-alone stream. */
export const TRANSPORT_STREAM_ID = 1;

/** Table 2-34 stream_type values of the codecs a KVS TS segment can carry. */
export const StreamType = {
  /** ISO/IEC 13818-7 Audio with ADTS transport syntax. */
  AacAdts: 0x0f,
  /** AVC video stream (ITU-T H.264 | ISO/IEC 14496-10). */
  H264: 0x1b,
  /** HEVC video stream (ITU-T H.265 | ISO/IEC 23008-2). */
  H265: 0x24,
} as const;

/** Table 2-22 stream_id: the first of the "video stream number" and "audio stream number" ranges. */
export const VIDEO_STREAM_ID = 0xe0;
export const AUDIO_STREAM_ID = 0xc0;

/** 90 kHz: the clock of PTS, DTS and PCR_base (§2.4.3.7, §2.4.3.5). */
export const SYSTEM_CLOCK_90KHZ = 90_000;
/** PTS, DTS and PCR_base are 33-bit counters that wrap. */
export const TIMESTAMP_MODULUS = 2 ** 33;
