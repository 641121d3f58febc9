/**
 * Transport packets (ISO/IEC 13818-1 §2.4.3.2–§2.4.3.5): the 4-byte header, the adaptation field
 * (PCR, random access flag, stuffing), and the split of one PES packet over as many 188-byte
 * packets as it needs. Payload bytes are copied exactly once, from the caller's pieces straight
 * into the output packets.
 */
import { TS_PACKET_BODY_SIZE, TS_PACKET_SIZE, TS_SYNC_BYTE } from './constants.js';

/** The adaptation field's size with flags and a PCR: length, flags, 6 PCR bytes (§2.4.3.4). */
const ADAPTATION_WITH_PCR = 8;
/** The adaptation field's size with flags only: length and flags bytes. */
const ADAPTATION_WITH_FLAGS = 2;

export interface TransportPacketHeader {
  readonly pid: number;
  /** payload_unit_start_indicator: a PES packet or PSI section starts in this packet. */
  readonly payloadUnitStart: boolean;
  readonly hasAdaptationField: boolean;
  readonly hasPayload: boolean;
  /** continuity_counter, 0–15. */
  readonly continuityCounter: number;
}

/** transport_packet() header, §2.4.3.2 (Table 2-2), written at `at`. */
export function writeTransportPacketHeader(out: Uint8Array, at: number, header: TransportPacketHeader): void {
  // sync_byte
  out[at] = TS_SYNC_BYTE;
  // transport_error_indicator 0, payload_unit_start_indicator, transport_priority 0, PID[12..8]
  out[at + 1] = (header.payloadUnitStart ? 0x40 : 0) | ((header.pid >> 8) & 0x1f);
  // PID[7..0]
  out[at + 2] = header.pid & 0xff;
  // transport_scrambling_control '00', adaptation_field_control (Table 2-5), continuity_counter
  const adaptationFieldControl = (header.hasAdaptationField ? 2 : 0) | (header.hasPayload ? 1 : 0);
  out[at + 3] = (adaptationFieldControl << 4) | (header.continuityCounter & 0x0f);
}

export interface AdaptationFlags {
  /** PCR_base in 90 kHz ticks (already wrapped to 33 bits); undefined: no PCR. */
  readonly pcr90k?: number | undefined;
  /** random_access_indicator: the PES starting here begins at a random access point (§2.4.3.5). */
  readonly randomAccess?: boolean | undefined;
}

/** The fewest adaptation-field bytes (length byte included) that carry `flags`; 0 when none are needed. */
export function adaptationFieldMinimumSize(flags: AdaptationFlags): number {
  if (flags.pcr90k !== undefined) return ADAPTATION_WITH_PCR;
  return flags.randomAccess ? ADAPTATION_WITH_FLAGS : 0;
}

/**
 * adaptation_field(), §2.4.3.4 (Table 2-6), exactly `size` bytes long (length byte included):
 * the flags, a PCR if asked, then stuffing bytes 0xFF. `size` 1 is the one-byte field
 * (adaptation_field_length 0) that stuffs a single byte.
 */
export function writeAdaptationField(out: Uint8Array, at: number, size: number, flags: AdaptationFlags): void {
  if (size < Math.max(1, adaptationFieldMinimumSize(flags)) || size > TS_PACKET_BODY_SIZE) {
    throw new RangeError(`adaptation field of ${size} bytes cannot carry the requested flags`);
  }
  // adaptation_field_length: the bytes that follow it
  out[at] = size - 1;
  if (size === 1) return;
  const hasPcr = flags.pcr90k !== undefined;
  // discontinuity_indicator 0, random_access_indicator, elementary_stream_priority_indicator 0,
  // PCR_flag, OPCR_flag 0, splicing_point_flag 0, transport_private_data_flag 0, adaptation_field_extension_flag 0
  out[at + 1] = (flags.randomAccess ? 0x40 : 0) | (hasPcr ? 0x10 : 0);
  let next = at + 2;
  if (flags.pcr90k !== undefined) {
    writeProgramClockReference(out, next, flags.pcr90k);
    next += 6;
  }
  // stuffing_byte: 0xFF up to the declared length
  out.fill(0xff, next, at + size);
}

