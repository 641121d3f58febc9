/**
 * `openkvs put-media` as a user runs it: a child process against a fake PutMedia endpoint in this
 * process, checked by exit code, stdout (--json) and stderr.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { verifySigV4 } from '../../src/http/sigv4.js';
import { ackLine, acksPerCluster, fragmentNumber, readAll, startFakeServer, type FakeServer } from '../helpers/fake-put-media.js';
import { outlineMkv } from '../helpers/mkv-outline.js';
import { REPO_ROOT } from '../helpers/process.js';
import { isolatedAwsEnv, runOpenkvs } from '../helpers/cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
const H264_AAC = path.join(FIXTURES, 'h264-aac.mkv');
const KEY = { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'cli-test-secret' };

const BASE_ENV = isolatedAwsEnv(KEY);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the fake server answering the child lives in this process. */
async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: Buffer } = {}): Promise<CliResult> {
  const run = await runOpenkvs(['put-media', ...args], { env: { ...BASE_ENV, ...options.env }, ...(options.stdin ? { stdin: options.stdin } : {}) });
  return { ...run, stdout: run.stdout.toString() };
}

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Parameters<typeof startFakeServer>[0]): Promise<string> {
  server = await startFakeServer(handler);
  return server.url;
}

describe('openkvs put-media', { timeout: 60_000 }, () => {
  test('--json: every ack on stdout as received; exit 0 when all fragments are persisted', async () => {
    let request: { headers: IncomingMessage['headers']; body: Buffer } | undefined;
    const endpoint = await serve(acksPerCluster({ onRequest: (req, body) => (request = { headers: req.headers, body }) }));
    const run = await runCli(['--stream', 'cam1', '--endpoint', endpoint, '--json', '--timecode-type', 'RELATIVE', '--producer-start-timestamp', '1700000000.5', H264_AAC]);
    assert.equal(run.code, 0, run.stderr);
    const acks = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      acks.map((a) => `${a['EventType']}@${a['FragmentTimecode']}`),
      ['BUFFERING@0', 'RECEIVED@0', 'PERSISTED@0', 'BUFFERING@2000', 'RECEIVED@2000', 'PERSISTED@2000', 'BUFFERING@4000', 'RECEIVED@4000', 'PERSISTED@4000'],
    );
    assert.equal(acks[0]?.['FragmentNumber'], fragmentNumber(0));
    assert.match(run.stderr, /3 of 3 fragments persisted, 0 ERROR acks/);

    assert.ok(request);
    assert.deepEqual(request.body, readFileSync(H264_AAC));
    assert.equal(request.headers['x-amzn-stream-name'], 'cam1');
    assert.equal(request.headers['x-amzn-fragment-timecode-type'], 'RELATIVE');
    assert.equal(request.headers['x-amzn-producer-start-timestamp'], '1700000000.500');
    const lookup = (id: string) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey } : undefined);
    verifySigV4({ method: 'POST', rawPath: '/putMedia', rawQuery: '', headers: request.headers, bodySha256: 'streaming' }, lookup, Date.now());
  });

  test('stdin (-), --stream-arn, and the endpoint from OPENKVS_ENDPOINT ahead of the AWS variables', async () => {
    let request: { headers: IncomingMessage['headers']; body: Buffer } | undefined;
    const endpoint = await serve(acksPerCluster({ onRequest: (req, body) => (request = { headers: req.headers, body }) }));
    const arn = 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam1/1';
    const stdin = readFileSync(path.join(FIXTURES, 'h264-unknown-size.mkv'));
    const env = { OPENKVS_ENDPOINT: endpoint, AWS_ENDPOINT_URL_KINESIS_VIDEO: 'http://127.0.0.1:9', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const run = await runCli(['--stream-arn', arn, '-'], { env, stdin });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'without --json nothing goes to stdout');
    assert.deepEqual(request?.body, stdin);
    assert.equal(request?.headers['x-amzn-stream-arn'], arn);
  });

  test('AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, when OPENKVS_ENDPOINT is unset', async () => {
    const endpoint = await serve(acksPerCluster());
    const first = await runCli(['--stream', 'a', H264_AAC], { env: { AWS_ENDPOINT_URL_KINESIS_VIDEO: endpoint, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['--stream', 'a', H264_AAC], { env: { AWS_ENDPOINT_URL: endpoint } });
    assert.equal(second.code, 0, second.stderr);
  });

  test('an ERROR ack: exit 1, with ErrorId and ErrorCode on stderr', async () => {
    const endpoint = await serve((req, res) => {
      void readAll(req).then(() => {
        res.writeHead(200);
        res.write(ackLine({ EventType: 'BUFFERING', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0) }));
        res.end(ackLine({ EventType: 'ERROR', FragmentTimecode: 0, FragmentNumber: fragmentNumber(0), ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA' }));
      });
    });
    const run = await runCli(['--stream', 'cam1', '--endpoint', endpoint, '--json', path.join(FIXTURES, 'err-4006-garbage.mkv')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ErrorId 4006 ErrorCode INVALID_MKV_DATA/);
    assert.equal(run.stdout.trim().split('\n').length, 2);
  });

  test('a fragment never PERSISTED: exit 1 and says so', async () => {
    const endpoint = await serve(acksPerCluster({ acksFor: (i) => (i === 2 ? ['BUFFERING', 'RECEIVED'] : ['BUFFERING', 'RECEIVED', 'PERSISTED']) }));
    const run = await runCli(['--stream', 'cam1', '--endpoint', endpoint, H264_AAC]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /2 of 3 fragments persisted/);
    assert.match(run.stderr, /1 fragments were never acked PERSISTED/);
  });

  test('HTTP 404: exit 1 with the AWS error name and message', async () => {
    const endpoint = await serve((_req, res) => {
      res.writeHead(404, { 'x-amzn-ErrorType': 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.kinesisvideo/' });
      res.end(JSON.stringify({ Message: 'The requested stream is not found or not active.' }));
    });
    const run = await runCli(['--stream', 'nope', '--endpoint', endpoint, H264_AAC]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ResourceNotFoundException \(HTTP 404\): The requested stream is not found or not active\./);
  });

  test('usage errors exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[H264_AAC], /exactly one of --stream and --stream-arn/],
      [['--stream', 'a', '--stream-arn', 'b', H264_AAC], /exactly one/],
      [['--stream', 'a', path.join(FIXTURES, 'missing.mkv')], /no such file/],
      [['--stream', 'a', '--endpoint', 'localhost:4570', H264_AAC], /--endpoint must be http\(s\)/],
      [['--stream', 'a', '--endpoint', '::', H264_AAC], /--endpoint is not a URL/],
      [['--stream', 'a', '--timecode-type', 'absolute', H264_AAC], /Allowed choices are ABSOLUTE, RELATIVE/],
      [['--stream', 'a', '--producer-start-timestamp', 'yesterday', H264_AAC], /epoch seconds/],
      [['--stream', 'a'], /missing required argument 'file'/],
      [['--stream', 'a', '--bogus', H264_AAC], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });

  test('--realtime: each Cluster goes out when its timecode is due', async () => {
    const file = path.join(FIXTURES, 'h264.mkv');
    const clusterOffsets = outlineMkv(readFileSync(file)).clusters.map((c) => c.offset);
    const arrivals: number[] = [];
    const endpoint = await serve((req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        while (arrivals.length < clusterOffsets.length && received > clusterOffsets[arrivals.length]!) arrivals.push(Date.now());
      });
      req.on('end', () => {
        res.writeHead(200);
        clusterOffsets.forEach((_, i) => res.write(ackLine({ EventType: 'PERSISTED', FragmentTimecode: i * 2000, FragmentNumber: fragmentNumber(i) })));
        res.end();
      });
    });
    const run = await runCli(['--stream', 'cam1', '--endpoint', endpoint, '--realtime', file]);
    assert.equal(run.code, 0, run.stderr);
    const sinceFirst = arrivals.map((t) => t - arrivals[0]!);
    assert.equal(sinceFirst.length, 3);
    assert.ok(sinceFirst[1]! >= 1900 && sinceFirst[1]! < 3000, `second Cluster after ${sinceFirst[1]} ms`);
    assert.ok(sinceFirst[2]! >= 3900 && sinceFirst[2]! < 5000, `third Cluster after ${sinceFirst[2]} ms`);
  });
});
