import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, spawnServer } from '../helpers/process.js';
import { ackMismatch, startStreamingProducer, until } from '../helpers/streaming-producer.js';

const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');

describe('openkvs serve (the CLI)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('--help documents every flag with its OPENKVS_* variable', () => {
    const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    const text = help.stdout.replace(/\s+/g, ' ');
    const flags = ['host', 'port', 'data-dir', 'public-url', 'region', 'account-id', 'credentials', 'index', 'storage', 'insecure', 'log-level', 'session-secret', 'cors-origins',
      's3-endpoint', 's3-region', 's3-force-path-style', 's3-checksum'];
    for (const flag of flags) {
      assert.match(text, new RegExp(`--${flag}\\b`), flag);
      assert.match(text, new RegExp(`env: OPENKVS_${flag.toUpperCase().replaceAll('-', '_')}\\b`), flag);
    }
  });

  test('flags from the environment; logs are JSON lines; SIGTERM shuts down cleanly', async () => {
    const server = await spawnServer(process.execPath, [CLI, 'serve'], {
      OPENKVS_PORT: '0',
      OPENKVS_DATA_DIR: dataDir,
      OPENKVS_REGION: 'eu-central-1',
      OPENKVS_ACCOUNT_ID: '111122223333',
      OPENKVS_PUBLIC_URL: 'http://kvs.internal:8080',
    });
    const kv = new KinesisVideoClient({ endpoint: server.url, region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: 'cli' }));
      assert.match(StreamARN!, /^arn:aws:kinesisvideo:eu-central-1:111122223333:stream\/cli\/\d+$/);
      const res = await fetch(`${server.url}/getDataEndpoint`, { method: 'POST', body: JSON.stringify({ StreamName: 'cli', APIName: 'GET_CLIP' }) });
      assert.deepEqual(await res.json(), { DataEndpoint: 'http://kvs.internal:8080' });
    } finally {
      kv.destroy();
      assert.equal(await server.stop(), 0);
    }
    const entries = server.lines.map((line) => JSON.parse(line) as { msg: string });
    assert.ok(entries.some((e) => e.msg === 'request'), 'requests are logged');
    assert.equal(entries.at(-1)?.msg, 'openkvs stopped');
  });

  // With --workers 2 the signal reaches the primary and its workers (one process group, as from
  // systemd); each worker stops its sessions as one process does.
  for (const workers of [1, 2]) {
    test(`SIGTERM while a producer streams${workers > 1 ? ` (--workers ${workers})` : ''}: its session ends cleanly, and it holds PERSISTED for exactly the fragments stored`, { timeout: 60_000 }, async () => {
      const stopDir = await mkdtemp(path.join(tmpdir(), 'openkvs-cli-stop-'));
      const server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: stopDir, OPENKVS_WORKERS: String(workers) });
      const kv = new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      try {
        await kv.send(new CreateStreamCommand({ StreamName: 'stop', DataRetentionInHours: 24 }));
        const producer = startStreamingProducer(server.url, 'stop');
        await until(() => producer.persisted.size >= 10, '10 PERSISTED acks');
        assert.equal(await server.stop(), 0);
        const ended = await producer.ended;
        // Before the stop ended sessions itself, it cut their connections: the client saw them break.
        assert.ok(!(ended instanceof Error), `the session broke off: ${String(ended)}`);
        assert.equal(ended.bodyComplete, false);
        const { storedWithoutAck, ackedNotStored } = await ackMismatch(stopDir, 'stop', producer.persisted);
        assert.deepEqual(storedWithoutAck, [], 'stored fragments whose PERSISTED ack never reached the producer');
        assert.deepEqual(ackedNotStored, []);
      } finally {
        kv.destroy();
        await server.stop();
        await rm(stopDir, { recursive: true, force: true });
      }
    });
  }

  test("libuv's thread pool has the 16 threads segment syncs run on, unless UV_THREADPOOL_SIZE says otherwise", { skip: !existsSync('/proc/self/task') }, async () => {
    const server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir });
    try {
      const pool = Number(process.env['UV_THREADPOOL_SIZE'] ?? 16);
      // The pool's threads, the main thread and V8's own: more than the pool alone. A size set too
      // late (after the pool started) leaves Node's 4.
      const threads = (await readdir(`/proc/${server.child.pid}/task`)).length;
      assert.ok(threads > pool, `${threads} threads for a pool of ${pool}`);
    } finally {
      await server.stop();
    }
  });

  test('a non-loopback bind without credentials refuses to start (exit 2)', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /refusing to listen on 0\.0\.0\.0 without credentials/);
  });

  test('a bad --cors-origins list is a config error (exit 2)', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--cors-origins', 'https://a.example/app'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--cors-origins: "https:\/\/a\.example\/app" is not an origin/);
  });

  test('a broken credentials file is reported, not a stack trace', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--credentials', path.join(dataDir, 'missing')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--credentials: /);
  });
});
