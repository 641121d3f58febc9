/**
 * A graceful stop (server.close(), what SIGTERM runs) while a producer streams, seen from the
 * project's PutMedia client: the producer holds a PERSISTED ack for exactly the fragments that are
 * stored. The disk is made slow (every append waits), so fragments are always waiting in the group
 * committer when the stop comes; a stop that cuts the connections before they commit leaves them
 * durable without an ack, and the producer sends them again.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';
import { createStream } from '../helpers/kvs-readers.js';
import { startTestServer } from '../helpers/server.js';
import { ackMismatch, startStreamingProducer, until } from '../helpers/streaming-producer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The filesystem blob store with appends held back: by `delayMs` each, and forever once
 * `stuck()` says so (a disk that stopped answering).
 */
function slowDisk(delayMs: number, stuck: () => boolean = () => false) {
  return async (storageUrl: string) => {
    const store = await FsBlobStore.open(storageUrl.slice('file://'.length));
    const append = store.append.bind(store);
    store.append = async (series, data) => {
      await sleep(delayMs);
      if (stuck()) await new Promise(() => {});
      return append(series, data);
    };
    return store;
  };
}

test('a stop while a producer streams: every stored fragment was acked PERSISTED, and every PERSISTED fragment is stored', { timeout: 60_000 }, async () => {
  const t = await startTestServer({}, { openBlobStore: slowDisk(300) });
  try {
    const stream = await createStream(t, 'stop-acks');
    const producer = startStreamingProducer(t.url, stream);
    await until(() => producer.persisted.size >= 5, '5 PERSISTED acks');
    // Fragments complete faster than the disk takes them: some are waiting in the committer now.
    await until(() => producer.received.size >= producer.persisted.size + 3, 'a backlog of received fragments');
    const stopAt = Date.now();
    await t.stop();
    const ended = await producer.ended;
    const { stored, storedWithoutAck, ackedNotStored } = await ackMismatch(t.dataDir, stream, producer.persisted);
    assert.deepEqual(storedWithoutAck, [], `${storedWithoutAck.length} of ${stored} stored fragments never got their PERSISTED ack to the producer`);
    assert.deepEqual(ackedNotStored, [], 'fragments acked PERSISTED but not stored');
    const ackedDuringStop = [...producer.persisted.values()].filter((at) => at >= stopAt).length;
    assert.ok(ackedDuringStop >= 1, 'fragments waiting in the committer at the stop were acked before the response ended');
    // The response ended cleanly: an ordinary end of session for the producer, which reconnects.
    assert.ok(!(ended instanceof Error), `the session failed: ${String(ended)}`);
    assert.equal(ended.bodyComplete, false);
    assert.deepEqual(ended.errors, []);
  } finally {
    // Stopped already unless the test failed first (a second stop does nothing).
    await t.dispose();
  }
});

test('a stop with the disk stuck still ends, a few seconds later, and acks nothing it did not store', { timeout: 60_000 }, async () => {
  let stuck = false;
  const t = await startTestServer({}, { openBlobStore: slowDisk(50, () => stuck) });
  try {
    const stream = await createStream(t, 'stop-stuck');
    const producer = startStreamingProducer(t.url, stream);
    await until(() => producer.persisted.size >= 3, '3 PERSISTED acks');
    stuck = true;
    await until(() => producer.received.size >= producer.persisted.size + 3, 'fragments waiting for the stuck disk');
    const started = Date.now();
    await t.stop();
    const tookMs = Date.now() - started;
    // The stop waits at most ~7 s (5 s for the sessions, 2 s for the connections) and then cuts.
    assert.ok(tookMs < 20_000, `the stop took ${tookMs} ms`);
    await producer.ended;
    const { storedWithoutAck, ackedNotStored } = await ackMismatch(t.dataDir, stream, producer.persisted);
    assert.deepEqual(storedWithoutAck, []);
    assert.deepEqual(ackedNotStored, []);
  } finally {
    // Stopped already unless the test failed first (a second stop does nothing).
    await t.dispose();
  }
});
