import { CreateStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findTool, REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { freePort } from '../helpers/services.js';
import { clusterUnavailable } from './cluster-fixture.js';

/**
 * The README's local cluster, run as a user would: scripts/cluster-example.sh starts PostgreSQL,
 * Ceph RGW and two openkvs nodes, prints the endpoints, and Ctrl-C (SIGINT) stops it all. A
 * stream created through node A is described through node B; after Ctrl-C nothing listens on
 * any of the ports and the cluster's directory is gone.
 */
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'cluster-example.sh');
const AWS_CLI = findTool(['/usr/bin/aws', 'aws']);
const run = promisify(execFile);

/** The lines of the first ```sh block after `heading` in the README. */
function readmeBlockAfter(heading: string): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))?.[1];
  assert.ok(block, `README has a sh block after ${heading}`);
  return block.trim().split('\n');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('scripts/cluster-example.sh', { skip: clusterUnavailable(), timeout: 180_000 }, () => {
  let parent: string;
  let clusterDir: string;
  let script: ChildProcess;
  let stderr = '';
  const ports: Record<string, number> = {};
  const printed = new Map<string, string>();

  before(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'openkvs-example-test-'));
    // As root, PostgreSQL runs as the postgres user, which must be able to pass through.
    await chmod(parent, 0o711);
    clusterDir = path.join(parent, 'cluster');
    for (const name of ['NODE_A_PORT', 'NODE_B_PORT', 'PG_PORT', 'RGW_PORT', 'MON_PORT']) ports[name] = await freePort();
    const env = { ...process.env, CLUSTER_DIR: clusterDir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    script = spawn('bash', [SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    script.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY within 120 s; stderr:\n${stderr}`)), 120_000);
      script.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the script exited with ${code} before READY; stderr:\n${stderr}`));
      });
      createInterface({ input: script.stdout! }).on('line', (line) => {
        const [key, ...value] = line.split('=');
        if (value.length > 0) printed.set(key!, value.join('='));
        if (line === 'READY') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
  after(async () => {
    if (script?.exitCode === null) {
      script.kill('SIGTERM');
      await once(script, 'exit');
    }
    await rm(parent, { recursive: true, force: true });
  });

  test('prints both nodes and the shared backends', () => {
    assert.equal(printed.get('NODE_A'), `http://127.0.0.1:${ports['NODE_A_PORT']}`);
    assert.equal(printed.get('NODE_B'), `http://127.0.0.1:${ports['NODE_B_PORT']}`);
    assert.equal(printed.get('INDEX'), `postgres://postgres@127.0.0.1:${ports['PG_PORT']}/openkvs`);
    assert.equal(printed.get('S3_ENDPOINT'), `http://127.0.0.1:${ports['RGW_PORT']}`);
    assert.equal(printed.get('STORAGE'), 's3://openkvs/cluster');
  });

  test('a stream created on node A is described by node B', async () => {
    const client = (endpoint: string) =>
      new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const [a, b] = [client(printed.get('NODE_A')!), client(printed.get('NODE_B')!)];
    try {
      const { StreamARN } = await a.send(new CreateStreamCommand({ StreamName: 'example-cam', DataRetentionInHours: 24 }));
      const { StreamInfo } = await b.send(new DescribeStreamCommand({ StreamName: 'example-cam' }));
      assert.equal(StreamInfo?.StreamARN, StreamARN);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test("the README's commands for the local cluster run as written", { skip: skipUnlessPresent(AWS_CLI, 'the AWS CLI (apt-get install -y awscli)') }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    const ports = { '4571': new URL(printed.get('NODE_A')!).port, '4572': new URL(printed.get('NODE_B')!).port };
    const lines = readmeBlockAfter('### A local cluster to try').slice(1);
    assert.equal(lines.length, 4, lines.join('\n'));
    let lastOutput = '';
    for (const line of lines) {
      if (line.startsWith('export ')) {
        for (const [, name, value] of line.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
        continue;
      }
      const args = line
        .replace(/\s+#.*$/, '')
        .replace(/127\.0\.0\.1:(4571|4572)/g, (_, port: '4571' | '4572') => `127.0.0.1:${ports[port]}`)
        .split(/\s+/);
      const [file, ...rest] = args[0] === 'npx' ? [process.execPath, path.join(REPO_ROOT, 'bin/openkvs.cjs'), ...args.slice(2)] : [AWS_CLI!, ...args.slice(1)];
      lastOutput = (await run(file!, rest, { env, cwd: REPO_ROOT, timeout: 60_000 })).stdout;
    }
    assert.equal((JSON.parse(lastOutput) as { StreamInfo: { StreamName: string } }).StreamInfo.StreamName, 'cam1');
  });

  // Needs the stream the README's commands filled.
  test('an HLS session URL made by node A plays from node B (the nodes share a session secret)', { skip: skipUnlessPresent(AWS_CLI, 'the AWS CLI (apt-get install -y awscli)') }, async () => {
    const archived = new KinesisVideoArchivedMediaClient({
      endpoint: printed.get('NODE_A')!,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      // cam1 got the README's recording a moment ago: a LIVE session has fragments to list.
      const { HLSStreamingSessionURL } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam1', PlaybackMode: 'LIVE' }));
      const onA = new URL(HLSStreamingSessionURL!);
      const res = await fetch(new URL(`${onA.pathname}${onA.search}`, printed.get('NODE_B')!));
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(await res.text(), /^#EXTM3U/);
    } finally {
      archived.destroy();
    }
  });

  test('Ctrl-C stops the nodes, Ceph and PostgreSQL and removes the directory', async () => {
    const exited = once(script, 'exit');
    script.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130, stderr);
    for (const [name, port] of Object.entries(ports)) assert.equal(await listening(port), false, `${name} ${port} still listening`);
    assert.equal(existsSync(clusterDir), false);
  });
});
