import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFragmentBytes, streamFragmentBytes } from '../../../src/archive/fragment-bytes.js';
import type { FragmentRecord } from '../../../src/domain/fragment.js';
import { FsBlobStore } from '../../../src/storage/fs/fs-blob-store.js';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of chunks) out.push(...chunk);
  return out;
}

test('reads a fragment, or a range of it, relative to its first byte in the segment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openkvs-fragment-bytes-'));
  const blobs = await FsBlobStore.open(dir);
  t.after(async () => {
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await blobs.append('streams/1', [Uint8Array.from([1, 2, 3])]);
  const at = await blobs.append('streams/1', [Uint8Array.from([10, 11, 12, 13, 14])]);
  assert.equal(at.offset, 3);
  const fragment = { fragmentNumber: 'n', size: 5, location: at } as FragmentRecord;
  assert.deepEqual([...(await readFragmentBytes(blobs, fragment))], [10, 11, 12, 13, 14]);
  assert.deepEqual(await collect(await streamFragmentBytes(blobs, fragment, { start: 1, end: 4 })), [11, 12, 13]);
  assert.throws(() => streamFragmentBytes(blobs, fragment, { start: 2, end: 6 }), RangeError);
  await assert.rejects(readFragmentBytes(blobs, { ...fragment, size: 6 }), RangeError);
});
