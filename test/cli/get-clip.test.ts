/**
 * `openkvs get-clip` as a user runs it: a child process against a secured openkvs in this process
 * (so its SigV4 signing is checked too), the MP4 judged by ffmpeg against the ingested source.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { fixturePath, framemd5, skipWithoutFfmpeg } from '../unit/formats/isobmff/mkv-source.js';
import { isolatedAwsEnv, runOpenkvs, securedServerWithRecording, type SecuredRecording } from '../helpers/cli.js';

const START_SECONDS = 1_700_000_000;
const ENV = isolatedAwsEnv(TEST_CREDENTIALS);

function runCli(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return runOpenkvs(['get-clip', ...args], { env });
}

describe('openkvs get-clip', { skip: skipWithoutFfmpeg, timeout: 120_000 }, () => {
  let t: TestServer;
  let dir = '';
  let recording: SecuredRecording | undefined;
  before(async () => {
    recording = await securedServerWithRecording(fixturePath('h264-aac.mkv'), START_SECONDS, 'openkvs-cli-clip-');
    ({ t, dir } = recording);
  });
  after(() => recording?.dispose());

  test('writes the clip of the range to a file (epoch seconds and ISO-8601 both work)', async () => {
    const out = path.join(dir, 'out.mp4');
    const end = new Date((START_SECONDS + 10) * 1000).toISOString();
    const result = await runCli(['--stream', 'cam', '--start', String(START_SECONDS), '--end', end, '-o', out, '--endpoint', t.url]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /video\/mp4 written to/);
    for (const stream of ['v', 'a'] as const) {
      assert.deepEqual(framemd5(out, stream).map((p) => p.md5), framemd5(fixturePath('h264-aac.mkv'), stream).map((p) => p.md5));
    }
  });

  test('- writes to stdout', async () => {
    const result = await runCli(['--stream', 'cam', '--start', String(START_SECONDS), '--end', String(START_SECONDS + 10), '-o', '-', '--endpoint', t.url]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString('latin1', 4, 8), 'ftyp');
  });

  test('a refusal exits 1 naming the AWS error; a bad signature is refused; usage errors exit 2', async () => {
    const missing = await runCli(['--stream', 'nope', '--start', '1', '--end', '2', '-o', path.join(dir, 'x.mp4'), '--endpoint', t.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ResourceNotFoundException \(HTTP 404\)/);
    const wrongKey = await runCli(['--stream', 'cam', '--start', '1', '--end', '2', '-o', path.join(dir, 'x.mp4'), '--endpoint', t.url], { ...ENV, AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /HTTP 403/);
    for (const args of [['--start', '1', '--end', '2', '-o', 'x'], ['--stream', 'cam', '--start', 'later', '--end', '2', '-o', 'x'], ['--stream', 'cam', '--start', '5', '--end', '2', '-o', 'x']]) {
      assert.equal((await runCli([...args, '--endpoint', t.url])).code, 2, args.join(' '));
    }
  });
});
