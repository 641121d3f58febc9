/**
 * Where a benchmarked `openkvs serve` child keeps its data: the embedded default (SQLite + files
 * in a fresh data dir) or the cluster backends (a fresh database in one throwaway PostgreSQL with
 * fsync on, a fresh prefix in one bucket of a one-node Ceph RGW), so that bench scripts can run the
 * same scenario on both in one run and print the ratio.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { startCeph, type CephS3 } from '../test/helpers/ceph.js';
import { startPostgres, type PostgresServer } from '../test/helpers/postgres.js';
import { REPO_ROOT, spawnServer, type RunningServer } from '../test/helpers/process.js';

export type Backend = 'embedded' | 'cluster';

const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');

export function parseBackends(text: string): Backend[] {
  const backends = text.split(',').map((b) => b.trim());
  for (const b of backends) if (b !== 'embedded' && b !== 'cluster') throw new Error(`--backends: unknown backend ${b} (embedded, cluster)`);
  return backends as Backend[];
}

export interface ServerUnderTest {
  readonly server: RunningServer;
  /** Stops the server and deletes what it stored. */
  dispose(): Promise<void>;
}

interface ClusterServices {
  readonly postgres: PostgresServer;
  readonly ceph: CephS3;
  readonly bucket: string;
}

/** Starts servers on either backend; the cluster services start on first use and live until close(). */
export class ServerFactory {
  private cluster: Promise<ClusterServices> | undefined;
  private servers = 0;

  constructor(
    private readonly dir: string,
    /** Node options for the server children (e.g. --cpu-prof). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  /** `extraEnv`: more OPENKVS_* settings (e.g. OPENKVS_CREDENTIALS). */
  async start(backend: Backend, extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerUnderTest> {
    const dataDir = await mkdtemp(path.join(this.dir, 'openkvs-bench-'));
    const env: NodeJS.ProcessEnv = { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir, OPENKVS_LOG_LEVEL: 'info', ...extraEnv };
    let cleanStorage = async () => {};
    if (backend === 'cluster') {
      const services = await (this.cluster ??= startClusterServices());
      const prefix = `bench-${++this.servers}`;
      Object.assign(env, {
        OPENKVS_INDEX: await services.postgres.createDatabase(),
        OPENKVS_STORAGE: `s3://${services.bucket}/${prefix}`,
        OPENKVS_S3_ENDPOINT: services.ceph.endpoint,
        OPENKVS_S3_REGION: services.ceph.region,
        OPENKVS_S3_CHECKSUM: 'when-required',
        AWS_ACCESS_KEY_ID: services.ceph.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: services.ceph.credentials.secretAccessKey,
      });
      // memstore holds objects in RAM: free them before the next scenario.
      cleanStorage = () => deletePrefix(services, prefix);
    }
    const server = await spawnServer(process.execPath, [...this.nodeArgs, CLI, 'serve'], env);
    return {
      server,
      dispose: async () => {
        await server.stop();
        const warnings = warningLines(server.lines);
        if (warnings !== '') console.log(`    server log, warnings and errors: ${warnings}`);
        await Promise.all([rm(dataDir, { recursive: true, force: true }), cleanStorage()]);
      },
    };
  }

  async close(): Promise<void> {
    if (this.cluster === undefined) return;
    const { postgres, ceph } = await this.cluster;
    await Promise.all([postgres.stop(), ceph.stop()]);
  }
}

/** The server's warnings and errors (pino level 40 and up), by message and error, with counts. */
function warningLines(lines: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) < 40) continue;
      const what = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    } catch {
      // Not a log line.
    }
  }
  return [...counts].map(([what, n]) => `${n} × ${what}`).join('; ');
}

async function startClusterServices(): Promise<ClusterServices> {
  // The (b) scenarios write a few GB in all; each is deleted after it ran.
  const [postgres, ceph] = await Promise.all([startPostgres({ durable: true }), startCeph({ memstoreBytes: 4 * 1024 ** 3 })]);
  return { postgres, ceph, bucket: await ceph.createBucket() };
}

async function deletePrefix(services: ClusterServices, prefix: string): Promise<void> {
  const client = services.ceph.client();
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: services.bucket, Prefix: `${prefix}/`, ContinuationToken }));
    // One by one, 16 at a time: the batch delete needs a Content-MD5 that newer SDKs replace by a CRC.
    const keys = (page.Contents ?? []).map((o) => o.Key!);
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket: services.bucket, Key }))));
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken !== undefined);
}
