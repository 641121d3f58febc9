/**
 * A reader that goes away early (`openkvs list-fragments | head`): every command that writes to
 * stdout exits quietly with status 0, without a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import { createStream, fixture, ingestFixture } from '../helpers/kvs-readers.js';
import { isolatedAwsEnv, OPENKVS_CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/process.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

/** Runs `openkvs ARGS` with the read end of its stdout closed at once: its first write fails with EPIPE. */
function runWithClosedStdout(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [OPENKVS_CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('CLI commands whose stdout reader goes away', { timeout: 60_000 }, () => {
  let t: TestServer;
  let env: NodeJS.ProcessEnv;
  let stream: string;
  const uploadStream = 'pipe-upload';
  before(async () => {
    t = await startTestServer();
    env = { ...isolatedAwsEnv(TEST_CREDENTIALS), AWS_REGION: 'us-east-1', OPENKVS_ENDPOINT: t.url };
    // Something to list and clip: three fragments from 1700000000 s on.
    stream = await createStream(t, 'pipe');
    await ingestFixture(t, stream, 'h264-aac.mkv');
    await t.control().send(new CreateStreamCommand({ StreamName: uploadStream, DataRetentionInHours: 24 }));
  });
  after(() => t?.dispose());

  const cases: [string, () => string[]][] = [
    ['put-media --json', () => ['put-media', '--stream', uploadStream, '--timecode-type', 'RELATIVE', '--producer-start-timestamp', '1700000000', '--json', fixture('h264-aac.mkv')]],
    ['list-fragments', () => ['list-fragments', '--stream', stream]],
    ['list-fragments --json', () => ['list-fragments', '--stream', stream, '--json']],
    ['get-clip -o -', () => ['get-clip', '--stream', stream, '--start', '1700000000', '--end', '1700000010', '-o', '-']],
  ];
  for (const [name, args] of cases) {
    test(`${name} exits 0 and prints nothing on stderr`, async () => {
      const { code, stderr } = await runWithClosedStdout(args(), env);
      assert.equal(stderr, '');
      assert.equal(code, 0);
    });
  }
});
