/**
 * Seeded mutations of Matroska bodies for fuzzing PutMedia: bit flips, overwritten byte runs,
 * truncation, duplicated and removed ranges, huge or odd element sizes, random garbage.
 */
import { concatBytes } from '../../src/formats/bytes/read.js';
import { randInt, randomBytes, type Rng } from './synthetic-mkv.js';

/** 4-byte IDs of the elements whose size fields are worth breaking. */
const MASTER_IDS = [
  [0x1a, 0x45, 0xdf, 0xa3], // EBML
  [0x18, 0x53, 0x80, 0x67], // Segment
  [0x15, 0x49, 0xa9, 0x66], // Info
  [0x16, 0x54, 0xae, 0x6b], // Tracks
  [0x1f, 0x43, 0xb6, 0x75], // Cluster
  [0x12, 0x54, 0xc3, 0x67], // Tags
];

function findIds(bytes: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i + 4 < bytes.length; i++) {
    for (const id of MASTER_IDS) {
      if (bytes[i] === id[0] && bytes[i + 1] === id[1] && bytes[i + 2] === id[2] && bytes[i + 3] === id[3]) at.push(i);
    }
  }
  return at;
}

/** A size VINT chosen to hurt: huge, unknown, zero, tiny, or a random width and value. */
function nastySize(rng: Rng): Uint8Array {
  switch (randInt(rng, 0, 6)) {
    case 0:
      return Uint8Array.of(0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe); // ~2^48
    case 1:
      return Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff); // unknown size
    case 2:
      return Uint8Array.of(0x80); // zero
    case 3:
      return Uint8Array.of(0x80 | randInt(rng, 1, 20));
    case 4:
      return Uint8Array.of(0x10, 0xff, 0xff, 0xfe); // ~256 MiB
    case 5:
      return Uint8Array.of(0x08, 0x00, 0x00, 0x00, 0x01); // 5-octet 1: not minimal, valid
    default: {
      const width = randInt(rng, 1, 8);
      const out = randomBytes(rng, width);
      out[0] = (1 << (8 - width)) | (out[0]! & ((1 << (8 - width)) - 1));
      return out;
    }
  }
}

export type MutationName = 'bitflip' | 'overwrite' | 'truncate' | 'duplicate' | 'remove' | 'size' | 'garbage-tail' | 'garbage' | 'splice';

export const MUTATIONS: readonly MutationName[] = ['bitflip', 'overwrite', 'truncate', 'duplicate', 'remove', 'size', 'garbage-tail', 'garbage', 'splice'];

/** One mutation of `input` (never modified); `other` is a second body for splicing. */
export function mutate(rng: Rng, input: Uint8Array, name: MutationName, other: Uint8Array): Uint8Array {
  const n = input.length;
  const pos = () => randInt(rng, 0, Math.max(0, n - 1));
  switch (name) {
    case 'bitflip': {
      const out = Uint8Array.from(input);
      const flips = randInt(rng, 1, 8);
      for (let k = 0; k < flips; k++) {
        const p = pos();
        out[p] = out[p]! ^ (1 << randInt(rng, 0, 7));
      }
      return out;
    }
    case 'overwrite': {
      const out = Uint8Array.from(input);
      const p = pos();
      const len = Math.min(n - p, randInt(rng, 1, 64));
      const fill = rng() < 0.5 ? randomBytes(rng, len) : new Uint8Array(len).fill(rng() < 0.5 ? 0xff : 0x00);
      out.set(fill, p);
      return out;
    }
    case 'truncate':
      return input.slice(0, pos());
    case 'duplicate': {
      const a = pos();
      const b = Math.min(n, a + randInt(rng, 1, 4096));
      const c = pos();
      return concatBytes([input.subarray(0, c), input.subarray(a, b), input.subarray(c)]);
    }
    case 'remove': {
      const a = pos();
      const b = Math.min(n, a + randInt(rng, 1, 4096));
      return concatBytes([input.subarray(0, a), input.subarray(b)]);
    }
    case 'size': {
      const ids = findIds(input);
      if (ids.length === 0) return mutate(rng, input, 'bitflip', other);
      const at = ids[randInt(rng, 0, ids.length - 1)]! + 4;
      const first = input[at] ?? 0x80;
      let width = 1;
      while (width < 8 && (first & (0x80 >> (width - 1))) === 0) width++;
      return concatBytes([input.subarray(0, at), nastySize(rng), input.subarray(Math.min(n, at + width))]);
    }
    case 'garbage-tail':
      return concatBytes([input.subarray(0, pos()), randomBytes(rng, randInt(rng, 1, 8192))]);
    case 'garbage':
      return randomBytes(rng, randInt(rng, 0, 16384));
    case 'splice': {
      const cut = pos();
      const from = randInt(rng, 0, Math.max(0, other.length - 1));
      return concatBytes([input.subarray(0, cut), other.subarray(from)]);
    }
  }
}

/** 1–3 random mutations in a row; returns the bytes and what was done (for failure messages). */
export function randomMutation(rng: Rng, input: Uint8Array, other: Uint8Array): { bytes: Uint8Array; steps: MutationName[] } {
  let bytes = input;
  const steps: MutationName[] = [];
  const count = rng() < 0.7 ? 1 : randInt(rng, 2, 3);
  for (let k = 0; k < count; k++) {
    const name = MUTATIONS[randInt(rng, 0, MUTATIONS.length - 1)]!;
    steps.push(name);
    bytes = mutate(rng, bytes, name, other);
  }
  return { bytes, steps };
}

/** Random chunk sizes: mostly large, sometimes tiny (1–16 bytes), to vary where chunks cut elements. */
export function* randomChunks(rng: Rng, bytes: Uint8Array): Generator<Uint8Array> {
  const tiny = rng() < 0.1;
  for (let at = 0; at < bytes.length; ) {
    const size = tiny ? randInt(rng, 1, 16) : rng() < 0.2 ? randInt(rng, 1, 64) : randInt(rng, 256, 32 * 1024);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}
