import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidBlobKeyError, type BlobStore } from '../../src/storage/blob-store.js';
import { FsBlobStore, tempFileNameFor } from '../../src/storage/fs/fs-blob-store.js';
import { appendChunks, blobStoreContract, patternBytes, readAll } from './blob-store.contract.js';

blobStoreContract('FsBlobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-blobs-'));
  const root = join(dir, 'blobs');
  // Small segments, so that the contract's longer series rotate through several files.
  const options = { segmentBytes: 16 * 1024 };
  let current: BlobStore = await FsBlobStore.open(root, options);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await FsBlobStore.open(root, options);
      return current;
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('FsBlobStore removes temp files left by a crash when it opens, and never lists them', async () => {
  const root = await mkdtemp(join(tmpdir(), 'openkvs-blobs-'));
  try {
    const first = await FsBlobStore.open(root);
    await first.put('s/1/frag', patternBytes(10));
    // What a crash between writing the temp file and renaming it leaves behind.
    const leftover = tempFileNameFor('frag');
    await writeFile(join(root, 's', '1', leftover), patternBytes(5));
    await mkdir(join(root, 'other'), { recursive: true });
    await writeFile(join(root, 'other', tempFileNameFor('x')), patternBytes(5));
    const keys: string[] = [];
    for await (const key of first.list('')) keys.push(key);
    assert.deepEqual(keys, ['s/1/frag']);

    const reopened = await FsBlobStore.open(root);
    assert.deepEqual((await readdir(join(root, 's', '1'))).sort(), ['frag']);
    assert.deepEqual(await readdir(join(root, 'other')), []);
    assert.deepEqual(await readAll(await reopened.get('s/1/frag')), patternBytes(10));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('FsBlobStore stores a key at its path under the root', async () => {
  const root = await mkdtemp(join(tmpdir(), 'openkvs-blobs-'));
  try {
    const store = await FsBlobStore.open(root);
    await store.put('streams/7/0001.mkv', patternBytes(3));
    assert.deepEqual(await readdir(join(root, 'streams', '7')), ['0001.mkv']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('FsBlobStore leaves no temp file behind when a put fails', async () => {
  const root = await mkdtemp(join(tmpdir(), 'openkvs-blobs-'));
  try {
    const store = await FsBlobStore.open(root);
    await store.put('s/kept', patternBytes(4));
    async function* failing(): AsyncIterable<Uint8Array> {
      yield patternBytes(8);
      throw new Error('producer failed');
    }
    await assert.rejects(store.put('s/kept', failing()), /producer failed/);
    await assert.rejects(store.put('s/new', failing()), /producer failed/);
    assert.deepEqual(await readdir(join(root, 's')), ['kept']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

const NO_PROC = !existsSync('/proc/self/fd');

async function withRoot(run: (root: string) => Promise<void>): Promise<void> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'openkvs-blobs-')));
  try {
    await run(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function fileSizes(dir: string): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of (await readdir(dir)).sort()) sizes[name] = (await stat(join(dir, name))).size;
  return sizes;
}

/** Segment files under `root` this process holds open (Linux: /proc/self/fd). */
async function openSegmentFiles(root: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(`${root}/`) && target.endsWith('.seg')) count += 1;
  }
  return count;
}

test('FsBlobStore appends into <series>/<10-digit number>.seg and starts a new segment at the threshold', async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root, { segmentBytes: 1000 });
    const locations = [];
    for (let i = 0; i < 5; i++) locations.push((await appendChunks(store, 'streams/12', patternBytes(400, i))).location);
    assert.deepEqual(locations, [
      { key: 'streams/12/0000000001.seg', offset: 0 },
      { key: 'streams/12/0000000001.seg', offset: 400 },
      { key: 'streams/12/0000000001.seg', offset: 800 },
      { key: 'streams/12/0000000002.seg', offset: 0 },
      { key: 'streams/12/0000000002.seg', offset: 400 },
    ]);
    assert.deepEqual(await fileSizes(join(root, 'streams', '12')), { '0000000001.seg': 1200, '0000000002.seg': 800 });
    await store.close();
  });
});

test('FsBlobStore prepareAppend creates and opens the segment the next append fills, or the next one past the threshold', { skip: NO_PROC }, async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root, { segmentBytes: 1000 });
    await store.prepareAppend('streams/4');
    assert.deepEqual(await fileSizes(join(root, 'streams', '4')), { '0000000001.seg': 0 });
    assert.equal(await openSegmentFiles(root), 1, 'held open for the append');
    assert.deepEqual((await appendChunks(store, 'streams/4', patternBytes(1200))).location, { key: 'streams/4/0000000001.seg', offset: 0 });
    await store.prepareAppend('streams/4');
    assert.deepEqual(await fileSizes(join(root, 'streams', '4')), { '0000000001.seg': 1200, '0000000002.seg': 0 });
    assert.deepEqual((await appendChunks(store, 'streams/4', patternBytes(10))).location, { key: 'streams/4/0000000002.seg', offset: 0 });
    await store.close();
  });
});

test('FsBlobStore continues the newest segment of a series after a reopen', async () => {
  await withRoot(async (root) => {
    const first = await FsBlobStore.open(root, { segmentBytes: 1000 });
    await appendChunks(first, 'streams/1', patternBytes(300));
    await first.close();
    // Another file in the series folder, and a later segment (as a previous run left them).
    await writeFile(join(root, 'streams', '1', 'README'), 'not a segment');
    await writeFile(join(root, 'streams', '1', '0000000007.seg'), patternBytes(10, 3));
    const second = await FsBlobStore.open(root, { segmentBytes: 1000 });
    const next = await appendChunks(second, 'streams/1', patternBytes(20, 4));
    assert.deepEqual(next.location, { key: 'streams/1/0000000007.seg', offset: 10 });
    const expected = Buffer.concat([patternBytes(10, 3), patternBytes(20, 4)]);
    assert.deepEqual(await readAll(await second.get('streams/1/0000000007.seg')), expected);
    await second.close();
  });
});

