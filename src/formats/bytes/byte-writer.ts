/**
 * A growable big-endian writer for binary structures built field by field (ISO BMFF boxes, sample
 * tables of thousands of entries). The writing counterpart of read.ts: the one place besides
 * write.ts that builds a DataView. Plain number arithmetic, no BigInt on the hot path, so a moov
 * of 100,000 samples costs microseconds per table rather than milliseconds.
 */

const INITIAL_CAPACITY = 256;
const TWO_32 = 2 ** 32;

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buffer = new Uint8Array(Math.max(capacity, 16));
    this.view = new DataView(this.buffer.buffer);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.length;
  }

  u8(value: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, checkUint(value, 0xff));
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, checkUint(value, 0xffff));
    this.length += 2;
    return this;
  }

  /** 24-bit unsigned (full-box flags). */
  u24(value: number): this {
    checkUint(value, 0xffffff);
    return this.u8(value >>> 16).u16(value & 0xffff);
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, checkUint(value, 0xffffffff));
    this.length += 4;
    return this;
  }

  i16(value: number): this {
    this.reserve(2);
    this.view.setInt16(this.length, checkInt(value, 0x8000));
    this.length += 2;
    return this;
  }

  i32(value: number): this {
    this.reserve(4);
    this.view.setInt32(this.length, checkInt(value, 0x80000000));
    this.length += 4;
    return this;
  }

  /** 64-bit unsigned from a safe integer. */
  u64(value: number): this {
    checkUint(value, Number.MAX_SAFE_INTEGER);
    return this.u32(Math.floor(value / TWO_32)).u32(value % TWO_32);
  }

  /** 64-bit two's complement from a safe integer (edit-list media times may be -1). */
  i64(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
    if (value >= 0) return this.u64(value);
    const high = Math.floor(value / TWO_32);
    return this.u32(high + TWO_32).u32(value - high * TWO_32);
  }

  /** Four ASCII characters (a box type or brand). */
  fourcc(code: string): this {
    if (code.length !== 4) throw new RangeError(`four-character code ${JSON.stringify(code)}`);
    this.reserve(4);
    for (let k = 0; k < 4; k++) this.buffer[this.length + k] = code.charCodeAt(k) & 0xff;
    this.length += 4;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** `count` zero bytes (reserved fields). */
  zeros(count: number): this {
    this.reserve(count);
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
    return this;
  }

  /** Overwrites a 32-bit unsigned value already written at `at` (a size known only at the end). */
  patchU32(at: number, value: number): this {
    if (at < 0 || at + 4 > this.length) throw new RangeError(`patch at ${at} outside ${this.length} bytes`);
    this.view.setUint32(at, checkUint(value, 0xffffffff));
    return this;
  }

  /** The bytes written, as a view of the writer's buffer (the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

function checkUint(value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${value} is not an unsigned integer ≤ ${max}`);
  return value;
}

function checkInt(value: number, bound: number): number {
  if (!Number.isInteger(value) || value < -bound || value >= bound) throw new RangeError(`${value} does not fit a signed field of ±${bound}`);
  return value;
}
