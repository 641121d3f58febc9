/**
 * The storage ports as a worker of `serve --workers` has them (workers/remote-storage.ts: calls
 * to the storage process, appends to its own series and reads from the files here) pass the same
 * contract suites as the adapters they reach. The two ends talk over an in-process channel that copies every message
 * with v8.serialize, as node:cluster's `serialization: 'advanced'` channel does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { ResourceNotFoundException, ServiceUnavailableException } from '../../src/domain/errors.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';
import type { IndexStore } from '../../src/storage/index-store.js';
import { SqliteIndexStore } from '../../src/storage/sqlite/sqlite-index-store.js';
import { createLogger } from '../../src/util/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { remoteStorage } from '../../src/workers/remote-storage.js';
import { RpcClient, serveCalls, type MessageEnd, type WireMessage } from '../../src/workers/rpc.js';
import { StorageHost } from '../../src/workers/storage-host.js';
import { blobStoreContract } from '../contract/blob-store.contract.js';
import { indexStoreContract } from '../contract/index-store.contract.js';

/** Two ends; what one sends reaches the other's listeners later, as a copy. */
function channelPair(): [MessageEnd, MessageEnd] {
  const listeners: [((m: WireMessage) => void)[], ((m: WireMessage) => void)[]] = [[], []];
  const end = (mine: 0 | 1): MessageEnd => ({
    send: (message) => {
      const copy = serialize(message);
      setImmediate(() => {
        for (const listener of listeners[1 - mine]!) listener(deserialize(copy) as WireMessage);
      });
    },
    onMessage: (listener) => listeners[mine].push(listener),
  });
  return [end(0), end(1)];
}

const SEGMENT_BYTES = 16 * 1024;

/** A storage process over `dir` and one worker's ports reaching it. */
async function workerPorts(dir: string) {
  const index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  const blobs = await FsBlobStore.open(join(dir, 'blobs'), { segmentBytes: SEGMENT_BYTES });
  const log = createLogger('silent');
  const host = new StorageHost(index, blobs, log, systemClock);
  const [primarySide, workerSide] = channelPair();
  host.attach(primarySide, new Map());
  const ports = remoteStorage(new RpcClient(workerSide), workerSide, FsBlobStore.openBeside(join(dir, 'blobs'), { segmentBytes: SEGMENT_BYTES }), 0);
  // The worker's own segment handles close with its blob store, as a worker's do when it stops.
  const close = async () => {
    await ports.blobs.close();
    await host.close();
  };
  return { ...ports, close };
}

function fixture<S>(pick: (ports: Awaited<ReturnType<typeof workerPorts>>) => S) {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openkvs-worker-ports-'));
    let current = await workerPorts(dir);
    return {
      store: pick(current),
      reopen: async () => {
        await current.close();
        current = await workerPorts(dir);
        return pick(current);
      },
      cleanup: async () => {
        await current.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

indexStoreContract('IndexStore of a worker process', fixture<IndexStore>((ports) => ports.index));
blobStoreContract('BlobStore of a worker process', fixture<BlobStore>((ports) => ports.blobs));

describe('errors thrown in the storage process', () => {
  const [primarySide, workerSide] = channelPair();
  const failing = (err: Error) => () => Promise.reject(err);
  serveCalls(primarySide, new Map([['index', {
    outage: failing(new ServiceUnavailableException('The PostgreSQL index is unavailable; try again later.')),
    missing: failing(new ResourceNotFoundException('no such stream')),
    bug: failing(new Error('something else')),
  }]]));
  const rpc = new RpcClient(workerSide);

  test('come back to the worker as the AWS error they were, so that an outage is answered 503 and acked ARCHIVAL_ERROR', async () => {
    await assert.rejects(rpc.call('index', 'outage', []), (err: unknown) => {
      assert.ok(err instanceof ServiceUnavailableException, String(err));
      assert.equal(err.httpStatus, 503);
      assert.equal(err.code, 'ServiceUnavailableException');
      assert.equal(err.message, 'The PostgreSQL index is unavailable; try again later.');
      return true;
    });
    await assert.rejects(rpc.call('index', 'missing', []), ResourceNotFoundException);
  });

  test('anything else comes back as a plain Error with its message', async () => {
    await assert.rejects(rpc.call('index', 'bug', []), (err: unknown) => err instanceof Error && !(err instanceof ServiceUnavailableException) && err.message === 'something else');
  });
});
