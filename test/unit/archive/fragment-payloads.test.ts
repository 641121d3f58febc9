/**
 * storedPayloads: the payload bytes of fragments come out in order and complete, whatever the
 * chunking of the reads, whether fragments sit back to back in one object (one read) or apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedPayloads, type PayloadRead } from '../../../src/archive/fragment-payloads.js';
import type { FragmentRecord } from '../../../src/domain/fragment.js';
import type { BlobStore, ByteRange } from '../../../src/storage/blob-store.js';
import { prng } from '../../helpers/prng.js';

/** Objects in memory, served in chunks of random sizes; counts the reads. */
function memoryBlobs(objects: Map<string, Uint8Array>, random: () => number) {
  const reads: string[] = [];
  const blobs = {
    async get(key: string, range?: ByteRange) {
      const bytes = objects.get(key)!;
      const { start, end } = range ?? { start: 0, end: bytes.length };
      reads.push(`${key}:${start}-${end}`);
      return (async function* () {
        for (let at = start; at < end; ) {
          const n = Math.min(end - at, 1 + Math.floor(random() * 40));
          yield bytes.subarray(at, at + n);
          at += n;
        }
      })();
    },
  } as unknown as BlobStore;
  return { blobs, reads };
}

function fragment(key: string, offset: number, size: number, n: number): FragmentRecord {
  return { fragmentNumber: String(n), size, location: { key, offset } } as FragmentRecord;
}

test('payloads come out whole and in order; adjacent fragments are read in one go', async () => {
  const random = prng(3);
  const object = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
  const other = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
  const { blobs, reads } = memoryBlobs(new Map([['a', object], ['b', other]]), random);
  const plan: PayloadRead[] = [
    { fragment: fragment('a', 0, 200, 1), ranges: Uint32Array.of(5, 20, 30, 0, 40, 100) },
    { fragment: fragment('a', 200, 200, 2), ranges: Uint32Array.of(0, 50, 60, 139) },
    { fragment: fragment('b', 0, 100, 3), ranges: Uint32Array.of(10, 10) },
    { fragment: fragment('a', 450, 150, 4), ranges: Uint32Array.of(1, 1, 149, 1) },
  ];
  const expected: number[] = [];
  for (const { fragment: f, ranges } of plan) {
    const bytes = f.location.key === 'a' ? object : other;
    for (let i = 0; i < ranges.length; i += 2) expected.push(...bytes.subarray(f.location.offset + ranges[i]!, f.location.offset + ranges[i]! + ranges[i + 1]!));
  }
  const got: number[] = [];
  for await (const views of storedPayloads(blobs, plan)) for (const view of views) got.push(...view);
  assert.deepEqual(got, expected);
  assert.deepEqual(reads, ['a:5-399', 'b:10-20', 'a:451-600']);
});

test('ranges that overlap or pass the fragment end are refused', async () => {
  const { blobs } = memoryBlobs(new Map([['a', new Uint8Array(100)]]), prng(1));
  for (const ranges of [Uint32Array.of(0, 10, 5, 10), Uint32Array.of(90, 20), Uint32Array.of(1)]) {
    await assert.rejects(async () => {
      for await (const _ of storedPayloads(blobs, [{ fragment: fragment('a', 0, 100, 1), ranges }])) void _;
    }, RangeError);
  }
});
