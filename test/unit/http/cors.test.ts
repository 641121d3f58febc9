import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { CORS_ALLOWED_HEADERS, createCors } from '../../../src/http/cors.js';

/** A request with the given headers and a response that records what was written. */
function exchange(headers: Record<string, string>): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  req.method = 'OPTIONS';
  const res = new ServerResponse(req);
  return { req, res };
}

describe('createCors', () => {
  test('* : every answer allows any origin and exposes the headers SDKs read', () => {
    const { req, res } = exchange({ origin: 'http://page.example' });
    createCors('*').decorate(req, res);
    assert.equal(res.getHeader('access-control-allow-origin'), '*');
    assert.equal(res.getHeader('vary'), undefined);
    const exposed = String(res.getHeader('access-control-expose-headers')).toLowerCase().split(', ');
    for (const name of ['x-amzn-requestid', 'x-amz-requestid', 'x-amzn-errortype', 'date']) assert.ok(exposed.includes(name), name);
  });

  test('a list echoes a listed Origin with Vary: Origin, and allows nothing to another', () => {
    const cors = createCors(['https://a.example', 'http://127.0.0.1:8080']);
    const listed = exchange({ origin: 'http://127.0.0.1:8080' });
    cors.decorate(listed.req, listed.res);
    assert.equal(listed.res.getHeader('access-control-allow-origin'), 'http://127.0.0.1:8080');
    assert.equal(listed.res.getHeader('vary'), 'Origin');
    const other = exchange({ origin: 'https://evil.example' });
    cors.decorate(other.req, other.res);
    assert.equal(other.res.getHeader('access-control-allow-origin'), undefined);
    assert.equal(other.res.getHeader('access-control-expose-headers'), undefined);
    assert.equal(other.res.getHeader('vary'), 'Origin');
  });

  test('preflights: 204 with methods, the SDK headers and Max-Age; 403 for an origin not listed', () => {
    const cors = createCors(['https://a.example']);
    const ok = exchange({ origin: 'https://a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-amz-date' });
    cors.preflight(ok.req, ok.res, ['POST']);
    assert.equal(ok.res.statusCode, 204);
    assert.equal(ok.res.getHeader('access-control-allow-methods'), 'POST, OPTIONS');
    const allowed = String(ok.res.getHeader('access-control-allow-headers')).split(', ');
    assert.deepEqual(allowed, CORS_ALLOWED_HEADERS);
    for (const name of ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-user-agent', 'x-amz-content-sha256', 'amz-sdk-invocation-id', 'amz-sdk-request']) {
      assert.ok(allowed.includes(name), name);
    }
    assert.equal(ok.res.getHeader('access-control-max-age'), '7200');
    const refused = exchange({ origin: 'https://b.example', 'access-control-request-method': 'POST' });
    cors.preflight(refused.req, refused.res, ['GET', 'HEAD']);
    assert.equal(refused.res.statusCode, 403);
    assert.equal(refused.res.getHeader('access-control-allow-methods'), undefined);
    assert.equal(refused.res.getHeader('allow'), 'GET, HEAD, OPTIONS');
  });
});
