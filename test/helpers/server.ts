import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveOptions, type RawOptions } from '../../src/config.js';
import { startServer, type OpenKvsServer, type ServerDeps } from '../../src/server.js';
import { startWorkers } from '../../src/workers/primary.js';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDOPENKVSTEST', secretAccessKey: 'openkvs-test-secret' };

export interface TestServer {
  readonly server: OpenKvsServer;
  readonly url: string;
  readonly dataDir: string;
  /** A control-plane client signed with `credentials` (default: the test key), one attempt only. */
  control(credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): KinesisVideoClient;
  /** Stops the server, keeping the data dir (for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

/**
 * An openkvs server in this process on a free loopback port, with its own temporary data dir.
 * With `workers` above 1 (`serve --workers`), this process is the primary and storage process.
 */
export async function startTestServer(raw: RawOptions = {}, deps: ServerDeps = {}): Promise<TestServer> {
  const dataDir = typeof raw.dataDir === 'string' ? raw.dataDir : await mkdtemp(path.join(tmpdir(), 'openkvs-test-'));
  const options = resolveOptions({ port: 0, logLevel: 'silent', workers: process.env['OPENKVS_TEST_WORKERS'], ...raw, dataDir });
  const server = await (options.workers > 1 ? startWorkers : startServer)(options, deps);
  const clients: KinesisVideoClient[] = [];
  const stop = async () => {
    clients.forEach((c) => c.destroy());
    await server.close();
  };
  return {
    server,
    url: server.url,
    dataDir,
    control(credentials = TEST_CREDENTIALS) {
      const client = new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` and returns the error it rejects with; fails the test when it resolves. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
