import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractHarness, type Harness as ContractHarness, type StoreFixture } from './harness.js';
import { BlobNotFoundError, InvalidBlobKeyError, type BlobStore } from '../../src/storage/blob-store.js';

export type BlobStoreFixture = StoreFixture<BlobStore>;

/** Deterministic, non-repeating-looking bytes, so an off-by-one shows up as a mismatch. */
export function patternBytes(length: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return bytes;
}

export async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function* chunked(...chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) {
    await new Promise((resolve) => setImmediate(resolve));
    yield chunk;
  }
}

async function listed(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys.sort();
}

async function getBytes(store: BlobStore, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  return readAll(await store.get(key, range));
}

const INVALID_KEYS = [
  '../x', '/abs', 'a//b', 'a/./b', 'a/../b', '', '.', 'a/', 'has space', 'back\\slash', 'x'.repeat(1025),
];

type Harness = ContractHarness<BlobStore>;

export function blobStoreContract(name: string, open: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const h = contractHarness(open);

    putAndGetTests(h);
    rangeTests(h);
    missingAndDeleteTests(h);
    listTests(h);
    invalidKeyTests(h);
    restartTest(h);
  });
}

function putAndGetTests(h: Harness): void {
  describe('put and get', () => {
    test('a Uint8Array comes back byte for byte', async () => {
      const data = patternBytes(1000);
      await h.store.put('streams/1/fragments/0001.mkv', new Uint8Array(data));
      assert.deepEqual(await getBytes(h.store, 'streams/1/fragments/0001.mkv'), data);
      assert.equal(await h.store.size('streams/1/fragments/0001.mkv'), 1000);
    });

    test('an AsyncIterable of several chunks is stored as their concatenation', async () => {
      const chunks = [patternBytes(10, 1), new Uint8Array(0), patternBytes(200_000, 2), patternBytes(3, 3)];
      await h.store.put('big', chunked(...chunks));
      const expected = Buffer.concat(chunks);
      assert.equal(await h.store.size('big'), 200_013);
      assert.deepEqual(await getBytes(h.store, 'big'), expected);
    });

    test('an empty object exists with size 0', async () => {
      await h.store.put('empty', new Uint8Array(0));
      assert.equal(await h.store.size('empty'), 0);
      assert.deepEqual(await getBytes(h.store, 'empty'), Buffer.alloc(0));
      assert.deepEqual(await getBytes(h.store, 'empty', { start: 0, end: 0 }), Buffer.alloc(0));
    });

    test('a put replaces the previous object whole', async () => {
      await h.store.put('k', patternBytes(5000, 1));
      await h.store.put('k', patternBytes(10, 2));
      assert.equal(await h.store.size('k'), 10);
      assert.deepEqual(await getBytes(h.store, 'k'), patternBytes(10, 2));
    });

    test('a put whose input fails leaves the previous object and no other key', async () => {
      await h.store.put('dir/k', patternBytes(100, 1));
      async function* failing(): AsyncIterable<Uint8Array> {
        yield patternBytes(50, 2);
        throw new Error('producer failed');
      }
      await assert.rejects(h.store.put('dir/k', failing()), /producer failed/);
      await assert.rejects(h.store.put('dir/new', failing()), /producer failed/);
      assert.deepEqual(await getBytes(h.store, 'dir/k'), patternBytes(100, 1));
      assert.equal(await h.store.size('dir/new'), undefined);
      assert.deepEqual(await listed(h.store, ''), ['dir/k']);
    });

    test('concurrent puts to different keys all land', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `c/${i % 4}/obj-${i}`);
      await Promise.all(keys.map((key, i) => h.store.put(key, patternBytes(100 + i, i))));
      for (const [i, key] of keys.entries()) assert.deepEqual(await getBytes(h.store, key), patternBytes(100 + i, i));
    });
  });
}

function rangeTests(h: Harness): void {
  describe('ranges', () => {
    const DATA = patternBytes(1000);
    beforeEach(async () => {
      await h.store.put('r/obj', DATA);
    });

    test('first byte, last byte, middle and whole', async () => {
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 0, end: 1 }), DATA.subarray(0, 1));
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 999, end: 1000 }), DATA.subarray(999, 1000));
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 100, end: 357 }), DATA.subarray(100, 357));
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 0, end: 1000 }), DATA);
    });

    test('an empty range gives no bytes, even at the end', async () => {
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 500, end: 500 }), Buffer.alloc(0));
      assert.deepEqual(await getBytes(h.store, 'r/obj', { start: 1000, end: 1000 }), Buffer.alloc(0));
    });

    test('a range outside the object is a RangeError', async () => {
      for (const range of [
        { start: 0, end: 1001 },
        { start: 1000, end: 1001 },
        { start: -1, end: 5 },
        { start: 6, end: 5 },
        { start: 1.5, end: 3 },
      ]) {
        await assert.rejects(h.store.get('r/obj', range), RangeError, JSON.stringify(range));
      }
    });
  });
}

