/**
 * A small EBML writer (RFC 8794) with the Matroska pieces openkvs emits or tests need: element
 * headers with minimal or unknown sizes, typed leaf elements, the EBML Header, and Block /
 * SimpleBlock data with each lacing mode (RFC 9559 §10). Every function returns new bytes.
 * For large payloads, write `elementHeader(id, payload.length)` and send the payload as is.
 */
import { concatBytes, encodeUtf8 } from '../bytes/read.js';
import { floatBE, intBE, uintBE, uintByteLength } from '../bytes/write.js';
import { Lacing, KEY_FLAG } from './block.js';
import { MatroskaId } from './ids.js';
import { elementIdWidth, encodeVintSize, unknownSizeVint, writeElementId, writeVint } from './vint.js';

/** Element ID octets (RFC 8794 §5), marker included. */
export function elementId(id: number): Uint8Array {
  const out = new Uint8Array(elementIdWidth(id));
  writeElementId(out, 0, id);
  return out;
}

/**
 * An element header: Element ID then Element Data Size in the fewest octets (RFC 8794 §6.1), or
 * the 8-octet unknown size (RFC 8794 §6.2) when `size` is undefined.
 */
export function elementHeader(id: number, size: number | undefined): Uint8Array {
  return concatBytes([elementId(id), size === undefined ? unknownSizeVint() : encodeVintSize(size)]);
}

/** A whole element: header then `body` (one payload, or children concatenated). */
export function element(id: number, body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const data = body instanceof Uint8Array ? body : concatBytes(body);
  return concatBytes([elementHeader(id, data.length), data]);
}

/** A Master Element of unknown size (live Segment or Cluster): header, then the children. */
export function unknownSizeElement(id: number, children: readonly Uint8Array[]): Uint8Array {
  return concatBytes([elementHeader(id, undefined), ...children]);
}

/** RFC 8794 §7.2 Unsigned Integer, in the fewest octets (at least one). */
export function uintElement(id: number, value: number | bigint): Uint8Array {
  return element(id, uintBE(value, uintByteLength(value)));
}

/** RFC 8794 §7.1 Signed Integer, in the fewest octets (at least one). */
export function intElement(id: number, value: number | bigint): Uint8Array {
  return element(id, intBE(value));
}

/** RFC 8794 §7.3 Float, 8 octets unless told 4. */
export function floatElement(id: number, value: number, width: 4 | 8 = 8): Uint8Array {
  return element(id, floatBE(value, width));
}

/** RFC 8794 §7.4 String / §7.5 UTF-8 (ASCII text is the same bytes either way). */
export function stringElement(id: number, value: string): Uint8Array {
  return element(id, encodeUtf8(value));
}

/** RFC 8794 §7.8 Binary. */
export function binaryElement(id: number, bytes: Uint8Array): Uint8Array {
  return element(id, bytes);
}

/** The EBML Header (RFC 8794 §11.2) of a Matroska or WebM document. */
export function ebmlHeaderElement(docType = 'matroska', docTypeVersion = 4, docTypeReadVersion = 2): Uint8Array {
  return element(MatroskaId.EBML, [
    uintElement(MatroskaId.EBMLVersion, 1),
    uintElement(MatroskaId.EBMLReadVersion, 1),
    uintElement(MatroskaId.EBMLMaxIDLength, 4),
    uintElement(MatroskaId.EBMLMaxSizeLength, 8),
    stringElement(MatroskaId.DocType, docType),
    uintElement(MatroskaId.DocTypeVersion, docTypeVersion),
    uintElement(MatroskaId.DocTypeReadVersion, docTypeReadVersion),
  ]);
}

export type LacingMode = 'none' | 'xiph' | 'fixed-size' | 'ebml';

export interface BlockDataOptions {
  readonly track: number;
  /** Signed 16-bit timestamp relative to the Cluster's, in ticks. */
  readonly timecode: number;
  /** SimpleBlock KEY flag (RFC 9559 §10.2); leave false for a Block. */
  readonly key?: boolean;
  readonly frames: readonly Uint8Array[];
  /** Default: 'none' for one frame, 'ebml' for several. */
  readonly lacing?: LacingMode;
}

const LACING_BITS: Record<LacingMode, number> = {
  none: Lacing.None,
  xiph: Lacing.Xiph,
  'fixed-size': Lacing.FixedSize,
  ebml: Lacing.Ebml,
};

/**
 * The data of a Block or SimpleBlock (RFC 9559 §10.1, §10.2): track VINT, int16 timestamp,
 * flags, the lace header of the chosen mode (§10.3), then the frames back to back.
 */
export function blockData(options: BlockDataOptions): Uint8Array {
  const { track, timecode, frames } = options;
  const lacing = options.lacing ?? (frames.length === 1 ? 'none' : 'ebml');
  if (timecode < -32768 || timecode > 32767) throw new RangeError(`block timestamp ${timecode} is not an int16`);
  if (lacing === 'none' ? frames.length !== 1 : frames.length < 1 || frames.length > 256) {
    throw new RangeError(`${frames.length} frames cannot use ${lacing} lacing`);
  }
  const flags = (options.key === true ? KEY_FLAG : 0) | (LACING_BITS[lacing] << 1);
  const header = [encodeVintSize(track), Uint8Array.of((timecode >> 8) & 0xff, timecode & 0xff, flags)];
  const laceHeader = lacing === 'none' ? [] : [Uint8Array.of(frames.length - 1), laceSizes(lacing, frames)];
  return concatBytes([...header, ...laceHeader, ...frames]);
}

function laceSizes(lacing: Exclude<LacingMode, 'none'>, frames: readonly Uint8Array[]): Uint8Array {
  const sizes = frames.map((f) => f.length);
  if (lacing === 'fixed-size') {
    if (sizes.some((s) => s !== sizes[0])) throw new RangeError('fixed-size lacing needs frames of one size');
    return new Uint8Array(0);
  }
  const coded = sizes.slice(0, -1);
  return lacing === 'xiph' ? xiphLaceSizes(coded) : ebmlLaceSizes(coded);
}

/** RFC 9559 §10.3.2: each size as 255s then the remainder (a 0 ends a multiple of 255). */
export function xiphLaceSizes(sizes: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (const size of sizes) {
    for (let rest = size; ; rest -= 255) {
      out.push(Math.min(rest, 255));
      if (rest < 255) break;
    }
  }
  return Uint8Array.from(out);
}

/** RFC 9559 §10.3.3: the first size as a VINT, then signed VINT differences from the previous size. */
export function ebmlLaceSizes(sizes: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  sizes.forEach((size, k) => {
    if (k === 0) parts.push(encodeVintSize(size));
    else parts.push(signedVint(size - (sizes[k - 1] as number)));
  });
  return concatBytes(parts);
}

/** A signed VINT: value + 2^(7·width − 1) − 1 in the fewest octets whose range holds it. */
function signedVint(value: number): Uint8Array {
  let width = 1;
  while (Math.abs(value) > 2 ** (7 * width - 1) - 1) width++;
  const out = new Uint8Array(width);
  writeVint(out, 0, value + 2 ** (7 * width - 1) - 1, width);
  return out;
}

/** A SimpleBlock element (RFC 9559 §10.2). */
export function simpleBlockElement(options: BlockDataOptions): Uint8Array {
  return element(MatroskaId.SimpleBlock, blockData(options));
}
