/**
 * `openkvs get-images` as a user runs it: a child process against a secured openkvs in this
 * process (its SigV4 signing checked too), following NextToken across pages and writing one file
 * per sample that has an image, named by its instant.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isolatedAwsEnv, runOpenkvs, securedServerWithRecording, type SecuredRecording } from '../helpers/cli.js';
import { decodeImage, skipWithoutFfmpegInCi } from '../helpers/images.js';
import { TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { fixturePath } from '../unit/formats/isobmff/mkv-source.js';

const START_SECONDS = 1_700_000_000;
const ENV = isolatedAwsEnv(TEST_CREDENTIALS);

function runCli(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return runOpenkvs(['get-images', ...args], { env });
}

describe('openkvs get-images', { skip: skipWithoutFfmpegInCi, timeout: 120_000 }, () => {
  let t: TestServer;
  let dir = '';
  let recording: SecuredRecording | undefined;
  before(async () => {
    recording = await securedServerWithRecording(fixturePath('h264.mkv'), START_SECONDS, 'openkvs-cli-images-');
    ({ t, dir } = recording);
  });
  after(() => recording?.dispose());

  test('writes one file per sample with an image, across pages, named by its instant', async () => {
    const out = path.join(dir, 'jpeg');
    const end = new Date((START_SECONDS + 8) * 1000).toISOString();
    const result = await runCli(['--stream', 'cam', '--start', String(START_SECONDS - 1), '--end', end, '--interval', '200', '--height', '60', '-o', out, '--endpoint', t.url]);
    assert.equal(result.code, 0, result.stderr);
    // -1 s to 8 s every 200 ms: 45 samples (two pages), images for [0, 6): 30.
    assert.match(result.stderr, /30 images written to .*, 15 NO_MEDIA/);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 30);
    assert.equal(files[0], '2023-11-14T22-13-20.000Z.jpg');
    assert.equal(files[29], '2023-11-14T22-13-25.800Z.jpg');
    const image = decodeImage(readFileSync(path.join(out, files[0]!)));
    assert.deepEqual([image.width, image.height], [80, 60]);
  });

  test('PNG with both sizes', async () => {
    const out = path.join(dir, 'png');
    const result = await runCli(['--stream', 'cam', '--start', String(START_SECONDS), '--end', String(START_SECONDS + 1), '--format', 'PNG', '--width', '32', '--height', '32', '-o', out, '--endpoint', t.url]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(out), ['2023-11-14T22-13-20.000Z.png']);
    assert.deepEqual(readFileSync(path.join(out, '2023-11-14T22-13-20.000Z.png')).subarray(16, 24), Buffer.from([0, 0, 0, 32, 0, 0, 0, 32]));
  });

  test('a refusal exits 1 naming the AWS error; usage errors exit 2', async () => {
    const long = await runCli(['--stream', 'cam', '--start', '1', '--end', '400', '-o', path.join(dir, 'x'), '--endpoint', t.url]);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /InvalidArgumentException \(HTTP 400\)/);
    const missing = await runCli(['--stream', 'nope', '--start', '1', '--end', '2', '-o', path.join(dir, 'x'), '--endpoint', t.url]);
    assert.match(missing.stderr, /ResourceNotFoundException \(HTTP 404\)/);
    for (const args of [['--start', '1', '--end', '2', '-o', 'x'], ['--stream', 'cam', '--start', 'later', '--end', '2', '-o', 'x'], ['--stream', 'cam', '--start', '1', '--end', '2', '--interval', 'fast', '-o', 'x'], ['--stream', 'cam', '--start', '1', '--end', '2', '--format', 'GIF', '-o', 'x']]) {
      assert.equal((await runCli([...args, '--endpoint', t.url])).code, 2, args.join(' '));
    }
  });
});
