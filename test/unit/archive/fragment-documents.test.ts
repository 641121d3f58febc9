import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fragmentDocument, TrackHeaderCache } from '../../../src/archive/fragment-documents.js';
import type { FragmentRecord } from '../../../src/domain/fragment.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import type { IndexStore } from '../../../src/storage/index-store.js';

const FRAGMENT = {
  fragmentNumber: '9'.repeat(47), serverTimestampMs: 1, producerTimestampMs: 2, headerId: 7, size: 6,
  location: { key: 'k', offset: 0 }, tags: [],
} as unknown as FragmentRecord;

/** A blob store whose one object comes in two chunks and which records whether its reader was closed. */
function blobs(state: { closed: boolean }): BlobStore {
  return {
    async get() {
      const chunks = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)];
      return {
        [Symbol.asyncIterator]: () => ({
          next: async () => (chunks.length ? { done: false, value: chunks.shift()! } : { done: true, value: undefined }),
          return: async () => ((state.closed = true), { done: true, value: undefined }),
        }),
      } as AsyncIterable<Uint8Array>;
    },
  } as unknown as BlobStore;
}

const headers = () => new TrackHeaderCache({ getTrackHeader: async () => Uint8Array.of(0xec, 0x80) } as unknown as IndexStore);

test('a document is prefix, the stored chunks, suffix; the suffix is built once the Cluster went out', async () => {
  const state = { closed: false };
  const order: string[] = [];
  const document = await fragmentDocument({ blobs: blobs(state), headers: headers() }, FRAGMENT, () => {
    order.push('position');
    return { millisBehindNow: 0, continuationToken: 't' };
  });
  const chunks: Uint8Array[] = [];
  for await (const chunk of document) {
    chunks.push(chunk);
    order.push(`chunk ${chunks.length}`);
  }
  assert.equal(chunks.length, 4);
  assert.deepEqual([...chunks[1]!, ...chunks[2]!], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(order, ['chunk 1', 'chunk 2', 'chunk 3', 'position', 'chunk 4']);
});

test('a reader that leaves before the first chunk, or mid-Cluster, closes the stored bytes', async () => {
  for (const taken of [0, 1, 2]) {
    const state = { closed: false };
    const document = await fragmentDocument({ blobs: blobs(state), headers: headers() }, FRAGMENT);
    const iterator = document[Symbol.asyncIterator]();
    for (let i = 0; i < taken; i++) await iterator.next();
    await iterator.return?.();
    assert.ok(state.closed, `closed after ${taken} chunks`);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  }
});

test('track headers are fetched once per id; a missing one is an error, not cached', async () => {
  let calls = 0;
  const cache = new TrackHeaderCache({
    getTrackHeader: async (id: number) => (calls++, id === 1 ? Uint8Array.of(1) : undefined),
  } as unknown as IndexStore);
  await Promise.all([cache.get(1), cache.get(1)]);
  assert.equal(calls, 1);
  await assert.rejects(cache.get(2));
  await assert.rejects(cache.get(2));
  assert.equal(calls, 3);
});
