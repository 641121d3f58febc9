import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FragmentRecord } from '../../src/domain/fragment.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import type { IndexStore } from '../../src/storage/index-store.js';
import { PostgresIndexStore } from '../../src/storage/postgres/postgres-index-store.js';
import { S3BlobStore } from '../../src/storage/s3/s3-blob-store.js';
import type { S3Options } from '../../src/storage/s3/s3-options.js';
import { cephUnavailable, startCeph, type CephS3 } from '../helpers/ceph.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { REPO_ROOT, spawnServer, type RunningServer } from '../helpers/process.js';

/**
 * What the cluster tests share: PostgreSQL and a one-node Ceph RGW started on 127.0.0.1, one
 * database and one bucket, `openkvs serve` nodes pointed at them (child processes, as deployed),
 * and the same storage adapters opened in the test process to read back what the nodes stored.
 */
export const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
export const PREFIX = 'openkvs/cluster';

export function clusterUnavailable(): string | false {
  return postgresUnavailable() || cephUnavailable();
}

export interface Backends {
  readonly postgres: PostgresServer;
  readonly ceph: CephS3;
  readonly indexUrl: string;
  readonly bucket: string;
  readonly s3Options: S3Options;
  stop(): Promise<void>;
}

export async function startBackends(): Promise<Backends> {
  const [postgres, ceph] = await Promise.all([startPostgres(), startCeph()]);
  const [indexUrl, bucket] = await Promise.all([postgres.createDatabase(), ceph.createBucket()]);
  // Stores opened in the test process take S3 credentials from the AWS default chain, as nodes do.
  process.env['AWS_ACCESS_KEY_ID'] = ceph.credentials.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = ceph.credentials.secretAccessKey;
  return {
    postgres,
    ceph,
    indexUrl,
    bucket,
    s3Options: { endpoint: ceph.endpoint, region: ceph.region, forcePathStyle: true, checksum: 'when-required' },
    stop: async () => {
      await Promise.all([postgres.stop(), ceph.stop()]);
    },
  };
}

export interface ClusterNode extends RunningServer {
  /** A control-plane client for this node (one attempt: the tests look at every answer). */
  readonly kv: KinesisVideoClient;
  /** SIGKILL, as a crashed machine: no shutdown, no flush. */
  kill(): Promise<void>;
  /** SIGTERM, then removes its data dir; resolves with the exit code. */
  close(): Promise<number | null>;
}

/** `openkvs serve` on a free port, on the shared index and bucket. `env` adds or overrides OPENKVS_* settings. */
export async function startNode(backends: Backends, env: NodeJS.ProcessEnv = {}): Promise<ClusterNode> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-node-'));
  const server = await spawnServer(process.execPath, [CLI, 'serve'], {
    OPENKVS_PORT: '0',
    OPENKVS_DATA_DIR: dataDir,
    OPENKVS_INDEX: backends.indexUrl,
    OPENKVS_STORAGE: `s3://${backends.bucket}/${PREFIX}`,
    OPENKVS_S3_ENDPOINT: backends.ceph.endpoint,
    OPENKVS_S3_REGION: backends.ceph.region,
    OPENKVS_S3_CHECKSUM: 'when-required',
    AWS_ACCESS_KEY_ID: backends.ceph.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: backends.ceph.credentials.secretAccessKey,
    ...env,
  });
  const kv = new KinesisVideoClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  const exited = new Promise<void>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) resolve();
    else server.child.once('exit', () => resolve());
  });
  let killed = false;
  return {
    ...server,
    kv,
    async kill() {
      killed = true;
      kv.destroy();
      process.kill(-server.child.pid!, 'SIGKILL');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
    async close() {
      kv.destroy();
      if (killed) return null;
      const code = await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** The cluster's index and bucket, opened in the test process: the ground truth the nodes wrote. */
export async function openStores(backends: Backends): Promise<{ index: IndexStore; blobs: BlobStore; close(): Promise<void> }> {
  const index = await PostgresIndexStore.open(backends.indexUrl);
  const blobs = await S3BlobStore.open(`s3://${backends.bucket}/${PREFIX}`, { ...backends.s3Options }, {});
  return { index, blobs, close: async () => void (await Promise.all([index.close(), blobs.close()])) };
}

export async function fragmentBytes(blobs: BlobStore, fragment: FragmentRecord): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const { key, offset } = fragment.location;
  for await (const part of await blobs.get(key, { start: offset, end: offset + fragment.size })) parts.push(part);
  return Buffer.concat(parts);
}

/**
 * Every fragment in `expected` (fragment number → the Cluster bytes acked PERSISTED for it) read
 * back from the index and the bucket; returns the numbers that are missing or differ.
 */
export async function missingOrDifferent(
  stores: { index: IndexStore; blobs: BlobStore },
  streamName: string,
  expected: ReadonlyMap<string, Uint8Array>,
): Promise<string[]> {
  const stream = await stores.index.getStreamByName(streamName);
  if (stream === undefined) return [...expected.keys()];
  const bad: string[] = [];
  for (const [number, bytes] of expected) {
    const record = await stores.index.getFragment(stream.streamId, number);
    if (record === undefined || !(await fragmentBytes(stores.blobs, record)).equals(bytes)) bad.push(number);
  }
  return bad;
}
