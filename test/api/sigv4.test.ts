import { CreateStreamCommand, DescribeStreamCommand, ListStreamsCommand, type KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rejection, startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

const TOKEN_CREDENTIALS = { accessKeyId: 'ASIATEMPORARY', secretAccessKey: 'temporary-secret', sessionToken: 'session-token-1' };

async function writeCredentialsFile(): Promise<string> {
  const file = path.join(tmpdir(), `openkvs-credentials-${process.pid}-${Date.now()}`);
  await writeFile(
    file,
    [
      '[default]',
      `aws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}`,
      `aws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}`,
      '[temporary]',
      `aws_access_key_id = ${TOKEN_CREDENTIALS.accessKeyId}`,
      `aws_secret_access_key = ${TOKEN_CREDENTIALS.secretAccessKey}`,
      `aws_session_token = ${TOKEN_CREDENTIALS.sessionToken}`,
    ].join('\n'),
  );
  return file;
}

async function expect403(call: () => Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  const err = await rejection(call);
  assert.equal(err.name, name);
  assert.equal(err.$metadata?.httpStatusCode, 403);
  if (message) assert.match(err.message, message);
}

describe('secured mode: SigV4 on every request (real SDK signatures)', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  before(async () => {
    t = await startTestServer({ credentialsFile: await writeCredentialsFile() });
    kv = t.control();
    await kv.send(new CreateStreamCommand({ StreamName: 'secure' }));
  });
  after(() => t.dispose());

  test('a correctly signed SDK client works, with and without a session token', async () => {
    assert.equal((await kv.send(new DescribeStreamCommand({ StreamName: 'secure' }))).StreamInfo?.StreamName, 'secure');
    const temp = t.control(TOKEN_CREDENTIALS);
    assert.equal((await temp.send(new DescribeStreamCommand({ StreamName: 'secure' }))).StreamInfo?.StreamName, 'secure');
  });

  test('a wrong secret is InvalidSignatureException and changes nothing', async () => {
    const wrong = t.control({ ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' });
    await expect403(() => wrong.send(new CreateStreamCommand({ StreamName: 'sneaky' })), 'InvalidSignatureException', /signature we calculated does not match/);
    const names = (await kv.send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName);
    assert.deepEqual(names, ['secure']);
  });

  test('an unknown access key, or a wrong session token, is UnrecognizedClientException', async () => {
    await expect403(() => t.control({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }).send(new ListStreamsCommand({})), 'UnrecognizedClientException');
    await expect403(() => t.control({ ...TOKEN_CREDENTIALS, sessionToken: 'stolen' }).send(new ListStreamsCommand({})), 'UnrecognizedClientException');
  });

  test('an unsigned request is MissingAuthenticationTokenException', async () => {
    const res = await fetch(`${t.url}/listStreams`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], 'MissingAuthenticationTokenException');
  });

  test('a malformed Authorization header is IncompleteSignatureException', async () => {
    const res = await fetch(`${t.url}/listStreams`, {
      method: 'POST',
      body: '{}',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=garbage', 'x-amz-date': '20260101T000000Z' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], 'IncompleteSignatureException');
  });

  test('presigned URLs (query-string SigV4) are accepted, and refused once expired', async () => {
    const signer = new SignatureV4({ service: 'kinesisvideo', region: 'us-east-1', credentials: TEST_CREDENTIALS, sha256: Hash.bind(null, 'sha256') });
    const url = new URL(t.url);
    const body = '{"StreamName":"secure"}';
    const request = { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/describeStream', query: {}, headers: { host: url.host }, body };
    const fresh = await signer.presign(request, { expiresIn: 60 });
    const ok = await fetch(`${t.url}${fresh.path}?${new URLSearchParams(fresh.query as Record<string, string>)}`, { method: 'POST', body });
    assert.equal(ok.status, 200);
    const stale = await signer.presign(request, { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const expired = await fetch(`${t.url}${stale.path}?${new URLSearchParams(stale.query as Record<string, string>)}`, { method: 'POST', body });
    assert.equal(expired.status, 403);
    assert.equal(expired.headers.get('x-amzn-errortype')?.split(':')[0], 'InvalidSignatureException');
  });
});

describe('secured mode: request time is checked against the server clock', () => {
  let ahead: TestServer;
  let behind: TestServer;
  before(async () => {
    const credentialsFile = await writeCredentialsFile();
    ahead = await startTestServer({ credentialsFile }, { clock: { nowMs: () => Date.now() + 16 * 60_000 } });
    behind = await startTestServer({ credentialsFile }, { clock: { nowMs: () => Date.now() - 16 * 60_000 } });
  });
  after(async () => {
    await ahead.dispose();
    await behind.dispose();
  });

  test('a request signed more than 15 minutes ago is InvalidSignatureException (Signature expired)', async () => {
    await expect403(() => ahead.control().send(new ListStreamsCommand({})), 'InvalidSignatureException', /Signature expired/);
  });

  test('a request signed more than 15 minutes ahead is InvalidSignatureException (not yet current)', async () => {
    await expect403(() => behind.control().send(new ListStreamsCommand({})), 'InvalidSignatureException', /Signature not yet current/);
  });
});
