/**
 * `openkvs list-fragments` as a user runs it: a child process against a secured openkvs (every
 * request must carry a valid SigV4 signature), checked against ListFragments through the v3 SDK.
 */
import { ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { putMedia } from '../../src/client/put-media.js';
import { archivedMediaClient, createStream, fixture } from '../helpers/kvs-readers.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { isolatedAwsEnv, runOpenkvs } from '../helpers/cli.js';


const ENV = isolatedAwsEnv(TEST_CREDENTIALS);

async function runCli(args: string[], env: NodeJS.ProcessEnv = ENV): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await runOpenkvs(['list-fragments', ...args], { env });
  return { ...run, stdout: run.stdout.toString() };
}

const wire = (f: Fragment) => ({
  FragmentNumber: f.FragmentNumber,
  FragmentSizeInBytes: f.FragmentSizeInBytes,
  ProducerTimestamp: f.ProducerTimestamp!.getTime() / 1000,
  ServerTimestamp: f.ServerTimestamp!.getTime() / 1000,
  FragmentLengthInMilliseconds: f.FragmentLengthInMilliseconds,
});

describe('openkvs list-fragments', { timeout: 60_000 }, () => {
  let t: TestServer;
  let credentialsFile: string;
  let stream: string;
  let fragments: Fragment[];
  before(async () => {
    credentialsFile = path.join(tmpdir(), `openkvs-cli-credentials-${process.pid}`);
    await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
    t = await startTestServer({ credentialsFile });
    stream = await createStream(t, 'cli-list');
    for (const startMs of [1_700_000_000_000, 1_700_000_100_000]) {
      // Signed, as the server requires: the package's PutMedia client.
      const session = putMedia({
        endpoint: t.url, streamName: stream, body: createReadStream(fixture('h264.mkv')), timecodeType: 'RELATIVE',
        producerStartTimestampMs: startMs, credentials: TEST_CREDENTIALS, region: 'us-east-1',
      });
      for await (const _ack of session) {
        // acks are counted in the summary
      }
      assert.equal((await session.done).fragments.persisted, 3);
    }
    const client = await archivedMediaClient(t, stream);
    fragments = (await client.send(new ListFragmentsCommand({ StreamName: stream }))).Fragments ?? [];
    assert.equal(fragments.length, 6);
  });
  after(async () => {
    await t?.dispose();
    await rm(credentialsFile, { force: true });
  });

  test('--json: every fragment, one line each, as the API returns it (requests signed)', async () => {
    const { code, stdout, stderr } = await runCli(['--stream', stream, '--endpoint', t.url, '--json']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown), fragments.map(wire));
  });

  test('a table by default; --start/--end/--by select a range', async () => {
    const { code, stdout } = await runCli(['--stream', stream, '--endpoint', t.url, '--by', 'producer', '--start', '1700000100', '--end', '2023-11-14T22:15:02Z']);
    assert.equal(code, 0);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^FragmentNumber\tProducerTimestamp/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split('\t').slice(0, 2)),
      fragments.slice(3, 5).map((f) => [f.FragmentNumber, f.ProducerTimestamp!.toISOString()]),
    );
  });

  test('the service\'s refusal: exit 1 with the AWS error name; usage errors: exit 2', async () => {
    const missing = await runCli(['--stream', 'no-such-stream', '--endpoint', t.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ResourceNotFoundException \(HTTP 404\)/);
    const unsigned = await runCli(['--stream', stream, '--endpoint', t.url], { PATH: process.env['PATH'], AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' });
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /MissingAuthenticationTokenException/);
    for (const args of [['--endpoint', t.url], ['--stream', 'a', '--stream-arn', 'b'], ['--stream', 'a', '--start', 'yesterday'], ['--stream', 'a', '--start', '20', '--end', '10']]) {
      const usage = await runCli(args);
      assert.equal(usage.code, 2, `${args.join(' ')}: ${usage.stderr}`);
    }
  });
});
