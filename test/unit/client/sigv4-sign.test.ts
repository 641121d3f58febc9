/**
 * The signer against AWS's published SigV4 examples, and against our own verifier in the shape
 * Amazon's C producer signs PutMedia (every header signed, empty-string payload hash).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signRequest, type AwsCredentials } from '../../../src/client/sigv4-sign.js';
import { verifySigV4, type SigV4Request } from '../../../src/http/sigv4.js';
import { InvalidSignatureException } from '../../../src/domain/errors.js';

const EXAMPLE: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AUG_30_2015 = Date.UTC(2015, 7, 30, 12, 36, 0);
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('signRequest: AWS published examples', () => {
  test('IAM ListUsers (AWS General Reference, "Signature Version 4 signing process" example)', () => {
    const headers = signRequest(
      {
        method: 'GET',
        path: '/',
        query: [['Action', 'ListUsers'], ['Version', '2010-05-08']],
        headers: { Host: 'iam.amazonaws.com', 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      },
      { credentials: EXAMPLE, region: 'us-east-1', service: 'iam', nowMs: AUG_30_2015 },
    );
    assert.equal(headers['x-amz-date'], '20150830T123600Z');
    assert.equal(
      headers['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  test('get-vanilla (AWS SigV4 test suite)', () => {
    const headers = signRequest(
      { method: 'GET', path: '/', headers: { host: 'example.amazonaws.com' } },
      { credentials: EXAMPLE, region: 'us-east-1', service: 'service', nowMs: AUG_30_2015 },
    );
    assert.equal(
      headers['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  test('refuses to sign without a host header', () => {
    assert.throws(() => signRequest({ method: 'GET', path: '/', headers: {} }, { credentials: EXAMPLE, region: 'us-east-1', nowMs: NOW }), /host/);
  });
});

describe('signRequest: PutMedia as the C producer signs it, checked by verifySigV4', () => {
  const putMediaHeaders = {
    host: 's-670061c1.kinesisvideo.us-west-2.amazonaws.com',
    'user-agent': 'openkvs-client/0.1.0',
    connection: 'keep-alive',
    'transfer-encoding': 'chunked',
    'x-amzn-stream-name': 'cam 1',
    'x-amzn-fragment-timecode-type': 'RELATIVE',
    'x-amzn-producer-start-timestamp': '1795278847.812',
    'x-amzn-fragment-acknowledgment-required': '1',
  };
  const lookup = (id: string) => (id === EXAMPLE.accessKeyId ? { secretAccessKey: EXAMPLE.secretAccessKey, sessionToken: 'token/+=' } : undefined);
  const received = (headers: Record<string, string>): SigV4Request => ({ method: 'POST', rawPath: '/putMedia', rawQuery: '', headers, bodySha256: 'streaming' });
  const sign = () =>
    signRequest(
      { method: 'POST', path: '/putMedia', headers: putMediaHeaders },
      { credentials: { ...EXAMPLE, sessionToken: 'token/+=' }, region: 'us-west-2', nowMs: NOW },
    );

  test('signs every header, including connection and transfer-encoding, and no payload-hash header', () => {
    const headers = sign();
    assert.match(
      headers['authorization'] ?? '',
      /SignedHeaders=connection;host;transfer-encoding;user-agent;x-amz-date;x-amz-security-token;x-amzn-fragment-acknowledgment-required;x-amzn-fragment-timecode-type;x-amzn-producer-start-timestamp;x-amzn-stream-name,/,
    );
    assert.match(headers['authorization'] ?? '', /Credential=AKIDEXAMPLE\/20260115\/us-west-2\/kinesisvideo\/aws4_request/);
    assert.equal(headers['x-amz-content-sha256'], undefined);
    assert.equal(headers['x-amz-security-token'], 'token/+=');
  });

  test('verifySigV4 accepts it as a streamed body (empty-string payload hash)', () => {
    assert.deepEqual(verifySigV4(received(sign()), lookup, NOW), { accessKeyId: 'AKIDEXAMPLE', region: 'us-west-2' });
  });

  test('verifySigV4 still accepts it after HTTP/2 dropped connection and transfer-encoding', () => {
    const { connection: _c, 'transfer-encoding': _t, ...rest } = sign();
    verifySigV4(received(rest), lookup, NOW);
  });

  test('verifySigV4 rejects it once a signed header changed', () => {
    const tampered = { ...sign(), 'x-amzn-stream-name': 'cam 2' };
    assert.throws(() => verifySigV4(received(tampered), lookup, NOW), InvalidSignatureException);
  });
});
