/**
 * CRC-32 of PSI sections (ISO/IEC 13818-1 §2.4.4.1 and Annex A): polynomial 0x04C11DB7, register
 * preset to all ones, bits processed most significant first, no final inversion ("CRC-32/MPEG-2").
 * A decoder running the same register over a section *including* its CRC_32 field ends at zero.
 */

const POLYNOMIAL = 0x04c11db7;

/** One entry per byte value: the register change that byte causes (MSB-first, table-driven). */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let register = byte << 24;
    for (let bit = 0; bit < 8; bit++) register = register & 0x80000000 ? (register << 1) ^ POLYNOMIAL : register << 1;
    table[byte] = register >>> 0;
  }
  return table;
})();

/** The CRC_32 of `bytes[start, end)`, as an unsigned 32-bit number. */
export function crc32Mpeg2(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let register = 0xffffffff;
  for (let i = start; i < end; i++) {
    register = (register << 8) ^ (TABLE[((register >>> 24) ^ (bytes[i] as number)) & 0xff] as number);
  }
  return register >>> 0;
}
