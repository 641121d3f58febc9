/**
 * Reading a Master Element that is complete in memory (EBML header, Info, Tracks, Tags): walk
 * its children and decode their values by EBML type (RFC 8794 §7). The incremental parser
 * buffers only such small elements; frames never come through here.
 */
import { readFloatBE, readIntBE, readUintBE, readUintBigBE, readUtf8, slice } from '../bytes/read.js';
import { MkvFormatError } from './events.js';
import { MAX_ID_WIDTH, MAX_SIZE_WIDTH, UNKNOWN_SIZE, isValidElementId, readElementId, readVintSize, vintWidth } from './vint.js';

/** A complete element held in memory: `bytes[start, end)` is its data; `base` is the body offset of `bytes[0]`. */
export interface Span {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly base: number;
}

export type ChildVisitor = (id: number, child: Span) => void;

/** Calls `visit` for each child element of `parent`, in order. Children must be known-size and fit. */
export function forEachChild(parent: Span, visit: ChildVisitor): void {
  const { bytes, end, base } = parent;
  let at = parent.start;
  while (at < end) {
    const idWidth = headerWidth(bytes, at, end, base, MAX_ID_WIDTH, 'element ID');
    const id = readElementId(bytes, at, idWidth);
    if (!isValidElementId(id, idWidth)) throw new MkvFormatError(`reserved element ID 0x${id.toString(16)}`, base + at);
    const sizeWidth = headerWidth(bytes, at + idWidth, end, base, MAX_SIZE_WIDTH, 'element size');
    const size = readVintSize(bytes, at + idWidth, sizeWidth);
    const dataStart = at + idWidth + sizeWidth;
    if (size === UNKNOWN_SIZE) throw new MkvFormatError(`element 0x${id.toString(16)} may not have an unknown size`, base + at);
    if (size > end - dataStart) throw new MkvFormatError(`element 0x${id.toString(16)} overruns its parent`, base + at);
    visit(id, { bytes, start: dataStart, end: dataStart + size, base });
    at = dataStart + size;
  }
}

function headerWidth(bytes: Uint8Array, at: number, end: number, base: number, max: number, what: string): number {
  if (at >= end) throw new MkvFormatError(`${what} overruns its parent`, base + at);
  const width = vintWidth(bytes[at] as number);
  if (width === 0 || width > max) throw new MkvFormatError(`invalid ${what} (first octet 0x${(bytes[at] as number).toString(16)})`, base + at);
  if (width > end - at) throw new MkvFormatError(`${what} overruns its parent`, base + at);
  return width;
}

/** RFC 8794 §7.2 Unsigned Integer: 0–8 octets; must also fit a JS number exactly. */
export function readUint(span: Span): number {
  const length = span.end - span.start;
  if (length > 8) throw new MkvFormatError(`unsigned integer of ${length} octets`, span.base + span.start);
  const value = readUintBE(span.bytes, span.start, length);
  if (!Number.isSafeInteger(value)) throw new MkvFormatError('unsigned integer too large', span.base + span.start);
  return value;
}

/** RFC 8794 §7.2 Unsigned Integer, exactly (UIDs use all 64 bits). */
export function readUintBig(span: Span): bigint {
  const length = span.end - span.start;
  if (length > 8) throw new MkvFormatError(`unsigned integer of ${length} octets`, span.base + span.start);
  return readUintBigBE(span.bytes, span.start, length);
}

/** RFC 8794 §7.1 Signed Integer: 0–8 octets, two's complement. */
export function readInt(span: Span): number {
  const length = span.end - span.start;
  if (length > 8) throw new MkvFormatError(`signed integer of ${length} octets`, span.base + span.start);
  return readIntBE(span.bytes, span.start, length);
}

/** RFC 8794 §7.3 Float: 0 (the value 0), 4 or 8 octets. */
export function readFloat(span: Span): number {
  const length = span.end - span.start;
  if (length === 0) return 0;
  if (length !== 4 && length !== 8) throw new MkvFormatError(`float of ${length} octets`, span.base + span.start);
  return readFloatBE(span.bytes, span.start, length);
}

/** RFC 8794 §7.4/§7.5 String and UTF-8: text up to the first 0x00 (trailing padding allowed). */
export function readString(span: Span): string {
  const zero = span.bytes.subarray(span.start, span.end).indexOf(0);
  return readUtf8(span.bytes, span.start, zero === -1 ? span.end : span.start + zero);
}

/** RFC 8794 §7.8 Binary: a view of the data (copy it if the buffer is not yours to keep). */
export function readBinary(span: Span): Uint8Array {
  return slice(span.bytes, span.start, span.end);
}
