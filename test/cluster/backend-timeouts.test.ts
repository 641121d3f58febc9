import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServiceUnavailableException } from '../../src/domain/errors.js';
import type { FeedEvent } from '../../src/storage/fragment-feed.js';
import { PgFragmentFeed } from '../../src/storage/postgres/pg-fragment-feed.js';
import { PostgresIndexStore } from '../../src/storage/postgres/postgres-index-store.js';
import { S3BlobStore } from '../../src/storage/s3/s3-blob-store.js';
import { createLogger } from '../../src/util/logger.js';
import { newStream } from '../contract/index-store.contract.js';
import { clusterUnavailable, startBackends, type Backends } from './cluster-fixture.js';

/**
 * The storage adapters when their backend goes away, below the HTTP layer: every call fails
 * within a bound with ServiceUnavailableException (never hangs), and works again by itself once
 * the backend is back, on the same store objects. Hangs are the harder case, so the database and
 * radosgw are paused (SIGSTOP: connections open, nothing answers); a clean database shutdown and
 * restart (refused connections, terminated sessions) is covered too.
 */
const log = createLogger('silent');

async function failsUnavailableWithin<T>(boundMs: number, call: () => Promise<T>): Promise<number> {
  const started = Date.now();
  await assert.rejects(call(), (err: unknown) => {
    assert.ok(err instanceof ServiceUnavailableException, `expected ServiceUnavailableException, got ${String(err)}`);
    assert.equal(err.httpStatus, 503);
    assert.ok(err.cause !== undefined, 'the driver error is kept as the cause');
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < boundMs, `failed after ${elapsed} ms, bound ${boundMs} ms`);
  return elapsed;
}

/** Retries `call` until it succeeds (the backend is back), for at most `timeoutMs`. */
async function eventually<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('storage adapters during a backend outage', { skip: clusterUnavailable() }, () => {
  let backends: Backends;

  before(async () => {
    backends = await startBackends();
  });
  after(async () => {
    await backends?.stop();
  });

  test('PostgreSQL paused: calls fail within the query timeout, then work again on resume', async () => {
    const index = await PostgresIndexStore.open(`${backends.indexUrl}?query_timeout=1000&connect_timeout=1`);
    try {
      const stream = await index.createStream(newStream('paused-pg'), {});
      assert.ok(stream);
      await backends.postgres.pause();
      try {
        await failsUnavailableWithin(5_000, () => index.getStreamByName('paused-pg'));
        await failsUnavailableWithin(5_000, () => index.reserveFragmentSequence(10));
        // A transaction: the statement times out, then so does its ROLLBACK; the connection is dropped.
        await failsUnavailableWithin(8_000, () => index.putTags(stream.arn, { a: 'b' }, 50));
      } finally {
        await backends.postgres.resume();
      }
      const again = await eventually(5_000, () => index.getStreamByName('paused-pg'));
      assert.equal(again?.streamId, stream.streamId);
    } finally {
      await index.close();
    }
  });

  test('PostgreSQL shut down: calls fail at once; after a restart the same store works and nothing committed is lost', async () => {
    const index = await PostgresIndexStore.open(backends.indexUrl);
    try {
      const first = await index.reserveFragmentSequence(100);
      await backends.postgres.shutdown();
      try {
        await failsUnavailableWithin(3_000, () => index.getStreamByName('paused-pg'));
        await failsUnavailableWithin(3_000, () => index.reserveFragmentSequence(100));
      } finally {
        await backends.postgres.restart();
      }
      const next = await eventually(5_000, () => index.reserveFragmentSequence(100));
      assert.ok(next >= first + 100n, `reservations stay increasing across the restart: ${first} then ${next}`);
      assert.ok(await index.getStreamByName('paused-pg'));
    } finally {
      await index.close();
    }
  });

  test('the fragment feed reconnects after a database restart and wakes its readers', async () => {
    const [a, b] = await Promise.all([PgFragmentFeed.open(backends.indexUrl, log), PgFragmentFeed.open(backends.indexUrl, log)]);
    try {
      const seen: FeedEvent[] = [];
      b.subscribe(7, (event) => seen.push(event));
      await backends.postgres.shutdown();
      await backends.postgres.restart();
      // The wake-up after reconnecting ('' = re-read the index), then A's events flow to B again.
      await eventually(15_000, async () => assert.ok(seen.some((e) => e.type === 'fragments-indexed' && e.lastFragmentNumber === '')));
      await eventually(15_000, async () => {
        a.publish({ type: 'fragments-indexed', streamId: 7, lastFragmentNumber: '42' });
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(seen.some((e) => e.type === 'fragments-indexed' && e.lastFragmentNumber === '42'));
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('radosgw paused: appends and reads fail within the request timeout, then work again on resume', async () => {
    const blobs = await S3BlobStore.open(`s3://${backends.bucket}/timeouts`, { ...backends.s3Options, requestTimeoutMs: 1000 });
    try {
      const before = await blobs.append('streams/1', [Buffer.from('kept through the outage')]);
      await backends.ceph.pause();
      try {
        // 3 attempts of 1 s each, plus the SDK's backoff between them.
        await failsUnavailableWithin(8_000, () => blobs.append('streams/1', [Buffer.from('lost')]));
        await failsUnavailableWithin(8_000, () => blobs.get(before.key));
      } finally {
        await backends.ceph.resume();
      }
      const after = await eventually(10_000, () => blobs.append('streams/1', [Buffer.from('after')]));
      assert.notEqual(after.key, before.key);
      const chunks: Uint8Array[] = [];
      for await (const chunk of await blobs.get(before.key)) chunks.push(chunk);
      assert.equal(Buffer.concat(chunks).toString(), 'kept through the outage');
    } finally {
      await blobs.close();
    }
  });
});
