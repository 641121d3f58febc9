/**
 * CORS over HTTP, as a browser exercises it: preflights on every API path (PutMedia and
 * unimplemented operations included) and playback path are answered without credentials, even in
 * secured mode; every answer, errors included, lets the page read it and the headers SDKs read;
 * `--cors-origins` with a list echoes a listed Origin and refuses others.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

const PAGE = 'http://127.0.0.1:9';

function preflight(url: string, origin = PAGE, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,x-amz-date,amz-sdk-request' },
  });
}

const exposed = (res: Response) => (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
const errorType = (res: Response) => res.headers.get('x-amzn-errortype')?.split(':')[0];

describe('CORS, secured mode, default origins', () => {
  let kvs: TestServer;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openkvs-cors-'));
    const credentialsFile = join(dir, 'credentials');
    await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
    kvs = await startTestServer({ credentialsFile });
  });
  after(async () => {
    await kvs?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('preflights of API paths are answered before authentication', async () => {
    for (const path of ['/getDataEndpoint', '/createStream', '/listFragments', '/getHLSStreamingSessionURL', '/getMedia', '/putMedia', '/createSignalingChannel']) {
      const res = await preflight(`${kvs.url}${path}`);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(res.headers.get('access-control-allow-methods'), 'POST, OPTIONS', path);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(', ');
      for (const name of ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-user-agent', 'x-amz-content-sha256', 'amz-sdk-invocation-id', 'amz-sdk-request']) {
        assert.ok(allowed.includes(name), `${path}: ${name}`);
      }
      assert.equal(res.headers.get('access-control-max-age'), '7200', path);
    }
  });

  test('preflights of playback paths allow GET and HEAD', async () => {
    const res = await preflight(`${kvs.url}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x`, PAGE, 'GET');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('an unknown path is no preflight: 404, still readable by the page', async () => {
    const res = await preflight(`${kvs.url}/noSuchOperation`);
    assert.equal(res.status, 404);
    assert.equal(errorType(res), 'UnknownOperationException');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('refusals, 501s and PutMedia errors carry the headers that name the error', async () => {
    const unsigned = await fetch(`${kvs.url}/listStreams`, { method: 'POST', body: '{}', headers: { origin: PAGE } });
    assert.equal(unsigned.status, 403);
    const putMedia = await fetch(`${kvs.url}/putMedia`, { method: 'POST', body: '', headers: { origin: PAGE } });
    assert.equal(putMedia.status, 403);
    for (const res of [unsigned, putMedia]) {
      assert.equal(errorType(res), 'MissingAuthenticationTokenException');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      for (const name of ['x-amzn-errortype', 'x-amzn-requestid', 'x-amz-requestid']) assert.ok(exposed(res).includes(name), name);
    }
  });
});

describe('CORS, --cors-origins with a list', () => {
  let kvs: TestServer;
  before(async () => {
    kvs = await startTestServer({ corsOrigins: `https://dashboard.example,${PAGE}` });
  });
  after(() => kvs?.dispose());

  test('a listed origin is echoed, with Vary: Origin', async () => {
    const pre = await preflight(`${kvs.url}/listStreams`);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), PAGE);
    const res = await fetch(`${kvs.url}/listStreams`, { method: 'POST', body: '{}', headers: { origin: PAGE } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
    assert.equal(res.headers.get('vary'), 'Origin');
    const unsupported = await fetch(`${kvs.url}/createSignalingChannel`, { method: 'POST', body: '{}', headers: { origin: PAGE } });
    assert.equal(unsupported.status, 501);
    assert.equal(unsupported.headers.get('access-control-allow-origin'), PAGE);
  });

  test('another origin: preflight refused, answers unreadable (no Allow-Origin)', async () => {
    const pre = await preflight(`${kvs.url}/listStreams`, 'https://other.example');
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-headers'), null);
    const res = await fetch(`${kvs.url}/listStreams`, { method: 'POST', body: '{}', headers: { origin: 'https://other.example' } });
    assert.equal(res.status, 200, 'CORS is not authorization: the server answers, the browser hides it');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('vary'), 'Origin');
  });
});
