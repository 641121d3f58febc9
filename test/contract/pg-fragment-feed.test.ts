import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedEvent } from '../../src/storage/fragment-feed.js';
import { PgFragmentFeed } from '../../src/storage/postgres/pg-fragment-feed.js';
import { createLogger } from '../../src/util/logger.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const log = createLogger('silent');

function nextEvent(feed: PgFragmentFeed, streamId: number): Promise<FeedEvent> {
  return new Promise((resolve) => {
    const stop = feed.subscribe(streamId, (event) => {
      stop();
      resolve(event);
    });
  });
}

describe('PgFragmentFeed (LISTEN/NOTIFY between nodes)', { skip: postgresUnavailable() }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  test('an event published on one node reaches the other node\'s subscribers of that stream, once', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([PgFragmentFeed.open(url, log), PgFragmentFeed.open(url, log)]);
    try {
      const seenByA: FeedEvent[] = [];
      a.subscribe(7, (e) => seenByA.push(e));
      const otherStream: FeedEvent[] = [];
      b.subscribe(8, (e) => otherStream.push(e));
      const arriving = nextEvent(b, 7);
      const event: FeedEvent = { type: 'fragments-indexed', streamId: 7, lastFragmentNumber: '91' };
      const started = performance.now();
      a.publish(event);
      assert.deepEqual(await arriving, event);
      const ms = performance.now() - started;
      assert.ok(ms < 100, `cross-node delivery took ${ms.toFixed(1)} ms`);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seenByA, [event], 'the publishing node delivers locally once and ignores its own echo');
      assert.deepEqual(otherStream, []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('after its connection is killed, a node reconnects and wakes its subscribers, then hears new events', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([PgFragmentFeed.open(url, log), PgFragmentFeed.open(url, log)]);
    try {
      const wakeUp = nextEvent(b, 3);
      await server.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
      );
      assert.deepEqual(await wakeUp, { type: 'fragments-indexed', streamId: 3, lastFragmentNumber: '' });
      const later = nextEvent(b, 3);
      // a's own LISTEN connection was killed too; give both a moment to be back before publishing.
      await new Promise((r) => setTimeout(r, 500));
      a.publish({ type: 'stream-deleted', streamId: 3 });
      assert.deepEqual(await later, { type: 'stream-deleted', streamId: 3 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
