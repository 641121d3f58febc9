/**
 * The package's own PutMedia client and `openkvs put-media` against a real openkvs in secured
 * mode: SigV4 the way Amazon's C producer signs PutMedia, verified by the server.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { putMedia, PutMediaHttpError } from '../../src/client/index.js';
import { mkvinfoClusters, MKVINFO } from '../helpers/mkvinfo.js';
import { REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/h264-aac.mkv');

describe('the openkvs PutMedia client against a secured openkvs', { skip: skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)') }, () => {
  let t: TestServer;
  const clusters = () => mkvinfoClusters(FIXTURE).length;
  before(async () => {
    const credentialsFile = path.join(tmpdir(), `openkvs-client-credentials-${process.pid}`);
    await writeFile(credentialsFile, `[cam]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
    t = await startTestServer({ credentialsFile });
    await t.control().send(new CreateStreamCommand({ StreamName: 'client-cam', DataRetentionInHours: 24 }));
  });
  after(() => t?.dispose());

  test('a signed session gets every fragment PERSISTED, acks typed', async () => {
    const session = putMedia({
      endpoint: t.url,
      streamName: 'client-cam',
      body: createReadStream(FIXTURE),
      timecodeType: 'RELATIVE',
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    });
    const types: string[] = [];
    for await (const ack of session) types.push(ack.type);
    const summary = await session.done;
    assert.equal(summary.signed, true);
    assert.equal(summary.bodyComplete, true);
    assert.equal(summary.fragments.persisted, clusters());
    assert.equal(types.filter((type) => type === 'PERSISTED').length, clusters());
    assert.deepEqual(summary.errors, []);
  });

  test('a wrong secret is refused with 403 before any media is accepted', async () => {
    const session = putMedia({
      endpoint: t.url,
      streamName: 'client-cam',
      body: createReadStream(FIXTURE),
      region: 'us-east-1',
      credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' },
    });
    const err = await session.done.then(
      () => assert.fail('expected a 403'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PutMediaHttpError);
    assert.equal(err.statusCode, 403);
    assert.equal(err.errorType, 'InvalidSignatureException');
  });

  test('`openkvs put-media` streams a file and exits 0 once every fragment is PERSISTED', async () => {
    const { stdout } = await run(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/openkvs.cjs'), 'put-media', '--stream', 'client-cam', '--endpoint', t.url, '--timecode-type', 'RELATIVE', '--json', FIXTURE],
      {
        env: {
          PATH: process.env['PATH'],
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    );
    const acks = stdout.trim().split('\n').map((line) => JSON.parse(line) as { EventType?: string; type?: string });
    assert.equal(acks.filter((a) => (a.EventType ?? a.type) === 'PERSISTED').length, clusters(), stdout);
  });
});
