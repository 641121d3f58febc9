import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  ListStreamsCommand,
  TagStreamCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
  type KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- these requests are deliberately malformed */

describe('every model constraint is enforced with InvalidArgumentException naming the field', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  before(async () => {
    t = await startTestServer();
    kv = t.control();
    await kv.send(new CreateStreamCommand({ StreamName: 'valid' }));
  });
  after(() => t.dispose());

  // [what, the command, the text the message must contain]
  const cases: [string, () => any, RegExp][] = [
    ['required member missing', () => new CreateStreamCommand({} as any), /'StreamName' failed to satisfy constraint: Member must not be null/],
    ['string too long', () => new CreateStreamCommand({ StreamName: 'x'.repeat(257) }), /'StreamName'.*length less than or equal to 256/],
    ['string too short', () => new CreateStreamCommand({ StreamName: 'ok', DeviceName: '' }), /'DeviceName'.*length greater than or equal to 1/],
    ['pattern', () => new CreateStreamCommand({ StreamName: 'bad name!' }), /'StreamName'.*regular expression pattern: \[a-zA-Z0-9_.-\]\+/],
    ['pattern of a list', () => new CreateStreamCommand({ StreamName: 'ok', MediaType: 'h264' }), /'MediaType'.*regular expression/],
    ['ARN pattern', () => new DescribeStreamCommand({ StreamARN: 'arn:aws:s3:::bucket' }), /'StreamARN'.*regular expression/],
    ['enum', () => new GetDataEndpointCommand({ StreamName: 'valid', APIName: 'FOO' as any }), /'APIName'.*enum value set: \[PUT_MEDIA, GET_MEDIA/],
    ['enum in nested structure', () => new CreateStreamCommand({ StreamName: 'ok', StreamStorageConfiguration: { DefaultStorageTier: 'COLD' as any } }), /'StreamStorageConfiguration.DefaultStorageTier'.*enum/],
    ['required in nested structure', () => new CreateStreamCommand({ StreamName: 'ok', StreamStorageConfiguration: {} as any }), /'StreamStorageConfiguration.DefaultStorageTier'.*must not be null/],
    ['integer minimum', () => new CreateStreamCommand({ StreamName: 'ok', DataRetentionInHours: -1 }), /'DataRetentionInHours'.*greater than or equal to 0/],
    ['integer range low', () => new ListStreamsCommand({ MaxResults: 0 }), /'MaxResults'.*greater than or equal to 1/],
    ['integer range high', () => new ListStreamsCommand({ MaxResults: 10_001 }), /'MaxResults'.*less than or equal to 10000/],
    ['change of 0 hours', () => new UpdateDataRetentionCommand({ StreamName: 'valid', CurrentVersion: 'v', Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 0 }), /'DataRetentionChangeInHours'/],
    ['enum Operation', () => new UpdateDataRetentionCommand({ StreamName: 'valid', CurrentVersion: 'v', Operation: 'DOUBLE' as any, DataRetentionChangeInHours: 1 }), /'Operation'.*enum/],
    ['Version pattern', () => new UpdateStreamCommand({ StreamName: 'valid', CurrentVersion: 'not-alnum!' }), /'CurrentVersion'.*regular expression/],
    ['empty map', () => new TagStreamCommand({ StreamName: 'valid', Tags: {} }), /'Tags'.*length greater than or equal to 1/],
    ['map key pattern', () => new TagStreamCommand({ StreamName: 'valid', Tags: { 'bad#key': 'v' } }), /'Tags.key'.*regular expression/],
    ['map value length', () => new TagStreamCommand({ StreamName: 'valid', Tags: { k: 'v'.repeat(257) } }), /'Tags.k'.*less than or equal to 256/],
    ['empty list', () => new UntagStreamCommand({ StreamName: 'valid', TagKeyList: [] }), /'TagKeyList'.*greater than or equal to 1/],
    ['list too long', () => new UntagStreamCommand({ StreamName: 'valid', TagKeyList: Array.from({ length: 51 }, (_, i) => `k${i}`) }), /'TagKeyList'.*less than or equal to 50/],
    ['list member length', () => new UntagStreamCommand({ StreamName: 'valid', TagKeyList: ['x'.repeat(129)] }), /'TagKeyList.1.member'/],
    ['several errors at once', () => new CreateStreamCommand({ StreamName: '!', DataRetentionInHours: -1 }), /^2 validation errors detected: .*'StreamName'.*; .*'DataRetentionInHours'/],
  ];

  for (const [what, command, message] of cases) {
    test(what, async () => {
      const err = await rejection(() => kv.send(command()));
      assert.equal(err.name, 'InvalidArgumentException');
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.match(err.message, message);
    });
  }

  test('refused requests create nothing', async () => {
    const { StreamInfoList } = await kv.send(new ListStreamsCommand({}));
    assert.deepEqual(StreamInfoList!.map((s) => s.StreamName), ['valid']);
  });
});

