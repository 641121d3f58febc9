/**
 * The ISO BMFF box framing every builder uses (ISO/IEC 14496-12 §4.2): a 32-bit size and a
 * four-character type, `FullBox` adding an 8-bit version and 24-bit flags. Sizes are patched in
 * once the body is written, so builders just write fields in spec order.
 */
import { ByteWriter } from '../bytes/byte-writer.js';

export type BoxBodyWriter = (w: ByteWriter) => void;

const HEADER_BYTES = 8;
const LARGE_HEADER_BYTES = 16;
const MAX_32 = 0xffffffff;

/** §4.2 Box: size, type, then whatever `body` writes. */
export function box(type: string, body: BoxBodyWriter, capacity?: number): Uint8Array {
  const w = new ByteWriter(capacity);
  w.u32(0).fourcc(type); // size (patched below), type
  body(w);
  return w.patchU32(0, w.position).finish();
}

/** §4.2 FullBox: a Box whose body starts with version (8 bits) and flags (24 bits). */
export function fullBox(type: string, version: number, flags: number, body: BoxBodyWriter, capacity?: number): Uint8Array {
  return box(
    type,
    (w) => {
      w.u8(version).u24(flags);
      body(w);
    },
    capacity,
  );
}

/** A container box: the children back to back (moov, trak, mdia, minf, stbl, dinf, mvex, moof, traf). */
export function containerBox(type: string, children: readonly Uint8Array[]): Uint8Array {
  let length = HEADER_BYTES;
  for (const child of children) length += child.length;
  return box(type, (w) => children.forEach((child) => w.bytes(child)), length);
}

/** The header of a box whose body follows separately (mdat streamed from storage): 64-bit size past 4 GiB. */
export function boxHeader(type: string, bodyBytes: number): Uint8Array {
  const w = new ByteWriter(LARGE_HEADER_BYTES);
  if (bodyBytes + HEADER_BYTES <= MAX_32) return w.u32(bodyBytes + HEADER_BYTES).fourcc(type).finish();
  return w.u32(1).fourcc(type).u64(bodyBytes + LARGE_HEADER_BYTES).finish(); // size 1: largesize follows
}

/** Whether unsigned times or durations need the 64-bit (version 1) form of a box. */
export function needsVersion1(...values: number[]): boolean {
  return values.some((v) => v > MAX_32);
}
