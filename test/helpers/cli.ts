import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { putMedia } from '../../src/client/put-media.js';
import { REPO_ROOT } from './process.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from './server.js';

/** `openkvs` as a user runs it. */
export const OPENKVS_CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');

/** Credentials from the environment only: nothing from the caller's AWS setup, no instance metadata. */
export function isolatedAwsEnv(key: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

export interface CliRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `openkvs ARGS` in a child with exactly `env`; asynchronous, so a server in this process can answer it. */
export function runOpenkvs(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: Buffer }): Promise<CliRun> {
  const child = spawn(process.execPath, [OPENKVS_CLI, ...args], { cwd: REPO_ROOT, env: options.env });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr })));
}

export interface SecuredRecording {
  readonly t: TestServer;
  /** A scratch folder (holding the credentials file), removed by dispose(). */
  readonly dir: string;
  dispose(): Promise<void>;
}

/**
 * A secured openkvs in this process (a CLI child must sign with the test key) whose stream `cam`
 * holds `fixture`, sent RELATIVE from `startSeconds` and persisted whole.
 */
export async function securedServerWithRecording(fixture: string, startSeconds: number, dirPrefix: string): Promise<SecuredRecording> {
  const dir = await mkdtemp(path.join(tmpdir(), dirPrefix));
  const credentialsFile = path.join(dir, 'credentials');
  await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
  const t = await startTestServer({ credentialsFile });
  await t.control().send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
  const session = putMedia({
    endpoint: t.url,
    streamName: 'cam',
    body: createReadStream(fixture),
    timecodeType: 'RELATIVE',
    producerStartTimestampMs: startSeconds * 1000,
    credentials: TEST_CREDENTIALS,
  });
  for await (const _ of session) void _;
  const { fragments } = await session.done;
  if (fragments.seen === 0 || fragments.persisted !== fragments.seen) throw new Error(`only ${fragments.persisted} of ${fragments.seen} fragments of ${fixture} persisted`);
  return {
    t,
    dir,
    async dispose() {
      await t.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
