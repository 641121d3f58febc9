import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { contractHarness, type Harness as ContractHarness, type StoreFixture } from './harness.js';
import type { BlobLocation } from '../../src/domain/fragment.js';
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
    appendTests(h);
    trimAppendedTests(h);
    retireAppendedTests(h);
    deleteSeriesTests(h);
    listFoldersTests(h);
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

    test('with reuseChunks, a range of several read chunks, each copied before the next is asked for, comes back whole', async () => {
      const big = patternBytes(3_500_000, 9);
      await h.store.put('r/big', big);
      const read = await readAll(await h.store.get('r/big', { start: 123, end: 3_400_001 }, { reuseChunks: true }));
      assert.ok(read.equals(big.subarray(123, 3_400_001)));
    });

    test('chunks given up before the first one let go of what the read opened (a file, a connection)', async (ctx) => {
      if (!existsSync('/proc/self/fd')) return ctx.skip('counts the open descriptors in /proc/self/fd');
      const openDescriptors = () => readdirSync('/proc/self/fd').length;
      await getBytes(h.store, 'r/obj'); // a connection pool opens its first socket
      const before = openDescriptors();
      for (let i = 0; i < 20; i++) {
        const chunks = await h.store.get('r/obj', { start: 0, end: 600 }, { reuseChunks: i % 2 === 0 });
        await chunks[Symbol.asyncIterator]().return?.();
      }
      // Files close and sockets end asynchronously.
      const deadline = Date.now() + 5_000;
      while (openDescriptors() > before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(openDescriptors() <= before + 2, `${openDescriptors() - before} descriptors more than before 20 reads given up`);
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

/** One append as a test made it: where the store put it and what it was. */
export interface Appended {
  readonly location: BlobLocation;
  readonly bytes: Buffer;
}

export async function appendChunks(store: BlobStore, series: string, ...chunks: Uint8Array[]): Promise<Appended> {
  const location = await store.append(series, chunks);
  return { location, bytes: Buffer.concat(chunks) };
}

function endOf(appended: Appended): number {
  return appended.location.offset + appended.bytes.length;
}

/** What an index would report for these (committed) appends: the furthest end per key. */
export function extentsOf(appends: readonly Appended[]): Map<string, number> {
  const extents = new Map<string, number>();
  for (const a of appends) extents.set(a.location.key, Math.max(extents.get(a.location.key) ?? 0, endOf(a)));
  return extents;
}

async function assertReadable(store: BlobStore, appended: Appended): Promise<void> {
  const { key, offset } = appended.location;
  const range = { start: offset, end: offset + appended.bytes.length };
  assert.deepEqual(await getBytes(store, key, range), appended.bytes, `${key}@${offset}`);
}

/**
 * The layout every adapter keeps: an append into the object the previous append of the series
 * went to starts where that one ended; an append into another object starts at 0.
 */
function assertLaidOutInOrder(appends: readonly Appended[]): void {
  appends.forEach((a, i) => {
    const previous = appends[i - 1];
    const expected = previous !== undefined && previous.location.key === a.location.key ? endOf(previous) : 0;
    assert.equal(a.location.offset, expected, `append #${i} into ${a.location.key}`);
  });
}

function appendTests(h: Harness): void {
  describe('append', () => {
    test('bytes are readable at the location returned, chunks concatenated', async () => {
      const first = await appendChunks(h.store, 'streams/1', patternBytes(100, 1), new Uint8Array(0), patternBytes(5000, 2));
      const second = await appendChunks(h.store, 'streams/1', patternBytes(1, 3));
      await assertReadable(h.store, first);
      await assertReadable(h.store, second);
      assertLaidOutInOrder([first, second]);
    });

    test('a view into a larger buffer appends only its own bytes', async () => {
      const backing = patternBytes(1000, 4);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 500, 7);
      const appended = await appendChunks(h.store, 's', backing.subarray(10, 20), view);
      assert.deepEqual(appended.bytes, Buffer.concat([backing.subarray(10, 20), backing.subarray(500, 507)]));
      await assertReadable(h.store, appended);
    });

    test('a long series is laid out back to back within each object', async () => {
      const appends: Appended[] = [];
      for (let i = 0; i < 40; i++) {
        appends.push(await appendChunks(h.store, 'streams/7', patternBytes(500 + i * 97, i), patternBytes(i, 100 + i)));
      }
      assertLaidOutInOrder(appends);
      for (const a of appends) await assertReadable(h.store, a);
      for (const [key, end] of extentsOf(appends)) assert.equal(await h.store.size(key), end, key);
    });

    test('series are independent, and appends to different series may run at once', async () => {
      const series = Array.from({ length: 12 }, (_, i) => `streams/${i}`);
      const perSeries = await Promise.all(
        series.map(async (name, s) => {
          const appends: Appended[] = [];
          for (let i = 0; i < 5; i++) appends.push(await appendChunks(h.store, name, patternBytes(3000 + s, s * 10 + i)));
          return appends;
        }),
      );
      const keysBySeries = perSeries.map((appends) => new Set(appends.map((a) => a.location.key)));
      const allKeys = keysBySeries.flatMap((keys) => [...keys]);
      assert.equal(new Set(allKeys).size, allKeys.length, 'two series share an object');
      for (const appends of perSeries) {
        assertLaidOutInOrder(appends);
        for (const a of appends) await assertReadable(h.store, a);
      }
    });

    test('appended objects are listed, and after deleting one the series goes on in a new object', async () => {
      const first = await appendChunks(h.store, 'streams/3', patternBytes(10));
      assert.ok((await listed(h.store, 'streams/')).includes(first.location.key));
      await h.store.delete(first.location.key);
      assert.equal(await h.store.size(first.location.key), undefined);
      const next = await appendChunks(h.store, 'streams/3', patternBytes(20, 2));
      assert.equal(next.location.offset, 0);
      await assertReadable(h.store, next);
    });

    test('an invalid series is rejected', async () => {
      for (const series of INVALID_KEYS) {
        const isInvalidKey = (err: unknown) => err instanceof InvalidBlobKeyError && err.key === series;
        await assert.rejects(h.store.append(series, [patternBytes(1)]), isInvalidKey, series);
        await assert.rejects(h.store.prepareAppend(series), isInvalidKey, series);
      }
    });

    test('prepareAppend stores no bytes and changes no layout: appends before and after it lie back to back', async () => {
      await h.store.prepareAppend('streams/21');
      const sizes = await Promise.all((await listed(h.store, 'streams/21/')).map((key) => h.store.size(key)));
      assert.ok(sizes.every((size) => size === 0), `only empty objects, if any: ${sizes.join(', ')}`);
      const appends = [await appendChunks(h.store, 'streams/21', patternBytes(300, 1))];
      await h.store.prepareAppend('streams/21');
      appends.push(await appendChunks(h.store, 'streams/21', patternBytes(200, 2)));
      assertLaidOutInOrder(appends);
      assert.equal(appends[0]!.location.offset, 0);
      for (const a of appends) await assertReadable(h.store, a);
    });

    test('put refuses keys whose last segment is a segment file name', async () => {
      for (const key of ['streams/1/0000000001.seg', '7.seg', 'a/b/12.seg']) {
        await assert.rejects(h.store.put(key, patternBytes(1)), InvalidBlobKeyError, key);
      }
      for (const key of ['a/x.seg', 'a/1.segment', 'a/1.seg.bak']) await h.store.put(key, patternBytes(1));
    });

    test('appends survive a restart, and the series continues after them', async () => {
      const before = [
        await appendChunks(h.store, 'streams/5', patternBytes(700, 1)),
        await appendChunks(h.store, 'streams/5', patternBytes(800, 2)),
      ];
      await h.restart();
      for (const a of before) await assertReadable(h.store, a);
      const after = await appendChunks(h.store, 'streams/5', patternBytes(900, 3));
      assertLaidOutInOrder([...before, after]);
      await assertReadable(h.store, after);
    });
  });
}

function trimAppendedTests(h: Harness): void {
  describe('trimAppended', () => {
    test('cuts unreferenced tails, deletes unreferenced objects, and appends continue at the cut', async () => {
      await h.store.put('other/object', patternBytes(30, 9));
      await h.store.put('streams/1/notes', patternBytes(40, 8));
      const committed = [
        await appendChunks(h.store, 'streams/1', patternBytes(1000, 1)),
        await appendChunks(h.store, 'streams/1', patternBytes(1500, 2)),
        await appendChunks(h.store, 'streams/3', patternBytes(700, 3)),
      ];
      // Durable but never indexed: what a crash between append and commitFragments leaves.
      const lost = [
        await appendChunks(h.store, 'streams/1', patternBytes(900, 4)),
        await appendChunks(h.store, 'streams/2', patternBytes(800, 5)),
      ];
      const referenced = extentsOf(committed);
      const written = extentsOf([...committed, ...lost]);
      let trimmedBytes = 0;
      let deletedObjects = 0;
      for (const [key, end] of written) {
        if (referenced.has(key)) trimmedBytes += end - referenced.get(key)!;
        else deletedObjects += 1;
      }

      await h.restart();
      assert.deepEqual(await h.store.trimAppended(referenced), { trimmedBytes, deletedObjects });

      for (const a of committed) await assertReadable(h.store, a);
      for (const [key, end] of referenced) assert.equal(await h.store.size(key), end, key);
      assert.deepEqual(await listed(h.store, ''), [...referenced.keys(), 'other/object', 'streams/1/notes'].sort());
      assert.deepEqual(await getBytes(h.store, 'other/object'), patternBytes(30, 9));
      assert.deepEqual(await getBytes(h.store, 'streams/1/notes'), patternBytes(40, 8));

      const next = await appendChunks(h.store, 'streams/1', patternBytes(600, 6));
      const cut = committed[1]!;
      assert.equal(next.location.offset, next.location.key === cut.location.key ? endOf(cut) : 0);
      await assertReadable(h.store, next);
      const fresh = await appendChunks(h.store, 'streams/2', patternBytes(500, 7));
      assert.equal(fresh.location.offset, 0);
      await assertReadable(h.store, fresh);
    });

    test('leaves objects alone whose referenced extent reaches their end or beyond, and ignores unknown keys', async () => {
      const a = await appendChunks(h.store, 'streams/1', patternBytes(1000, 1));
      const b = await appendChunks(h.store, 'streams/2', patternBytes(1000, 2));
      const referenced = new Map([
        [a.location.key, endOf(a)],
        [b.location.key, endOf(b) + 5000],
        ['streams/9/0000000001.seg', 10],
      ]);
      await h.restart();
      assert.deepEqual(await h.store.trimAppended(referenced), { trimmedBytes: 0, deletedObjects: 0 });
      await assertReadable(h.store, a);
      await assertReadable(h.store, b);
      assert.equal(await h.store.size('streams/9/0000000001.seg'), undefined);
    });

    test('with nothing referenced, deletes every appended object and nothing else', async () => {
      await h.store.put('kept', patternBytes(3));
      const appends = [
        await appendChunks(h.store, 'a', patternBytes(10)),
        await appendChunks(h.store, 'b/c', patternBytes(10)),
        await appendChunks(h.store, 'b/c', patternBytes(10)),
      ];
      await h.restart();
      const result = await h.store.trimAppended(new Map());
      assert.deepEqual(result, { trimmedBytes: 0, deletedObjects: extentsOf(appends).size });
      assert.deepEqual(await listed(h.store, ''), ['kept']);
    });
  });
}

/** Appends to `series` until an append lands in another object than the first: returns them all. */
async function appendUntilNewObject(store: BlobStore, series: string, size: number): Promise<Appended[]> {
  const appends = [await appendChunks(store, series, patternBytes(size, 1))];
  while (appends.at(-1)!.location.key === appends[0]!.location.key) {
    assert.ok(appends.length < 1000, 'the series never moved on to a new object');
    appends.push(await appendChunks(store, series, patternBytes(size, appends.length + 1)));
  }
  return appends;
}

function retireAppendedTests(h: Harness): void {
  describe('retireAppended', () => {
    test('deletes an object its series has moved on from, and nothing else', async () => {
      const appends = await appendUntilNewObject(h.store, 'streams/1', 5000);
      const old = appends[0]!.location.key;
      const extent = extentsOf(appends).get(old)!;
      assert.equal(await h.store.retireAppended(old, extent), true);
      assert.equal(await h.store.size(old), undefined);
      await assertReadable(h.store, appends.at(-1)!);
      assert.equal(await h.store.retireAppended(old, extent), true, 'a missing object is retired already');
      const next = await appendChunks(h.store, 'streams/1', patternBytes(100, 9));
      await assertReadable(h.store, next);
      assert.notEqual(next.location.key, old);
    });

    test('keeps an object that holds bytes beyond indexedEnd: they may not be indexed yet', async () => {
      const first = await appendChunks(h.store, 'streams/2', patternBytes(300, 1));
      const second = await appendChunks(h.store, 'streams/2', patternBytes(300, 2));
      assert.equal(await h.store.retireAppended(first.location.key, endOf(first) - 1), false);
      await assertReadable(h.store, first);
      const retired = await h.store.retireAppended(first.location.key, endOf(first));
      // Into the same object, the second append is beyond what was indexed: the object stays.
      if (second.location.key === first.location.key) assert.equal(retired, false);
      await assertReadable(h.store, second);
      const third = await appendChunks(h.store, 'streams/2', patternBytes(300, 3));
      await assertReadable(h.store, third);
    });

    test('retires the object an idle series appends to once everything in it was indexed; the series goes on in a new one', async () => {
      const first = await appendChunks(h.store, 'streams/3', patternBytes(400, 1));
      assert.equal(await h.store.retireAppended(first.location.key, endOf(first)), true);
      assert.equal(await h.store.size(first.location.key), undefined);
      const next = await appendChunks(h.store, 'streams/3', patternBytes(400, 2));
      assert.notEqual(next.location.key, first.location.key);
      assert.equal(next.location.offset, 0);
      await assertReadable(h.store, next);
    });

    test('never deletes bytes of an append that runs while it decides', async () => {
      for (let round = 0; round < 20; round++) {
        const series = `race/${round}`;
        const first = await appendChunks(h.store, series, patternBytes(200, round));
        const retire = () => h.store.retireAppended(first.location.key, endOf(first));
        const append = () => appendChunks(h.store, series, patternBytes(200, round + 50));
        // The append is called just before, or just after, retireAppended: either way it survives.
        const [appended] = round % 2 === 0 ? await Promise.all([append(), retire()]) : (await Promise.all([retire(), append()])).reverse();
        await assertReadable(h.store, appended as Appended);
      }
    });

    test('rejects keys that are not valid', async () => {
      for (const key of ['../x', 'a//b', '']) {
        await assert.rejects(h.store.retireAppended(key, 0), InvalidBlobKeyError, key);
      }
    });
  });
}

function deleteSeriesTests(h: Harness): void {
  describe('deleteSeries', () => {
    test('deletes every object of the series and of no other, and the series starts over', async () => {
      const doomed = await appendUntilNewObject(h.store, 'streams/1', 6000);
      const neighbour = await appendChunks(h.store, 'streams/10', patternBytes(100, 5));
      await h.store.put('streams/other', patternBytes(10, 6));
      assert.equal(await h.store.deleteSeries('streams/1'), extentsOf(doomed).size);
      for (const key of extentsOf(doomed).keys()) assert.equal(await h.store.size(key), undefined, key);
      assert.deepEqual(await listed(h.store, 'streams/'), [neighbour.location.key, 'streams/other'].sort());
      await assertReadable(h.store, neighbour);
      assert.equal(await h.store.deleteSeries('streams/1'), 0);
      const again = await appendChunks(h.store, 'streams/1', patternBytes(100, 7));
      assert.equal(again.location.offset, 0);
      await assertReadable(h.store, again);
    });

    test('a series nested in it goes too (serve --workers: each worker appends to one of its own)', async () => {
      const own = await appendChunks(h.store, 'streams/2', patternBytes(100, 1));
      const nested = [await appendChunks(h.store, 'streams/2/w0', patternBytes(100, 2)), await appendChunks(h.store, 'streams/2/w1', patternBytes(100, 3))];
      assert.equal(await h.store.deleteSeries('streams/2'), 3);
      for (const { location } of [own, ...nested]) assert.equal(await h.store.size(location.key), undefined, location.key);
      assert.deepEqual(await listed(h.store, 'streams/'), []);
      const again = await appendChunks(h.store, 'streams/2/w0', patternBytes(100, 4));
      assert.equal(again.location.offset, 0);
    });

    test('appends running meanwhile do not fail, and a second deleteSeries leaves nothing', async () => {
      for (let round = 0; round < 24; round++) {
        const series = `streams/${100 + round}`;
        const producer = (async () => {
          // One after the other, as callers append; the deletion lands somewhere in between.
          for (let i = 0; i < 6; i++) await appendChunks(h.store, series, patternBytes(3000, i));
        })();
        for (let tick = 0; tick < round; tick++) await new Promise((resolve) => setImmediate(resolve));
        await h.store.deleteSeries(series);
        await producer;
        await h.store.deleteSeries(series);
      }
      assert.deepEqual(await listed(h.store, 'streams/'), []);
    });

    test('rejects an invalid series', async () => {
      await assert.rejects(h.store.deleteSeries('../x'), InvalidBlobKeyError);
    });
  });
}

function listFoldersTests(h: Harness): void {
  describe('listFolders', () => {
    test('lists the folders directly under a prefix, once each', async () => {
      await appendChunks(h.store, 'streams/1', patternBytes(10));
      await appendChunks(h.store, 'streams/1', patternBytes(10));
      await appendChunks(h.store, 'streams/22', patternBytes(10));
      await h.store.put('streams/3/x/y', patternBytes(1));
      await h.store.put('streams/top', patternBytes(1));
      await h.store.put('elsewhere/z', patternBytes(1));
      const folders = async (prefix: string) => {
        const list: string[] = [];
        for await (const folder of h.store.listFolders(prefix)) list.push(folder);
        return list.sort();
      };
      assert.deepEqual(await folders('streams/'), ['streams/1/', 'streams/22/', 'streams/3/']);
      assert.deepEqual(await folders(''), ['elsewhere/', 'streams/']);
      assert.deepEqual(await folders('streams/3/'), ['streams/3/x/']);
      assert.deepEqual(await folders('nothing/'), []);
      await assert.rejects(folders('streams'), InvalidBlobKeyError);
    });
  });
}
