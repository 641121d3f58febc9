/**
 * The verifier is checked against requests signed by @smithy/signature-v4 (the signer the AWS JS SDK
 * uses) and, for the C producer's shape, by an independent node:crypto signer written from the spec.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { verifySigV4, type SecretLookup, type SigV4Request } from '../../../src/http/sigv4.js';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../../../src/domain/errors.js';

const ACCESS_KEY_ID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'FwoGZXIvYXdzEBYaDH+session/token==';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const SIGNED_AT = new Date(NOW);
const MINUTE = 60_000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

type Outgoing = {
  method: string;
  protocol: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
  query?: Record<string, string | string[]>;
  body?: unknown;
};

function signer(options: { service?: string; sessionToken?: string; applyChecksum?: boolean } = {}) {
  return new SignatureV4({
    service: options.service ?? 'kinesisvideo',
    region: 'us-west-2',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: options.sessionToken },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: options.applyChecksum ?? true,
  });
}

const lookupWith =
  (entry: { secretAccessKey: string; sessionToken?: string }): SecretLookup =>
  (id) =>
    id === ACCESS_KEY_ID ? entry : undefined;
const lookup = lookupWith({ secretAccessKey: SECRET });

const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

function jsonPost(path: string, body: string, extraHeaders: Record<string, string> = {}): Outgoing {
  return {
    method: 'POST',
    protocol: 'https:',
    hostname: 'kinesisvideo.us-west-2.amazonaws.com',
    path,
    headers: { host: 'kinesisvideo.us-west-2.amazonaws.com', 'content-type': 'application/json', ...extraHeaders },
    body,
  };
}

/** What the server sees: the wire query (plain encodeURIComponent, unsorted) and lower-case headers. */
function received(signed: { method: string; path: string; headers: Record<string, string>; query?: unknown }, bodySha256: string): SigV4Request {
  const query = (signed.query ?? {}) as Record<string, string | string[]>;
  const rawQuery = Object.entries(query)
    .reverse()
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`))
    .join('&');
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: signed.method, rawPath: signed.path, rawQuery, headers, bodySha256 };
}

async function signedJsonPost(body = '{"StreamName":"my-stream"}') {
  const signed = await signer().sign(jsonPost('/describeStream', body), { signingDate: SIGNED_AT });
  return received(signed, sha256Hex(body));
}

function withHeaders(req: SigV4Request, changes: Record<string, string | undefined>): SigV4Request {
  return { ...req, headers: { ...req.headers, ...changes } };
}

function assertRejects(fn: () => unknown, type: new (...args: never[]) => Error, message?: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('verifySigV4: header form signed by @smithy/signature-v4', () => {
  it('accepts a JSON POST (x-amz-content-sha256 signed) and returns key and region', async () => {
    const req = await signedJsonPost();
    assert.ok(typeof req.headers['x-amz-content-sha256'] === 'string');
    assert.deepEqual(verifySigV4(req, lookup, NOW), { accessKeyId: ACCESS_KEY_ID, region: 'us-west-2' });
  });

  it('accepts a JSON POST without x-amz-content-sha256, hashing the body', async () => {
    const body = '{"StreamName":"cam-1","MaxResults":5}';
    const signed = await signer({ applyChecksum: false }).sign(jsonPost('/listStreams', body), { signingDate: SIGNED_AT });
    assert.equal(signed.headers['x-amz-content-sha256'], undefined);
    verifySigV4(received(signed, sha256Hex(body)), lookup, NOW);
  });

  it('accepts a session-token request when the token matches', async () => {
    const signed = await signer({ sessionToken: SESSION_TOKEN }).sign(jsonPost('/describeStream', '{}'), { signingDate: SIGNED_AT });
    const tokenLookup = lookupWith({ secretAccessKey: SECRET, sessionToken: SESSION_TOKEN });
    verifySigV4(received(signed, sha256Hex('{}')), tokenLookup, NOW);
  });

  it('accepts a path whose segments need encoding, and unnormalized segments', async () => {
    const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const path = `/streams/${encode("my stream/ü(1)*!'~")}/./a//b/../c%2Bd/`;
    const headers = { 'x-amzn-note': '  spaced \t  out   value ' }; // canonical form collapses the runs
    const signed = await signer().sign(jsonPost(path, '{}', headers), { signingDate: SIGNED_AT });
    verifySigV4(received(signed, sha256Hex('{}')), lookup, NOW);
  });

  it('accepts a query string (repeated, unsorted, characters needing encoding)', async () => {
    const request: Outgoing = {
      ...jsonPost('/getHLSMasterPlaylist', ''),
      method: 'GET',
      body: undefined,
      query: { b: '2', a: ['x y', '1', 'Z'], 'c*': 'é~/+', Empty: '' },
    };
    const signed = await signer().sign(request, { signingDate: SIGNED_AT });
    const req = received(signed, EMPTY_SHA256);
    assert.match(req.rawQuery, /^Empty=&c\*=/);
    verifySigV4(req, lookup, NOW);
  });

  it('accepts Java-style STREAMING-AWS4-HMAC-SHA256-PAYLOAD for a streamed body', async () => {
    const request = jsonPost('/putMedia', '', { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' });
    const signed = await signer().sign({ ...request, body: undefined }, { signingDate: SIGNED_AT });
    verifySigV4(received(signed, 'streaming'), lookup, NOW);
  });

  it('accepts UNSIGNED-PAYLOAD declared in x-amz-content-sha256 whatever the body', async () => {
    const signed = await signer().sign(jsonPost('/putMedia', 'x', { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), { signingDate: SIGNED_AT });
    verifySigV4(received(signed, sha256Hex('anything')), lookup, NOW);
  });

  it('accepts requests up to 15 minutes early or late', async () => {
    const req = await signedJsonPost();
    verifySigV4(req, lookup, NOW + 15 * MINUTE);
    verifySigV4(req, lookup, NOW - 15 * MINUTE);
  });
});

describe('verifySigV4: presigned query form signed by @smithy/signature-v4', () => {
  const presignable = (): Outgoing => ({
    method: 'GET',
    protocol: 'wss:',
    hostname: 'm-1234.kinesisvideo.us-west-2.amazonaws.com',
    path: '/',
    headers: { host: 'm-1234.kinesisvideo.us-west-2.amazonaws.com' },
    query: { 'X-Amz-ChannelARN': 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1234567890' },
  });

  it('accepts a presigned URL (signed over the empty body)', async () => {
    const signed = await signer().presign(presignable(), { signingDate: SIGNED_AT, expiresIn: 300 });
    assert.equal(signed.headers['authorization'], undefined);
    assert.deepEqual(verifySigV4(received(signed, EMPTY_SHA256), lookup, NOW + 299_000), {
      accessKeyId: ACCESS_KEY_ID,
      region: 'us-west-2',
    });
  });

  it('accepts a presigned URL signed with UNSIGNED-PAYLOAD', async () => {
    const request = { ...presignable(), body: Readable.from([]) }; // smithy signs a stream body as UNSIGNED-PAYLOAD
    const signed = await signer().presign(request, { signingDate: SIGNED_AT, expiresIn: 300 });
    verifySigV4(received(signed, EMPTY_SHA256), lookup, NOW);
  });

  it('accepts a presigned URL with a session token', async () => {
    const signed = await signer({ sessionToken: SESSION_TOKEN }).presign(presignable(), { signingDate: SIGNED_AT });
    assert.equal((signed.query ?? {})['X-Amz-Security-Token'], SESSION_TOKEN);
    verifySigV4(received(signed, EMPTY_SHA256), lookupWith({ secretAccessKey: SECRET, sessionToken: SESSION_TOKEN }), NOW);
  });

  it('rejects a presigned URL once X-Amz-Expires has elapsed', async () => {
    const req = received(await signer().presign(presignable(), { signingDate: SIGNED_AT, expiresIn: 60 }), EMPTY_SHA256);
    verifySigV4(req, lookup, NOW + 60_000);
    assertRejects(
      () => verifySigV4(req, lookup, NOW + 61_000),
      InvalidSignatureException,
      /^Signature expired: 20260115T120000Z is now earlier than 20260115T120001Z \(20260115T120101Z - 60 sec\.\)$/,
    );
  });

  it('rejects a presigned URL dated more than 15 minutes ahead', async () => {
    const req = received(await signer().presign(presignable(), { signingDate: SIGNED_AT }), EMPTY_SHA256);
    assertRejects(() => verifySigV4(req, lookup, NOW - 16 * MINUTE), InvalidSignatureException, /^Signature not yet current/);
  });

  it('rejects a tampered query parameter', async () => {
    const req = received(await signer().presign(presignable(), { signingDate: SIGNED_AT }), EMPTY_SHA256);
    const tampered = { ...req, rawQuery: req.rawQuery.replace('channel%2Fdemo', 'channel%2Fother') };
    assert.notEqual(tampered.rawQuery, req.rawQuery);
    assertRejects(() => verifySigV4(tampered, lookup, NOW), InvalidSignatureException, /does not match/);
  });

  it('rejects X-Amz-Expires beyond a week and missing presign parameters', async () => {
    const req = received(await signer().presign(presignable(), { signingDate: SIGNED_AT }), EMPTY_SHA256);
    const longLived = { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801') };
    assert.notEqual(longLived.rawQuery, req.rawQuery);
    assertRejects(() => verifySigV4(longLived, lookup, NOW), IncompleteSignatureException, /X-Amz-Expires/);
    const noCredential = { ...req, rawQuery: req.rawQuery.replace(/X-Amz-Credential=[^&]*&?/, '') };
    assertRejects(() => verifySigV4(noCredential, lookup, NOW), IncompleteSignatureException, /'X-Amz-Credential'/);
  });
});

describe('verifySigV4: Amazon C producer PutMedia', () => {
  const producerHeaders = {
    host: 's-1234abcd.kinesisvideo.us-west-2.amazonaws.com', // no port, even though the URL has :443
    connection: 'keep-alive',
    'transfer-encoding': 'chunked',
    'user-agent': 'AWS-SDK-KVS-CPP-CLIENT/3.4.1 GCC/11.4.0 Linux/6.5.0 x86_64',
    'x-amzn-stream-name': 'my-stream',
    'x-amzn-fragment-timecode-type': 'ABSOLUTE',
    'x-amzn-producer-start-timestamp': '1768478400.000',
  };

  async function smithySignedPutMedia() {
    const request: Outgoing = { method: 'POST', protocol: 'https:', hostname: producerHeaders.host, path: '/putMedia', headers: { ...producerHeaders } };
    const signed = await signer({ applyChecksum: false }).sign(request, {
      signingDate: SIGNED_AT,
      signableHeaders: new Set(['connection', 'transfer-encoding', 'user-agent']),
    });
    assert.match(String(signed.headers['authorization']), /SignedHeaders=connection;host;transfer-encoding;user-agent;x-amz-date;/);
    assert.equal(signed.headers['x-amz-content-sha256'], undefined);
    return received(signed, 'streaming');
  }

  /** Written from the spec, independent of both smithy and the verifier. */
  function handSignedPutMedia(): SigV4Request {
    const amzDate = '20260115T120000Z';
    const headers: Record<string, string> = { ...producerHeaders, 'x-amz-date': amzDate };
    const names = Object.keys(headers).sort();
    const canonical = ['POST', '/putMedia', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), EMPTY_SHA256].join('\n');
    const scope = '20260115/us-west-2/kinesisvideo/aws4_request';
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
    let key: Buffer = Buffer.from(`AWS4${SECRET}`);
    for (const part of ['20260115', 'us-west-2', 'kinesisvideo', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    const signature = createHmac('sha256', key).update(toSign).digest('hex');
    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    return { method: 'POST', rawPath: '/putMedia', rawQuery: '', headers, bodySha256: 'streaming' };
  }

  it('accepts a streamed body signed over the empty payload (smithy-signed)', async () => {
    verifySigV4(await smithySignedPutMedia(), lookup, NOW);
  });

  it('accepts a streamed body signed over the empty payload (hand-signed from the spec)', () => {
    verifySigV4(handSignedPutMedia(), lookup, NOW);
  });

  it('accepts it over HTTP/2, where signed connection and transfer-encoding are gone', async () => {
    for (const req of [await smithySignedPutMedia(), handSignedPutMedia()]) {
      const { connection: _c, 'transfer-encoding': _t, host, ...rest } = req.headers;
      verifySigV4({ ...req, headers: { ...rest, host } }, lookup, NOW);
      verifySigV4({ ...req, headers: { ...rest, ':authority': host } }, lookup, NOW);
    }
  });

  it('rejects a changed stream name', () => {
    const req = withHeaders(handSignedPutMedia(), { 'x-amzn-stream-name': 'other-stream' });
    assertRejects(() => verifySigV4(req, lookup, NOW), InvalidSignatureException, /does not match/);
  });
});

describe('verifySigV4: rejections', () => {
  it('rejects a wrong secret (after accepting the right one: the key cache is per secret)', async () => {
    const req = await signedJsonPost();
    verifySigV4(req, lookup, NOW);
    assertRejects(
      () => verifySigV4(req, lookupWith({ secretAccessKey: 'not-the-secret' }), NOW),
      InvalidSignatureException,
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./,
    );
  });

  it('rejects an unknown access key', async () => {
    const req = await signedJsonPost();
    assertRejects(() => verifySigV4(req, () => undefined, NOW), UnrecognizedClientException, /^The security token included in the request is invalid\.$/);
  });

  it('rejects a body that is not the one signed (no x-amz-content-sha256)', async () => {
    const signed = await signer({ applyChecksum: false }).sign(jsonPost('/describeStream', '{"a":1}'), { signingDate: SIGNED_AT });
    assertRejects(() => verifySigV4(received(signed, sha256Hex('{"a":2}')), lookup, NOW), InvalidSignatureException, /does not match the signature/);
  });

  it('rejects a body whose hash differs from the signed x-amz-content-sha256', async () => {
    const req = await signedJsonPost('{"a":1}');
    assertRejects(
      () => verifySigV4({ ...req, bodySha256: sha256Hex('{"a":2}') }, lookup, NOW),
      InvalidSignatureException,
      /^The provided 'x-amz-content-sha256' header does not match what was computed\.$/,
    );
  });

  it('rejects a tampered x-amz-content-sha256 or other signed header value', async () => {
    const req = await signedJsonPost();
    for (const change of [{ 'x-amz-content-sha256': EMPTY_SHA256 }, { 'content-type': 'text/plain' }, { host: 'evil.example' }]) {
      assertRejects(() => verifySigV4(withHeaders(req, change), lookup, NOW), InvalidSignatureException, /does not match the signature/);
    }
  });

  it('rejects a request without any signature', async () => {
    const req = withHeaders(await signedJsonPost(), { authorization: undefined });
    assertRejects(() => verifySigV4(req, lookup, NOW), MissingAuthenticationTokenException, /^Missing Authentication Token$/);
  });

  it('rejects malformed Authorization headers as incomplete', async () => {
    const req = await signedJsonPost();
    const authorization = String(req.headers['authorization']);
    const cases: Array<[string, RegExp]> = [
      [authorization.replace(/, Signature=[0-9a-f]+/, ''), /^Authorization header requires 'Signature' parameter\./],
      [authorization.replace(/Credential=[^,]+, /, ''), /requires 'Credential' parameter/],
      [authorization.replace(/SignedHeaders=[^,]+, /, ''), /requires 'SignedHeaders' parameter/],
      ['garbage', /Unsupported Authorization algorithm 'garbage'/],
      [authorization.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'), /Unsupported Authorization algorithm/],
      [authorization.replace('/aws4_request', ''), /5 slash-delimited elements/],
      [authorization.replace('/aws4_request', '/aws5_request'), /valid terminator/],
      [authorization.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;x-amz-date'), /'Host' must be a signed header/],
    ];
    for (const [value, message] of cases) {
      assertRejects(() => verifySigV4(withHeaders(req, { authorization: value }), lookup, NOW), IncompleteSignatureException, message);
    }
  });

  it('rejects a missing x-amz-date or a signed header absent from the request as incomplete', async () => {
    const req = await signedJsonPost();
    assertRejects(() => verifySigV4(withHeaders(req, { 'x-amz-date': undefined }), lookup, NOW), IncompleteSignatureException, /X-Amz-Date/);
    assertRejects(
      () => verifySigV4(withHeaders(req, { 'content-type': undefined }), lookup, NOW),
      IncompleteSignatureException,
      /missing from the request: 'content-type'/,
    );
    assertRejects(() => verifySigV4(withHeaders(req, { 'x-amz-date': '2026-01-15T12:00:00Z' }), lookup, NOW), IncompleteSignatureException, /ISO-8601/);
  });

  it('rejects a request 16 minutes old as expired, 16 minutes ahead as not yet current', async () => {
    const req = await signedJsonPost();
    assertRejects(
      () => verifySigV4(req, lookup, NOW + 16 * MINUTE),
      InvalidSignatureException,
      /^Signature expired: 20260115T120000Z is now earlier than 20260115T120100Z \(20260115T121600Z - 15 min\.\)$/,
    );
    assertRejects(
      () => verifySigV4(req, lookup, NOW - 16 * MINUTE),
      InvalidSignatureException,
      /^Signature not yet current: 20260115T120000Z is still later than 20260115T115900Z \(20260115T114400Z \+ 15 min\.\)$/,
    );
  });

  it('rejects a credential scoped to another service', async () => {
    const signed = await signer({ service: 'kinesis' }).sign(jsonPost('/describeStream', '{}'), { signingDate: SIGNED_AT });
    assertRejects(() => verifySigV4(received(signed, sha256Hex('{}')), lookup, NOW), InvalidSignatureException, /^Credential should be scoped to correct service: 'kinesisvideo'\.$/);
  });

  it('rejects a credential scope date other than the x-amz-date day', async () => {
    const req = await signedJsonPost();
    const authorization = String(req.headers['authorization']).replace('/20260115/', '/20260114/');
    assertRejects(() => verifySigV4(withHeaders(req, { authorization }), lookup, NOW), InvalidSignatureException, /'20260114' != '20260115'/);
  });

  it('rejects a session token that differs or is missing', async () => {
    const tokenLookup = lookupWith({ secretAccessKey: SECRET, sessionToken: SESSION_TOKEN });
    const wrongToken = await signer({ sessionToken: 'another-token' }).sign(jsonPost('/describeStream', '{}'), { signingDate: SIGNED_AT });
    assertRejects(() => verifySigV4(received(wrongToken, sha256Hex('{}')), tokenLookup, NOW), UnrecognizedClientException);
    const noToken = await signedJsonPost('{}');
    assertRejects(() => verifySigV4(noToken, tokenLookup, NOW), UnrecognizedClientException);
  });
});
