/**
 * Reading H.264/H.265 parameter sets: NAL unit payloads with emulation prevention removed
 * (H.264 §7.4.1, H.265 §7.4.2: 0x000003 → 0x0000), then read MSB-first with the fixed-length
 * u(n) and Exp-Golomb ue(v)/se(v) descriptors (H.264 §7.2, §9.1).
 */
import { CodecConfigError } from './codec-error.js';

/** The RBSP of a NAL unit's bytes (header included): every emulation_prevention_three_byte dropped. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let escapes = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      escapes++;
      zeros = 0;
    } else zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (escapes === 0) return nal;
  const out = new Uint8Array(nal.length - escapes);
  let at = 0;
  zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[at++] = byte;
  }
  return out;
}

/** MSB-first bit reader; reading past the end throws CodecConfigError (a truncated parameter set). */
export class BitReader {
  private bitPosition = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get bitsLeft(): number {
    return this.bytes.length * 8 - this.bitPosition;
  }

  /** u(n) for n ≤ 32. */
  bits(count: number): number {
    if (count > 32) throw new RangeError(`u(${count})`);
    if (count > this.bitsLeft) throw new CodecConfigError('parameter set is truncated');
    let value = 0;
    for (let k = 0; k < count; k++) {
      const byte = this.bytes[this.bitPosition >>> 3] as number;
      const bit = (byte >>> (7 - (this.bitPosition & 7))) & 1;
      value = value * 2 + bit;
      this.bitPosition++;
    }
    return value;
  }

  flag(): boolean {
    return this.bits(1) === 1;
  }

  skip(count: number): void {
    if (count > this.bitsLeft) throw new CodecConfigError('parameter set is truncated');
    this.bitPosition += count;
  }

  /** ue(v): unsigned Exp-Golomb (H.264 §9.1). */
  ue(): number {
    let leadingZeros = 0;
    while (!this.flag()) {
      leadingZeros++;
      if (leadingZeros > 31) throw new CodecConfigError('Exp-Golomb code longer than 32 bits');
    }
    return 2 ** leadingZeros - 1 + this.bits(leadingZeros);
  }

  /** se(v): signed Exp-Golomb (H.264 §9.1.1). */
  se(): number {
    const code = this.ue();
    return code % 2 === 1 ? (code + 1) / 2 : -(code / 2);
  }
}