describe('the HTTP envelope: malformed requests get clean AWS errors', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.control().send(new CreateStreamCommand({ StreamName: 'valid' }));
  });
  after(() => t.dispose());

  const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  async function expectError(res: Response, status: number, type: string): Promise<string> {
    assert.equal(res.status, status);
    assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], type);
    assert.equal(res.headers.get('x-amz-errortype')?.split(':')[0], type);
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    const body = (await res.json()) as Record<string, string>;
    assert.equal(body['__type'], type);
    assert.equal(body['message'], body['Message']);
    return body['message']!;
  }

  test('malformed JSON is SerializationException (400)', async () => {
    await expectError(await post('/describeStream', '{"StreamName":'), 400, 'SerializationException');
    await expectError(await post('/describeStream', '[1,2]'), 400, 'SerializationException');
  });

  test('wrong JSON types are InvalidArgumentException naming the field', async () => {
    assert.match(await expectError(await post('/describeStream', '{"StreamName":5}'), 400, 'InvalidArgumentException'), /'StreamName'.*string/);
    assert.match(await expectError(await post('/createStream', '{"StreamName":"a","DataRetentionInHours":"5"}'), 400, 'InvalidArgumentException'), /'DataRetentionInHours'.*integer/);
    assert.match(await expectError(await post('/createStream', '{"StreamName":"a","DataRetentionInHours":1.5}'), 400, 'InvalidArgumentException'), /'DataRetentionInHours'/);
    assert.match(await expectError(await post('/tagStream', '{"StreamName":"valid","Tags":[]}'), 400, 'InvalidArgumentException'), /'Tags'.*map/);
  });

  test('an oversized body is refused with 400 without reading it all', async () => {
    const big = new Uint8Array(2 * 1024 * 1024).fill(0x20);
    assert.match(await expectError(await post('/createStream', big), 400, 'InvalidArgumentException'), /larger than the limit/);
  });

  test('unknown paths and methods are UnknownOperationException (404)', async () => {
    await expectError(await post('/noSuchOperation', '{}'), 404, 'UnknownOperationException');
    await expectError(await fetch(`${t.url}/describeStream`), 404, 'UnknownOperationException');
  });

  test('operations of the KVS services not built yet name themselves with 501', async () => {
    for (const [path, name] of [['/createSignalingChannel', 'CreateSignalingChannel'], ['/getSignalingChannelEndpoint', 'GetSignalingChannelEndpoint']] as const) {
      assert.match(await expectError(await post(path, '{}'), 501, 'UnsupportedOperationException'), new RegExp(name));
    }
  });

  test('an empty body means no parameters, and any Content-Type is accepted', async () => {
    const res = await post('/listStreams', '', { 'content-type': 'application/x-amz-json-1.1' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { StreamInfoList: unknown[]; NextToken: unknown };
    assert.equal(body.StreamInfoList.length, 1);
    assert.equal(body.NextToken, null);
  });

  test('the server keeps serving after all of that', async () => {
    const res = await post('/describeStream', '{"StreamName":"valid"}');
    assert.equal(res.status, 200);
  });
});
