import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { FsBlobStore, tempFileNameFor } from '../../src/storage/fs/fs-blob-store.js';
import { blobStoreContract, patternBytes, readAll } from './blob-store.contract.js';

blobStoreContract('FsBlobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-blobs-'));
  const root = join(dir, 'blobs');
  let current: BlobStore = await FsBlobStore.open(root);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await FsBlobStore.open(root);
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
