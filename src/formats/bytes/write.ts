/** Big-endian encoders, the writing half of bytes/ (the only place that builds DataViews). */

/** `value` (0 ≤ value < 2^64) as an unsigned big-endian integer of exactly `length` bytes. */
export function uintBE(value: number | bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = BigInt(value);
  if (rest < 0n || rest >= 1n << BigInt(8 * length)) throw new RangeError(`${value} does not fit ${length} bytes`);
  for (let k = length - 1; k >= 0; k--) {
    out[k] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** The fewest bytes (at least 1) that hold `value` unsigned. */
export function uintByteLength(value: number | bigint): number {
  let rest = BigInt(value);
  if (rest < 0n) throw new RangeError(`${value} is negative`);
  let length = 1;
  while (rest > 0xffn) {
    rest >>= 8n;
    length++;
  }
  return length;
}

/** `value` as a two's-complement big-endian integer, in the fewest bytes (at least 1). */
export function intBE(value: number | bigint): Uint8Array {
  const big = BigInt(value);
  let length = 1;
  while (big < -(1n << BigInt(8 * length - 1)) || big >= 1n << BigInt(8 * length - 1)) length++;
  const unsigned = big < 0n ? big + (1n << BigInt(8 * length)) : big;
  return uintBE(unsigned, length);
}

/** `value` as an IEEE 754 big-endian float of 4 or 8 bytes. */
export function floatBE(value: number, length: 4 | 8): Uint8Array {
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  if (length === 4) view.setFloat32(0, value);
  else view.setFloat64(0, value);
  return out;
}
