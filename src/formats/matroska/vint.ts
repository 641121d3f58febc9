/**
 * EBML Variable-Size Integers (RFC 8794 §4): VINT_WIDTH leading zero bits, a VINT_MARKER 1 bit,
 * then VINT_DATA. Element IDs keep the marker (RFC 8794 §5); Element Data Sizes and other values
 * strip it (RFC 8794 §6). Readers take a checked (bytes, offset, width): callers learn `width`
 * from the first octet with `vintWidth` and make sure the octets are there.
 */
import { checkRange } from '../bytes/read.js';

/** What `readVintSize` returns for the reserved all-ones value: "unknown size" (RFC 8794 §6.2). */
export const UNKNOWN_SIZE = -1;

/** RFC 8794 §5 default EBMLMaxIDLength; Matroska IDs are 1–4 octets. */
export const MAX_ID_WIDTH = 4;

/** RFC 8794 §6 default EBMLMaxSizeLength. */
export const MAX_SIZE_WIDTH = 8;

/** RFC 8794 §4.1: the VINT's total octets (1–8) from its first octet; 0 when that octet is 0x00 (invalid). */
export function vintWidth(firstOctet: number): number {
  return firstOctet === 0 ? 0 : Math.clz32(firstOctet) - 23;
}

/**
 * RFC 8794 §4.4 VINT_DATA, marker stripped. Exact up to 2^53; larger 8-octet values come back
 * rounded but still above Number.MAX_SAFE_INTEGER, which callers reject.
 */
export function readVintValue(bytes: Uint8Array, offset: number, width: number): number {
  checkRange(bytes, offset, width);
  let value = (bytes[offset] as number) & (0xff >> width);
  for (let k = 1; k < width; k++) value = value * 256 + (bytes[offset + k] as number);
  return value;
}

/**
 * An Element Data Size (RFC 8794 §6): VINT_DATA, or UNKNOWN_SIZE when every VINT_DATA bit is 1
 * — at any width 1–8 (RFC 8794 §6.2).
 */
export function readVintSize(bytes: Uint8Array, offset: number, width: number): number {
  checkRange(bytes, offset, width);
  const mask = 0xff >> width;
  const first = (bytes[offset] as number) & mask;
  let value = first;
  let allOnes = first === mask;
  for (let k = 1; k < width; k++) {
    const octet = bytes[offset + k] as number;
    value = value * 256 + octet;
    allOnes = allOnes && octet === 0xff;
  }
  return allOnes ? UNKNOWN_SIZE : value;
}

/** An Element ID (RFC 8794 §5): the octets as one big-endian number, marker included. */
export function readElementId(bytes: Uint8Array, offset: number, width: number): number {
  checkRange(bytes, offset, width);
  let id = 0;
  for (let k = 0; k < width; k++) id = id * 256 + (bytes[offset + k] as number);
  return id;
}

/** RFC 8794 §5: VINT_DATA of an Element ID must be neither all zeros nor all ones. */
export function isValidElementId(id: number, width: number): boolean {
  const data = id - 2 ** (7 * width);
  return data !== 0 && data !== 2 ** (7 * width) - 1;
}

/**
 * A signed VINT as EBML lacing codes size differences (RFC 9559 §10.3.3): the unsigned value
 * minus 2^(7·width − 1) − 1.
 */
export function readSignedVint(bytes: Uint8Array, offset: number, width: number): number {
  return readVintValue(bytes, offset, width) - (2 ** (7 * width - 1) - 1);
}

/** Octets of an Element ID from its value (the marker bit fixes the width). */
export function elementIdWidth(id: number): number {
  if (id >= 0x10000000) return 4;
  if (id >= 0x200000) return 3;
  if (id >= 0x4000) return 2;
  return 1;
}

/** The fewest octets that code `value` as a VINT without hitting the reserved all-ones value. */
export function vintWidthFor(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot code ${value} as a VINT`);
  let width = 1;
  while (value >= 2 ** (7 * width) - 1) width++;
  if (width > MAX_SIZE_WIDTH) throw new RangeError(`${value} needs more than 8 VINT octets`);
  return width;
}

/** Writes `value` as a VINT of exactly `width` octets (marker added) at `out[offset]`. */
export function writeVint(out: Uint8Array, offset: number, value: number, width: number): void {
  checkRange(out, offset, width);
  if (value < 0 || value > 2 ** (7 * width) - 1) throw new RangeError(`${value} does not fit a ${width}-octet VINT`);
  let rest = value;
  for (let k = width - 1; k >= 1; k--) {
    out[offset + k] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[offset] = rest | (0x80 >> (width - 1));
}

/** Writes an Element ID's octets (marker included) at `out[offset]`; returns its width. */
export function writeElementId(out: Uint8Array, offset: number, id: number): number {
  const width = elementIdWidth(id);
  checkRange(out, offset, width);
  for (let k = width - 1, rest = id; k >= 0; k--, rest = Math.floor(rest / 256)) out[offset + k] = rest % 256;
  return width;
}

/** An Element Data Size coded in the fewest octets (RFC 8794 §6.1). */
export function encodeVintSize(value: number, width = vintWidthFor(value)): Uint8Array {
  const out = new Uint8Array(width);
  writeVint(out, 0, value, width);
  return out;
}

/** The 8-octet "unknown size" (RFC 8794 §6.2), as live producers write Segment and Cluster. */
export function unknownSizeVint(): Uint8Array {
  return Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}