test('FsBlobStore starts a new segment rather than appending to a deleted one', async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root);
    const first = await appendChunks(store, 's', patternBytes(10));
    await store.delete(first.location.key);
    const next = await appendChunks(store, 's', patternBytes(10, 2));
    assert.deepEqual(next.location, { key: 's/0000000002.seg', offset: 0 });
    await store.close();
  });
});

test('FsBlobStore keeps at most maxOpenSegments segment files open, and none after close', { skip: NO_PROC }, async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root, { maxOpenSegments: 2 });
    const series = Array.from({ length: 6 }, (_, i) => `streams/${i}`);
    const appended = [];
    for (let round = 0; round < 3; round++) {
      for (const name of series) {
        appended.push(await appendChunks(store, name, patternBytes(100, round)));
        assert.ok((await openSegmentFiles(root)) <= 2, `more than 2 segment files open after ${name}`);
      }
    }
    appended.push(...(await Promise.all(series.map((name) => appendChunks(store, name, patternBytes(100, 9))))));
    assert.ok((await openSegmentFiles(root)) <= 2, 'more than 2 segment files open after concurrent appends');
    for (const a of appended) {
      const { key, offset } = a.location;
      assert.deepEqual(await readAll(await store.get(key, { start: offset, end: offset + 100 })), a.bytes);
    }
    for (const name of series) assert.equal(await store.size(`${name}/0000000001.seg`), 400);
    await store.close();
    assert.equal(await openSegmentFiles(root), 0);
  });
});

test('FsBlobStore trimAppended touches only segment files and rejects once the store has appended', async () => {
  await withRoot(async (root) => {
    const first = await FsBlobStore.open(root);
    const kept = await appendChunks(first, 's', patternBytes(100));
    await appendChunks(first, 's', patternBytes(50, 2));
    await assert.rejects(first.trimAppended(new Map()), /before any append/);
    await first.close();
    await writeFile(join(root, 's', '0000000001.seg.bak'), 'x');
    await writeFile(join(root, 's', 'x.seg'), 'y');
    await writeFile(join(root, 's', tempFileNameFor('0000000003.seg')), 'z');

    const second = await FsBlobStore.open(root);
    await writeFile(join(root, 's', '0000000005.seg'), 'unreferenced');
    const result = await second.trimAppended(new Map([[kept.location.key, 100]]));
    assert.deepEqual(result, { trimmedBytes: 50, deletedObjects: 1 });
    assert.deepEqual(await fileSizes(join(root, 's')), { '0000000001.seg': 100, '0000000001.seg.bak': 1, 'x.seg': 1 });
    await second.close();
  });
});

test('FsBlobStore refuses segment options that are not positive integers', async () => {
  await withRoot(async (root) => {
    await assert.rejects(FsBlobStore.open(root, { segmentBytes: 0 }), RangeError);
    await assert.rejects(FsBlobStore.open(root, { maxOpenSegments: 1.5 }), RangeError);
  });
});

test('FsBlobStore deleteSeries removes the series folder, and keeps it when other keys live there', async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root, { segmentBytes: 100 });
    for (let i = 0; i < 3; i++) await appendChunks(store, 'streams/5', patternBytes(150, i));
    await appendChunks(store, 'streams/6', patternBytes(10));
    await store.put('streams/6/notes', patternBytes(3));
    assert.equal(await store.deleteSeries('streams/5'), 3);
    assert.deepEqual(await readdir(join(root, 'streams')), ['6']);
    assert.equal(await store.deleteSeries('streams/6'), 1);
    assert.deepEqual(await readdir(join(root, 'streams', '6')), ['notes']);
    await store.close();
  });
});

test('FsBlobStore retireAppended, with the series not in memory, keeps the newest segment and retires older ones', async () => {
  await withRoot(async (root) => {
    const first = await FsBlobStore.open(root, { segmentBytes: 100 });
    const appends = [];
    for (let i = 0; i < 3; i++) appends.push(await appendChunks(first, 's', patternBytes(150, i)));
    await first.close();
    const second = await FsBlobStore.open(root, { segmentBytes: 100 });
    assert.equal(await second.retireAppended('s/0000000003.seg', 150), false, 'an append would continue it');
    assert.equal(await second.retireAppended('s/0000000002.seg', 150), true);
    assert.deepEqual((await readdir(join(root, 's'))).sort(), ['0000000001.seg', '0000000003.seg']);
    const next = await appendChunks(second, 's', patternBytes(10, 9));
    assert.deepEqual(next.location, { key: 's/0000000004.seg', offset: 0 });
    await second.close();
  });
});

test('FsBlobStore retireAppended seals the current segment, so segment numbers never repeat', async () => {
  await withRoot(async (root) => {
    const store = await FsBlobStore.open(root);
    const first = await appendChunks(store, 's', patternBytes(50));
    assert.equal(await store.retireAppended(first.location.key, 50), true);
    const second = await appendChunks(store, 's', patternBytes(50, 2));
    assert.deepEqual(second.location, { key: 's/0000000002.seg', offset: 0 });
    assert.deepEqual(await readdir(join(root, 's')), ['0000000002.seg']);
    await assert.rejects(store.retireAppended('s/notes', 0), InvalidBlobKeyError);
    await store.close();
  });
});
