import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './process.js';

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
