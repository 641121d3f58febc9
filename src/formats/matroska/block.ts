/**
 * Block and SimpleBlock headers (RFC 9559 §10.1, §10.2) and their lace sizes (§10.3): everything
 * before the first frame's payload. Pure and allocation-free: results go into a reusable
 * BlockHeader. `bytes` starts at the block's data and may stop short of the block's end, in
 * which case the parse may report that it needs more bytes.
 */
import { MkvFormatError } from './events.js';
import { readSignedVint, readVintValue, vintWidth } from './vint.js';

/** The LACING bits of the flags octet (RFC 9559 §10.1). */
export const Lacing = { None: 0, Xiph: 1, FixedSize: 2, Ebml: 3 } as const;

/** SimpleBlock KEY flag (RFC 9559 §10.2); in a Block this bit is reserved. */
export const KEY_FLAG = 0x80;

/** The most laces a block can hold: the lace count octet stores count − 1. */
export const MAX_LACES = 256;

export interface BlockHeader {
  track: number;
  /** Signed 16-bit timestamp relative to the Cluster's, in ticks. */
  timecode: number;
  flags: number;
  /** Octets before the first frame: track VINT, timestamp, flags and any lace header. */
  headerSize: number;
  laceCount: number;
  /** Sizes of the first `laceCount` frames; entries past that are stale. */
  readonly laceSizes: number[];
}

export function newBlockHeader(): BlockHeader {
  return { track: 0, timecode: 0, flags: 0, headerSize: 0, laceCount: 0, laceSizes: new Array<number>(MAX_LACES).fill(0) };
}

/**
 * Parses the header of a block of `blockSize` octets from `bytes` (its first octets) into
 * `out`. Returns false when `bytes` is too short to tell and the block has more; throws
 * MkvFormatError when the header cannot fit the block. `at`: body offset of `bytes[0]`.
 */
export function parseBlockHeader(bytes: Uint8Array, blockSize: number, at: number, out: BlockHeader): boolean {
  const avail = Math.min(bytes.length, blockSize);
  const complete = avail === blockSize;
  if (avail < 1) return needMore(complete, at);
  const width = vintWidth(bytes[0] as number);
  if (width === 0) throw new MkvFormatError('invalid track number in block', at);
  if (avail < width + 3) return needMore(complete, at);
  out.track = readVintValue(bytes, 0, width);
  const hi = bytes[width] as number;
  const lo = bytes[width + 1] as number;
  out.timecode = ((hi << 24) | (lo << 16)) >> 16; // int16, big-endian
  out.flags = bytes[width + 2] as number;
  const lacing = (out.flags >> 1) & 3;
  if (lacing === Lacing.None) return noLacing(blockSize, width + 3, out);
  if (avail < width + 4) return needMore(complete, at);
  out.laceCount = (bytes[width + 3] as number) + 1;
  const p = width + 4;
  if (lacing === Lacing.FixedSize) return fixedSizeLacing(blockSize, p, at, out);
  if (lacing === Lacing.Xiph) return xiphLacing(bytes, avail, complete, blockSize, p, at, out);
  return ebmlLacing(bytes, avail, complete, blockSize, p, at, out);
}

function needMore(complete: boolean, at: number): false {
  if (complete) throw new MkvFormatError('block header runs past the end of the block', at);
  return false;
}

/** RFC 9559 §10.3.1: one frame, the rest of the block. */
function noLacing(blockSize: number, headerSize: number, out: BlockHeader): true {
  out.headerSize = headerSize;
  out.laceCount = 1;
  out.laceSizes[0] = blockSize - headerSize;
  return true;
}

/** RFC 9559 §10.3.4: equal frames share what follows the lace count. */
function fixedSizeLacing(blockSize: number, headerSize: number, at: number, out: BlockHeader): true {
  const payload = blockSize - headerSize;
  if (payload % out.laceCount !== 0) {
    throw new MkvFormatError(`fixed-size lacing: ${payload} octets do not split into ${out.laceCount} frames`, at);
  }
  out.headerSize = headerSize;
  out.laceSizes.fill(payload / out.laceCount, 0, out.laceCount);
  return true;
}

/** RFC 9559 §10.3.2: each size but the last as a run of 255s ended by an octet below 255. */
function xiphLacing(bytes: Uint8Array, avail: number, complete: boolean, blockSize: number, start: number, at: number, out: BlockHeader): boolean {
  let p = start;
  let total = 0;
  for (let k = 0; k < out.laceCount - 1; k++) {
    let size = 0;
    let octet: number;
    do {
      if (p >= avail) return needMore(complete, at);
      octet = bytes[p++] as number;
      size += octet;
    } while (octet === 255);
    out.laceSizes[k] = size;
    total += size;
    if (total > blockSize - p) throw new MkvFormatError('Xiph lace sizes exceed the block', at);
  }
  return finishLaces(blockSize, p, total, at, out);
}

/** RFC 9559 §10.3.3: the first size as a VINT, the others as signed VINT differences. */
function ebmlLacing(bytes: Uint8Array, avail: number, complete: boolean, blockSize: number, start: number, at: number, out: BlockHeader): boolean {
  let p = start;
  let total = 0;
  let size = 0;
  for (let k = 0; k < out.laceCount - 1; k++) {
    if (p >= avail) return needMore(complete, at);
    const width = vintWidth(bytes[p] as number);
    if (width === 0) throw new MkvFormatError('invalid EBML lace size', at);
    if (p + width > avail) return needMore(complete, at);
    size = k === 0 ? readVintValue(bytes, p, width) : size + readSignedVint(bytes, p, width);
    p += width;
    if (size < 0) throw new MkvFormatError('negative EBML lace size', at);
    out.laceSizes[k] = size;
    total += size;
    if (total > blockSize - p) throw new MkvFormatError('EBML lace sizes exceed the block', at);
  }
  return finishLaces(blockSize, p, total, at, out);
}

/** The last lace takes what the others leave (RFC 9559 §10.3.2, §10.3.3). */
function finishLaces(blockSize: number, headerSize: number, total: number, at: number, out: BlockHeader): true {
  const last = blockSize - headerSize - total;
  if (last < 0) throw new MkvFormatError('lace sizes exceed the block', at);
  out.headerSize = headerSize;
  out.laceSizes[out.laceCount - 1] = last;
  return true;
}
