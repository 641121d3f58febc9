/**
 * The one range-checked reader of formats/ (DESIGN §7 rule 2): big-endian integers and floats,
 * sub-ranges and text, read out of a Uint8Array that may be a view into a larger buffer
 * (every DataView honours `byteOffset`). Out-of-range reads throw RangeError: callers validate
 * sizes first, so a RangeError here is a bug, never a verdict on the input.
 */

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Throws RangeError unless `[offset, offset + length)` lies inside `bytes`. */
export function checkRange(bytes: Uint8Array, offset: number, length: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
    throw new RangeError(`read of ${length} bytes at ${offset} outside ${bytes.length} bytes`);
  }
}

/** The bytes `[start, end)` as a view (never a copy). */
export function slice(bytes: Uint8Array, start: number, end: number): Uint8Array {
  checkRange(bytes, start, end - start);
  return bytes.subarray(start, end);
}

/** The byte at `offset`. */
export function readUint8(bytes: Uint8Array, offset: number): number {
  checkRange(bytes, offset, 1);
  return bytes[offset] as number;
}

/**
 * An unsigned big-endian integer of 0–8 bytes (0 bytes reads as 0). Exact up to
 * Number.MAX_SAFE_INTEGER; callers that care check `Number.isSafeInteger` on the result.
 */
export function readUintBE(bytes: Uint8Array, offset: number, length: number): number {
  checkRange(bytes, offset, length);
  if (length > 8) throw new RangeError(`unsigned integer of ${length} bytes`);
  let value = 0;
  for (let k = 0; k < length; k++) value = value * 256 + (bytes[offset + k] as number);
  return value;
}

/** An unsigned big-endian integer of 0–8 bytes, exactly. */
export function readUintBigBE(bytes: Uint8Array, offset: number, length: number): bigint {
  checkRange(bytes, offset, length);
  if (length > 8) throw new RangeError(`unsigned integer of ${length} bytes`);
  let value = 0n;
  for (let k = 0; k < length; k++) value = (value << 8n) | BigInt(bytes[offset + k] as number);
  return value;
}

/** A two's-complement signed big-endian integer of 0–8 bytes (exact within ±2^53). */
export function readIntBE(bytes: Uint8Array, offset: number, length: number): number {
  const unsigned = readUintBE(bytes, offset, length);
  if (length === 0 || ((bytes[offset] as number) & 0x80) === 0) return unsigned;
  return unsigned - 2 ** (8 * length);
}

/** An IEEE 754 big-endian float of 4 or 8 bytes. */
export function readFloatBE(bytes: Uint8Array, offset: number, length: 4 | 8): number {
  checkRange(bytes, offset, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  return length === 4 ? view.getFloat32(0) : view.getFloat64(0);
}

/** UTF-8 text of `[start, end)`; invalid sequences become U+FFFD. */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  return utf8Decoder.decode(slice(bytes, start, end));
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** One new array holding `parts` back to back. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