function missingAndDeleteTests(h: Harness): void {
  describe('missing objects and delete', () => {
    test('a missing key rejects get with BlobNotFoundError and has no size', async () => {
      await h.store.put('present/a', patternBytes(1));
      for (const key of ['absent', 'present/b', 'present', 'present/a/deeper']) {
        await assert.rejects(
          h.store.get(key),
          (err: unknown) => err instanceof BlobNotFoundError && err.key === key,
          key,
        );
        assert.equal(await h.store.size(key), undefined, key);
      }
    });

    test('delete removes the object and is idempotent', async () => {
      await h.store.put('d/one', patternBytes(10));
      await h.store.put('d/two', patternBytes(20));
      await h.store.delete('d/one');
      assert.equal(await h.store.size('d/one'), undefined);
      await assert.rejects(h.store.get('d/one'), BlobNotFoundError);
      await h.store.delete('d/one');
      await h.store.delete('never/existed');
      assert.deepEqual(await getBytes(h.store, 'd/two'), patternBytes(20));
      assert.deepEqual(await listed(h.store, ''), ['d/two']);
    });
  });
}

function listTests(h: Harness): void {
  describe('list', () => {
    test('lists keys under a folder prefix, not keys that merely start with it', async () => {
      for (const key of ['streams/1/a', 'streams/1/b', 'streams/1/sub/c', 'streams/10/a', 'streams/2/a', 'top']) {
        await h.store.put(key, patternBytes(3));
      }
      assert.deepEqual(await listed(h.store, 'streams/1/'), ['streams/1/a', 'streams/1/b', 'streams/1/sub/c']);
      assert.deepEqual(await listed(h.store, 'streams/'), [
        'streams/1/a', 'streams/1/b', 'streams/1/sub/c', 'streams/10/a', 'streams/2/a',
      ]);
      assert.deepEqual(await listed(h.store, ''), [
        'streams/1/a', 'streams/1/b', 'streams/1/sub/c', 'streams/10/a', 'streams/2/a', 'top',
      ]);
      assert.deepEqual(await listed(h.store, 'nothing/'), []);
    });

    test('an empty store lists nothing', async () => {
      assert.deepEqual(await listed(h.store, ''), []);
    });

    test('an invalid prefix is rejected', async () => {
      for (const prefix of ['../', '/abs/', 'a//', 'streams']) {
        await assert.rejects(listed(h.store, prefix), InvalidBlobKeyError, prefix);
      }
    });
  });
}

function invalidKeyTests(h: Harness): void {
  test('invalid keys are rejected by every operation', async () => {
    for (const key of INVALID_KEYS) {
      const isInvalidKey = (err: unknown) => err instanceof InvalidBlobKeyError && err.key === key;
      await assert.rejects(h.store.put(key, patternBytes(1)), isInvalidKey, `put ${key}`);
      await assert.rejects(h.store.get(key), isInvalidKey, `get ${key}`);
      await assert.rejects(h.store.size(key), isInvalidKey, `size ${key}`);
      await assert.rejects(h.store.delete(key), isInvalidKey, `delete ${key}`);
    }
    assert.deepEqual(await listed(h.store, ''), []);
  });
}

function restartTest(h: Harness): void {
  test('objects survive a restart', async () => {
    await h.store.put('p/a', patternBytes(70_000, 1));
    await h.store.put('p/b', chunked(patternBytes(5, 2), patternBytes(6, 3)));
    await h.store.put('p/deleted', patternBytes(1));
    await h.store.delete('p/deleted');

    await h.restart();

    assert.deepEqual(await listed(h.store, ''), ['p/a', 'p/b']);
    assert.deepEqual(await getBytes(h.store, 'p/a'), patternBytes(70_000, 1));
    assert.deepEqual(await getBytes(h.store, 'p/b'), Buffer.concat([patternBytes(5, 2), patternBytes(6, 3)]));
    assert.equal(await h.store.size('p/a'), 70_000);
  });
}
