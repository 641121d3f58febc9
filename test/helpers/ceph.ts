import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, findTool } from './process.js';
import { freePort, serviceUnavailable } from './services.js';

/**
 * A throwaway S3 server for the tests: a one-node Ceph with radosgw on 127.0.0.1 at free ports,
 * started by scripts/ceph-s3.sh (objects live in RAM), stopped by stop() or, failing that, when
 * the test process exits.
 */
export interface CephS3 {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Creates a bucket with a fresh name and returns the name. */
  createBucket(): Promise<string>;
  /** An SDK client for looking at the bucket from outside the store under test. */
  client(): S3Client;
  /**
   * Outage: SIGSTOP radosgw, so S3 connections open but nothing answers (a hang, the harsher case
   * for a client). The cluster itself keeps running, so stored objects survive: memstore would
   * lose them if the OSD stopped. resume() lets radosgw go on.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'ceph-s3.sh');
const CREDENTIALS = { accessKeyId: 'openkvs-test', secretAccessKey: 'openkvs-test-secret' };
const run = promisify(execFile);

/** Why the Ceph tests cannot run here, or false; in CI (CI=true) a missing Ceph throws. */
export function cephUnavailable(): string | false {
  const present = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'uuidgen', 'curl'].every(
    (tool) => findTool([tool, `/usr/bin/${tool}`]) !== undefined,
  );
  return serviceUnavailable(present, 'Ceph with radosgw (apt-get install ceph-mon ceph-osd radosgw uuid-runtime curl)');
}

export interface CephStartOptions {
  /** RAM the OSD may hold objects in (memstore); default 1 GiB. */
  readonly memstoreBytes?: number;
}

export async function startCeph(options: CephStartOptions = {}): Promise<CephS3> {
  let lastError: unknown;
  // Another process may take a free port before the daemons bind it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'openkvs-ceph-')), 'cluster');
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const env = {
      ...process.env,
      MON_PORT: String(monPort),
      RGW_PORT: String(rgwPort),
      S3_ACCESS_KEY: CREDENTIALS.accessKeyId,
      S3_SECRET_KEY: CREDENTIALS.secretAccessKey,
      MEMSTORE_BYTES: String(options.memstoreBytes ?? 1024 ** 3),
    };
    try {
      await run('bash', [SCRIPT, 'start', dir], { env, timeout: 120_000 });
      return cephHandle(dir, `http://127.0.0.1:${rgwPort}`);
    } catch (err) {
      const { stderr } = err as { stderr?: string };
      lastError = new Error(`Ceph did not start: ${(err as Error).message}\n${stderr ?? ''}`);
      await rm(path.dirname(dir), { recursive: true, force: true });
    }
  }
  throw lastError;
}

function cephHandle(dir: string, endpoint: string): CephS3 {
  const onExit = () => {
    spawnSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
    spawnSync('rm', ['-rf', path.dirname(dir)]);
  };
  process.once('exit', onExit);
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
    clients.push(c);
    return c;
  };
  let buckets = 0;
  return {
    endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    client,
    async createBucket() {
      buckets += 1;
      const name = `openkvs-test-${buckets}-${process.pid}`;
      const c = client();
      await c.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    pause: async () => void (await run('bash', [SCRIPT, 'pause', dir], { timeout: 10_000 })),
    resume: async () => void (await run('bash', [SCRIPT, 'resume', dir], { timeout: 10_000 })),
    async stop() {
      process.off('exit', onExit);
      for (const c of clients) c.destroy();
      await run('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 });
      await rm(path.dirname(dir), { recursive: true, force: true });
    },
  };
}
