import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { LocalFragmentFeed } from '../../../src/storage/fragment-feed.js';
import type { IndexStore } from '../../../src/storage/index-store.js';
import { createLogger } from '../../../src/util/logger.js';

/** Just the track-header part of an index: ids per hash, and every lookup it was asked for. */
function headerIndex(failFirstLookup = false) {
  const ids = new Map<string, number>();
  const lookups: string[] = [];
  const index = {
    async putTrackHeader(hash: string) {
      lookups.push(hash);
      if (failFirstLookup && lookups.length === 1) throw new Error('index unreachable');
      if (!ids.has(hash)) ids.set(hash, ids.size + 1);
      return ids.get(hash)!;
    },
  } as unknown as IndexStore;
  return { index, lookups };
}

const service = (index: IndexStore, cacheSize: number) =>
  new IngestService(index, {} as BlobStore, createLogger('silent'), new LocalFragmentFeed(), undefined, cacheSize);
const header = (n: number) => new Uint8Array([n]);
const NO_INFO = new Uint8Array(0);

test('track headers are remembered up to the cache size, least recently used forgotten first', async () => {
  const { index, lookups } = headerIndex();
  const ingest = service(index, 3);
  for (const n of [1, 2, 3]) await ingest.trackHeaderId(NO_INFO, header(n));
  assert.equal(await ingest.trackHeaderId(NO_INFO, header(1)), 1, 'a remembered header keeps its id');
  assert.equal(lookups.length, 3, 'and is not looked up again');
  await ingest.trackHeaderId(NO_INFO, header(4)); // 2 is now the least recently used: forgotten
  await ingest.trackHeaderId(NO_INFO, header(1));
  await ingest.trackHeaderId(NO_INFO, header(3));
  assert.equal(lookups.length, 4, 'recently used headers stay remembered');
  assert.equal(await ingest.trackHeaderId(NO_INFO, header(2)), 2, 'a forgotten header gets its id from the index again');
  assert.equal(lookups.length, 5);
});

test('a failed lookup is not remembered', async () => {
  const { index, lookups } = headerIndex(true);
  const ingest = service(index, 3);
  await assert.rejects(ingest.trackHeaderId(NO_INFO, header(1)));
  assert.equal(await ingest.trackHeaderId(NO_INFO, header(1)), 1);
  assert.equal(lookups.length, 2);
});
