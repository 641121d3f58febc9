import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { FsBlobStore } from '../../../src/storage/fs/fs-blob-store.js';
import type { IndexStore } from '../../../src/storage/index-store.js';
import { recoverUnreferencedBytes } from '../../../src/storage/recover.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';
import { patternBytes, readAll } from '../../contract/blob-store.contract.js';
import { newStream, sampleFragment } from '../../contract/index-store.contract.js';

interface Stores {
  index: IndexStore;
  blobs: BlobStore;
}

async function withStores(run: (open: () => Promise<Stores>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-recover-'));
  const open = async (): Promise<Stores> => ({
    index: SqliteIndexStore.open(join(dir, 'index.sqlite')),
    blobs: await FsBlobStore.open(join(dir, 'blobs')),
  });
  try {
    await run(open);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function createStream(index: IndexStore, name: string): Promise<number> {
  const created = await index.createStream(newStream(name), {});
  assert.ok(created);
  return created.streamId;
}

/** What the ingest does per fragment: append the bytes (durable), then index them if `commit`. */
async function ingest(stores: Stores, streamId: number, headerId: number, seq: number, bytes: Buffer, commit: boolean) {
  const location = await stores.blobs.append(`streams/${streamId}`, [bytes.subarray(0, 10), bytes.subarray(10)]);
  const fragment = sampleFragment(streamId, headerId, seq, { location, size: bytes.length });
  return commit ? (await stores.index.commitFragments([fragment]))[0] : undefined;
}

async function closeAll(stores: Stores): Promise<void> {
  await stores.index.close();
  await stores.blobs.close();
}

test('recovery on fresh stores has nothing to do', async () => {
  await withStores(async (open) => {
    const stores = await open();
    assert.deepEqual(await recoverUnreferencedBytes(stores.index, stores.blobs), {
      referencedObjects: 0,
      trimmedBytes: 0,
      deletedObjects: 0,
    });
    await closeAll(stores);
  });
});

test('recovery cuts the bytes a crash left unindexed, and ingest continues after them', async () => {
  await withStores(async (open) => {
    const before = await open();
    const headerId = await before.index.putTrackHeader('sha256:h', Uint8Array.from([1, 2, 3]));
    const live = await createStream(before.index, 'live');
    const deleted = await createStream(before.index, 'deleted');
    const neverCommitted = await createStream(before.index, 'never-committed');
    const gone = await createStream(before.index, 'gone-before-commit');
    const bytes = [patternBytes(5000, 1), patternBytes(7000, 2), patternBytes(3000, 3), patternBytes(100, 4)];
    assert.equal(await ingest(before, live, headerId, 1, bytes[0]!, true), true);
    assert.equal(await ingest(before, live, headerId, 2, bytes[1]!, true), true);
    assert.equal(await ingest(before, deleted, headerId, 3, bytes[3]!, true), true);
    assert.equal(await before.index.deleteStream(deleted, 'v1'), true);
    assert.equal(await before.index.deleteStream(gone, 'v1'), true);
    assert.equal(await ingest(before, gone, headerId, 4, bytes[3]!, true), false);
    // The crash: these bytes are durable, their index rows never committed.
    await ingest(before, live, headerId, 5, bytes[2]!, false);
    await ingest(before, neverCommitted, headerId, 6, bytes[3]!, false);
    await closeAll(before);

    const after = await open();
    assert.deepEqual(await recoverUnreferencedBytes(after.index, after.blobs), {
      referencedObjects: 1,
      trimmedBytes: 3000,
      deletedObjects: 3,
    });
    const fragments = await after.index.listFragments(live, { limit: 10 });
    assert.equal(fragments.length, 2);
    for (const [i, fragment] of fragments.entries()) {
      const { key, offset } = fragment.location;
      assert.deepEqual(await readAll(await after.blobs.get(key, { start: offset, end: offset + fragment.size })), bytes[i]);
    }
    const last = fragments[1]!;
    assert.equal(await after.blobs.size(last.location.key), last.location.offset + last.size);
    assert.deepEqual(await after.blobs.append(`streams/${live}`, [patternBytes(10)]), {
      key: last.location.key,
      offset: last.location.offset + last.size,
    });
    for await (const key of after.blobs.list('streams/')) assert.ok(key.startsWith(`streams/${live}/`), key);
    await closeAll(after);
  });
});