/**
 * program_clock_reference_base (33 bits, 90 kHz), 6 reserved bits, program_clock_reference_extension
 * (9 bits, 27 MHz remainder; always 0 here because our clock is the 90 kHz one), §2.4.3.5.
 */
function writeProgramClockReference(out: Uint8Array, at: number, base90k: number): void {
  const high = Math.floor(base90k / 2); // base bits 32..1 (fits 32 bits)
  out[at] = (high >>> 24) & 0xff;
  out[at + 1] = (high >>> 16) & 0xff;
  out[at + 2] = (high >>> 8) & 0xff;
  out[at + 3] = high & 0xff;
  // base bit 0, reserved '111111', extension bit 8 (0)
  out[at + 4] = ((base90k % 2) << 7) | 0x7e;
  // extension bits 7..0
  out[at + 5] = 0;
}

/** Reads an ordered list of byte pieces as one stream, copying ranges out of it. */
class PieceCursor {
  private index = 0;
  private offset = 0;

  constructor(private readonly pieces: readonly Uint8Array[]) {}

  /** Copies the next `count` bytes to `out[at…]`. */
  copyTo(out: Uint8Array, at: number, count: number): void {
    while (count > 0) {
      const piece = this.pieces[this.index];
      if (piece === undefined) throw new RangeError('payload pieces ran out');
      const take = Math.min(count, piece.length - this.offset);
      out.set(take === piece.length ? piece : piece.subarray(this.offset, this.offset + take), at);
      at += take;
      count -= take;
      this.offset += take;
      if (this.offset === piece.length) {
        this.index++;
        this.offset = 0;
      }
    }
  }
}

/** How many transport packets a payload of `payloadBytes` needs when the first carries `firstFlags`. */
export function transportPacketCount(payloadBytes: number, firstFlags: AdaptationFlags): number {
  const firstRoom = TS_PACKET_BODY_SIZE - adaptationFieldMinimumSize(firstFlags);
  if (payloadBytes <= firstRoom) return 1;
  return 1 + Math.ceil((payloadBytes - firstRoom) / TS_PACKET_BODY_SIZE);
}

export interface PacketizedPayload {
  readonly packets: Uint8Array;
  /** The continuity_counter the PID's next payload-carrying packet must use. */
  readonly nextContinuityCounter: number;
}

/**
 * Splits one PES packet (header and payload, given as pieces in order) over transport packets of
 * `pid`: the first has payload_unit_start_indicator set and carries `firstFlags`; the payload
 * fills every packet, and the adaptation field of the last one (or the only one) is padded with
 * stuffing so the packet ends exactly with the payload (§2.4.3.4: stuffing of PES-carrying packets
 * goes in the adaptation field). Every packet carries payload, so each increments the counter.
 */
export function packetizePayload(
  pid: number,
  continuityCounter: number,
  pieces: readonly Uint8Array[],
  firstFlags: AdaptationFlags,
): PacketizedPayload {
  let remaining = 0;
  for (const piece of pieces) remaining += piece.length;
  const count = transportPacketCount(remaining, firstFlags);
  const packets = new Uint8Array(count * TS_PACKET_SIZE);
  const cursor = new PieceCursor(pieces);
  let counter = continuityCounter & 0x0f;
  for (let k = 0; k < count; k++) {
    const at = k * TS_PACKET_SIZE;
    const flags = k === 0 ? firstFlags : {};
    const room = TS_PACKET_BODY_SIZE - adaptationFieldMinimumSize(flags);
    const payloadBytes = Math.min(room, remaining);
    const adaptationSize = TS_PACKET_BODY_SIZE - payloadBytes;
    writeTransportPacketHeader(packets, at, {
      pid,
      payloadUnitStart: k === 0,
      hasAdaptationField: adaptationSize > 0,
      hasPayload: true,
      continuityCounter: counter,
    });
    if (adaptationSize > 0) writeAdaptationField(packets, at + 4, adaptationSize, flags);
    cursor.copyTo(packets, at + 4 + adaptationSize, payloadBytes);
    remaining -= payloadBytes;
    counter = (counter + 1) & 0x0f;
  }
  return { packets, nextContinuityCounter: counter };
}
