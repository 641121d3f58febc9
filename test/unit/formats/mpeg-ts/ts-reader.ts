/**
 * Test helper: an independent, deliberately plain reader of transport streams (ISO/IEC 13818-1
 * §2.4.3) that keeps every field the muxer tests check: packet headers, adaptation fields, PES
 * packets reassembled per PID, PSI sections. It shares no code with the muxer.
 */

export interface ReadPacket {
  readonly index: number;
  readonly pid: number;
  readonly payloadUnitStart: boolean;
  readonly adaptationFieldControl: number;
  readonly continuityCounter: number;
  /** adaptation_field_length + 1, or 0 without an adaptation field. */
  readonly adaptationSize: number;
  readonly randomAccess: boolean;
  readonly pcr: number | undefined;
  readonly payload: Uint8Array;
}

export interface ReadPes {
  readonly pid: number;
  readonly streamId: number;
  readonly packetLength: number;
  readonly pts: number | undefined;
  readonly dts: number | undefined;
  readonly dataAlignment: boolean;
  readonly data: Uint8Array;
  readonly firstPacket: ReadPacket;
}

export function readPackets(ts: Uint8Array): ReadPacket[] {
  if (ts.length % 188 !== 0) throw new Error(`${ts.length} bytes is not a whole number of packets`);
  const packets: ReadPacket[] = [];
  for (let at = 0; at < ts.length; at += 188) {
    const p = ts.subarray(at, at + 188);
    if (p[0] !== 0x47) throw new Error(`packet ${at / 188}: sync byte ${p[0]}`);
    const afc = ((p[3] as number) >> 4) & 3;
    let adaptationSize = 0;
    let randomAccess = false;
    let pcr: number | undefined;
    if (afc & 2) {
      adaptationSize = (p[4] as number) + 1;
      if (adaptationSize > 1) {
        const flags = p[5] as number;
        randomAccess = (flags & 0x40) !== 0;
        if (flags & 0x10) {
          pcr = (p[6] as number) * 2 ** 25 + (p[7] as number) * 2 ** 17 + (p[8] as number) * 2 ** 9 + (p[9] as number) * 2 + ((p[10] as number) >> 7);
        }
      }
    }
    packets.push({
      index: at / 188,
      pid: (((p[1] as number) & 0x1f) << 8) | (p[2] as number),
      payloadUnitStart: ((p[1] as number) & 0x40) !== 0,
      adaptationFieldControl: afc,
      continuityCounter: (p[3] as number) & 0x0f,
      adaptationSize,
      randomAccess,
      pcr,
      payload: afc & 1 ? p.subarray(4 + adaptationSize) : new Uint8Array(0),
    });
  }
  return packets;
}

function readTimestamp(b: Uint8Array, at: number): number {
  return (((b[at] as number) >> 1) & 7) * 2 ** 30 + (b[at + 1] as number) * 2 ** 22 + ((b[at + 2] as number) >> 1) * 2 ** 15 + (b[at + 3] as number) * 2 ** 7 + ((b[at + 4] as number) >> 1);
}

/** PES packets of the elementary PIDs given, in stream order. */
export function readPes(packets: readonly ReadPacket[], pids: ReadonlySet<number>): ReadPes[] {
  const out: ReadPes[] = [];
  const open = new Map<number, { first: ReadPacket; parts: Uint8Array[] }>();
  const close = (pid: number) => {
    const entry = open.get(pid);
    if (entry === undefined) return;
    open.delete(pid);
    const bytes = Buffer.concat(entry.parts);
    if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1) throw new Error(`PES on PID ${pid} lacks a start code`);
    const flags = bytes[7] as number;
    const headerEnd = 9 + (bytes[8] as number);
    out.push({
      pid,
      streamId: bytes[3] as number,
      packetLength: ((bytes[4] as number) << 8) | (bytes[5] as number),
      pts: flags & 0x80 ? readTimestamp(bytes, 9) : undefined,
      dts: (flags & 0xc0) === 0xc0 ? readTimestamp(bytes, 14) : undefined,
      dataAlignment: ((bytes[6] as number) & 0x04) !== 0,
      data: new Uint8Array(bytes.subarray(headerEnd)),
      firstPacket: entry.first,
    });
  };
  for (const packet of packets) {
    if (!pids.has(packet.pid)) continue;
    if (packet.payloadUnitStart) {
      close(packet.pid);
      open.set(packet.pid, { first: packet, parts: [] });
    }
    open.get(packet.pid)?.parts.push(packet.payload);
  }
  for (const pid of [...open.keys()]) close(pid);
  return out;
}

/** A PSI section carried in one packet (pointer_field skipped), with section_length applied. */
export function sectionOf(packet: ReadPacket): Uint8Array {
  const pointer = packet.payload[0] as number;
  const start = 1 + pointer;
  const length = (((packet.payload[start + 1] as number) & 0x0f) << 8) | (packet.payload[start + 2] as number);
  return packet.payload.subarray(start, start + 3 + length);
}

/** CRC-32/MPEG-2 the slow way, bit by bit, for checking sections without the muxer's table. */
export function bitwiseCrc32Mpeg2(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((crc >>> 31) & 1) ^ ((byte >> bit) & 1);
      crc = (crc << 1) >>> 0;
      if (top) crc = (crc ^ 0x04c11db7) >>> 0;
    }
  }
  return crc >>> 0;
}
