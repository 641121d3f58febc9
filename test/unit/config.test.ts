import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_PORT, isLoopbackHost, listenUrl, resolveOptions } from '../../src/config.js';

describe('resolveOptions', () => {
  test('defaults: loopback, default port, embedded storage under ./data', () => {
    const o = resolveOptions({});
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, DEFAULT_PORT);
    assert.equal(o.dataDir, path.resolve('data'));
    assert.equal(o.indexUrl, `sqlite://${path.resolve('data', 'index.sqlite')}`);
    assert.equal(o.storageUrl, `file://${path.resolve('data', 'fragments')}`);
    assert.equal(o.region, 'us-east-1');
    assert.equal(o.accountId, '000000000000');
    assert.equal(o.credentialsFile, undefined);
    assert.equal(o.publicUrl, undefined);
  });

  test('a non-loopback bind needs credentials or --insecure', () => {
    assert.throws(() => resolveOptions({ host: '0.0.0.0' }), ConfigError);
    assert.throws(() => resolveOptions({ host: '192.0.2.10' }), /refusing to listen on 192.0.2.10/);
    assert.equal(resolveOptions({ host: '0.0.0.0', insecure: true }).host, '0.0.0.0');
    assert.equal(resolveOptions({ host: '0.0.0.0', insecure: 'true' }).insecure, true);
    assert.equal(resolveOptions({ host: '0.0.0.0', credentialsFile: '/etc/openkvs/credentials' }).host, '0.0.0.0');
  });

  test('bad values name their option', () => {
    assert.throws(() => resolveOptions({ port: '70000' }), /--port/);
    assert.throws(() => resolveOptions({ port: 'abc' }), /--port/);
    assert.throws(() => resolveOptions({ accountId: '12' }), /--account-id/);
    assert.throws(() => resolveOptions({ region: 'Mars' }), /--region/);
    assert.throws(() => resolveOptions({ publicUrl: 'ftp://x' }), /--public-url/);
    assert.throws(() => resolveOptions({ publicUrl: 'http://x:1/path' }), /no path/);
    assert.throws(() => resolveOptions({ logLevel: 'loud' }), /--log-level/);
  });

  test('S3 options: validated, and only with s3:// storage', () => {
    const s3 = { storageUrl: 's3://bucket/prefix' };
    assert.deepEqual(resolveOptions(s3).s3, {
      endpoint: undefined,
      region: undefined,
      forcePathStyle: undefined,
      checksum: undefined,
      requestTimeoutMs: undefined,
    });
    assert.deepEqual(
      resolveOptions({
        ...s3,
        s3Endpoint: 'http://127.0.0.1:7480',
        s3Region: 'eu-west-1',
        s3ForcePathStyle: true,
        s3Checksum: 'when-required',
        s3RequestTimeout: '2500',
      }).s3,
      { endpoint: 'http://127.0.0.1:7480', region: 'eu-west-1', forcePathStyle: true, checksum: 'when-required', requestTimeoutMs: 2500 },
    );
    assert.throws(() => resolveOptions({ ...s3, s3RequestTimeout: '0' }), /--s3-request-timeout/);
    assert.throws(() => resolveOptions({ ...s3, s3RequestTimeout: '1.5' }), /--s3-request-timeout/);
    assert.equal(resolveOptions({ ...s3, s3ForcePathStyle: 'false' }).s3.forcePathStyle, false);
    assert.equal(resolveOptions({ ...s3, s3ForcePathStyle: 'true' }).s3.forcePathStyle, true);
    assert.throws(() => resolveOptions({ ...s3, s3Endpoint: 'ftp://x' }), /--s3-endpoint must be http/);
    assert.throws(() => resolveOptions({ ...s3, s3Endpoint: 'not a url' }), /--s3-endpoint is not a URL/);
    assert.throws(() => resolveOptions({ ...s3, s3Region: 'Bad Region' }), /--s3-region/);
    assert.throws(() => resolveOptions({ ...s3, s3Checksum: 'always' }), /--s3-checksum must be one of when-supported, when-required/);
    assert.throws(() => resolveOptions({ s3Endpoint: 'http://127.0.0.1:7480' }), /--s3-\* options need an s3:\/\/ --storage URL/);
  });

  test('--cors-origins: * by default, or a list of origins normalised as browsers send Origin', () => {
    assert.equal(resolveOptions({}).corsOrigins, '*');
    assert.equal(resolveOptions({ corsOrigins: ' * ' }).corsOrigins, '*');
    assert.deepEqual(resolveOptions({ corsOrigins: 'https://a.example:8443, http://LOCALHOST:80/,https://b.example:443' }).corsOrigins, [
      'https://a.example:8443',
      'http://localhost',
      'https://b.example',
    ]);
    for (const bad of ['a.example', 'ftp://a.example', 'https://a.example/app', 'https://a.example?x', 'https://u:p@a.example', 'https://a.example,', '*,https://a.example', 'https://a.example#']) {
      assert.throws(() => resolveOptions({ corsOrigins: bad }), (err: unknown) => err instanceof ConfigError && /^--cors-origins: /.test(err.message), bad);
    }
  });

  test('the public URL is normalised to an origin without a trailing slash', () => {
    assert.equal(resolveOptions({ publicUrl: 'https://kvs.example.com/' }).publicUrl, 'https://kvs.example.com');
  });
});

describe('hosts and URLs', () => {
  test('loopback detection', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) assert.ok(!isLoopbackHost(host), host);
  });

  test('listen URLs bracket IPv6 and show wildcard binds as loopback', () => {
    assert.equal(listenUrl('127.0.0.1', 4570), 'http://127.0.0.1:4570');
    assert.equal(listenUrl('::1', 80), 'http://[::1]:80');
    assert.equal(listenUrl('0.0.0.0', 1), 'http://127.0.0.1:1');
  });
});
