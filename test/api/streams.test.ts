import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  ListStreamsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateStreamCommand,
  VersionMismatchException,
  type KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

describe('stream lifecycle through the v3 SDK', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  before(async () => {
    t = await startTestServer({ region: 'eu-west-1', accountId: '123456789012' });
    kv = t.control();
  });
  after(() => t.dispose());

  test('CreateStream returns an ARN with region, account, name and creation time', async () => {
    const before = Date.now();
    const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 24 }));
    const match = /^arn:aws:kinesisvideo:eu-west-1:123456789012:stream\/cam-1\/(\d+)$/.exec(StreamARN ?? '');
    assert.ok(match, StreamARN);
    const creationMs = Number(match[1]);
    assert.ok(creationMs >= before && creationMs <= Date.now());
  });

  test('DescribeStream by name and by ARN returns every StreamInfo field', async () => {
    const created = await kv.send(
      new CreateStreamCommand({
        StreamName: 'cam.full_2',
        DeviceName: 'door-cam',
        MediaType: 'video/h264,audio/aac',
        DataRetentionInHours: 48,
      }),
    );
    const byName = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam.full_2' }))).StreamInfo!;
    const byArn = (await kv.send(new DescribeStreamCommand({ StreamARN: created.StreamARN }))).StreamInfo!;
    assert.deepEqual(byArn, byName);
    assert.equal(byName.StreamName, 'cam.full_2');
    assert.equal(byName.StreamARN, created.StreamARN);
    assert.equal(byName.DeviceName, 'door-cam');
    assert.equal(byName.MediaType, 'video/h264,audio/aac');
    assert.equal(byName.KmsKeyId, 'arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesisvideo');
    assert.equal(byName.Status, 'ACTIVE');
    assert.equal(byName.DataRetentionInHours, 48);
    assert.match(byName.Version ?? '', /^[A-Za-z0-9]{20}$/);
    const arnMs = Number(created.StreamARN!.split('/').pop());
    assert.equal(byName.CreationTime?.getTime(), arnMs, 'CreationTime keeps milliseconds and matches the ARN');
  });

  test('DescribeStream sends unset optional fields as null, like the real service', async () => {
    await kv.send(new CreateStreamCommand({ StreamName: 'bare' }));
    const res = await fetch(`${t.url}/describeStream`, { method: 'POST', body: JSON.stringify({ StreamName: 'bare' }) });
    const body = (await res.json()) as { StreamInfo: Record<string, unknown> };
    assert.equal(body.StreamInfo['DeviceName'], null);
    assert.equal(body.StreamInfo['MediaType'], null);
    assert.equal(body.StreamInfo['DataRetentionInHours'], 0);
    assert.equal(typeof body.StreamInfo['CreationTime'], 'number', 'epoch seconds');
  });

  test('a duplicate name is ResourceInUseException (400) and changes nothing', async () => {
    const first = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    const err = await rejection(() => kv.send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 1 })));
    assert.ok(err instanceof ResourceInUseException, err.name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    const again = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    assert.deepEqual(again, first);
  });

  test('unknown streams are ResourceNotFoundException (404) everywhere', async () => {
    const calls = [
      () => kv.send(new DescribeStreamCommand({ StreamName: 'nope' })),
      () => kv.send(new DescribeStreamCommand({ StreamARN: 'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/nope/1' })),
      () => kv.send(new GetDataEndpointCommand({ StreamName: 'nope', APIName: 'PUT_MEDIA' })),
      () => kv.send(new UpdateStreamCommand({ StreamName: 'nope', CurrentVersion: 'abc' })),
      () => kv.send(new DeleteStreamCommand({ StreamARN: 'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/nope/1' })),
    ];
    for (const call of calls) {
      const err = await rejection(call);
      assert.ok(err instanceof ResourceNotFoundException, err.name);
      assert.equal(err.$metadata?.httpStatusCode, 404);
      assert.equal(err.message, 'The requested stream is not found or not active.');
    }
  });

  test('UpdateStream changes fields and Version; a stale CurrentVersion is VersionMismatchException', async () => {
    const v1 = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    await kv.send(new UpdateStreamCommand({ StreamName: 'cam-1', CurrentVersion: v1.Version, DeviceName: 'd2', MediaType: 'video/h265' }));
    const v2 = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    assert.equal(v2.DeviceName, 'd2');
    assert.equal(v2.MediaType, 'video/h265');
    assert.notEqual(v2.Version, v1.Version);
    assert.equal(v2.DataRetentionInHours, v1.DataRetentionInHours);
    const err = await rejection(() => kv.send(new UpdateStreamCommand({ StreamName: 'cam-1', CurrentVersion: v1.Version, DeviceName: 'd3' })));
    assert.ok(err instanceof VersionMismatchException, err.name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    const v3 = (await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    assert.deepEqual(v3, v2, 'a refused update changes nothing');
  });

  test('DeleteStream checks CurrentVersion, then the name is free for a new stream', async () => {
    const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: 'to-delete' }));
    const err = await rejection(() => kv.send(new DeleteStreamCommand({ StreamARN, CurrentVersion: 'stale' })));
    assert.ok(err instanceof VersionMismatchException, err.name);
    const info = (await kv.send(new DescribeStreamCommand({ StreamARN }))).StreamInfo!;
    await kv.send(new DeleteStreamCommand({ StreamARN, CurrentVersion: info.Version }));
    const gone = await rejection(() => kv.send(new DescribeStreamCommand({ StreamName: 'to-delete' })));
    assert.ok(gone instanceof ResourceNotFoundException);
    await new Promise((r) => setTimeout(r, 2)); // a new creation time, so a new ARN
    const again = await kv.send(new CreateStreamCommand({ StreamName: 'to-delete' }));
    assert.notEqual(again.StreamARN, StreamARN);
    const oldArn = await rejection(() => kv.send(new DescribeStreamCommand({ StreamARN })));
    assert.ok(oldArn instanceof ResourceNotFoundException, 'the old ARN does not reach the new stream');
    await kv.send(new DeleteStreamCommand({ StreamARN: again.StreamARN }));
  });

  test('GetDataEndpoint returns the server URL for every APIName', async () => {
    const names = ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'GET_HLS_STREAMING_SESSION_URL',
      'GET_DASH_STREAMING_SESSION_URL', 'GET_CLIP', 'GET_IMAGES'] as const;
    for (const APIName of names) {
      const { DataEndpoint } = await kv.send(new GetDataEndpointCommand({ StreamName: 'cam-1', APIName }));
      assert.equal(DataEndpoint, t.url);
    }
  });

  test('StreamName and StreamARN together, or neither, is InvalidArgumentException', async () => {
    const { StreamInfo } = await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
    for (const input of [{ StreamName: 'cam-1', StreamARN: StreamInfo!.StreamARN }, {}]) {
      const err = await rejection(() => kv.send(new DescribeStreamCommand(input)));
      assert.equal(err.name, 'InvalidArgumentException');
      assert.match(err.message, /StreamName or StreamARN/);
    }
  });
});

describe('ListStreams', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  const names = ['alpha', 'alpha-1', 'alpha_2', 'beta', 'cam.a', 'cam.b', 'cam_c', 'gamma'];
  before(async () => {
    t = await startTestServer();
    kv = t.control();
    for (const StreamName of [...names].reverse()) await kv.send(new CreateStreamCommand({ StreamName }));
  });
  after(() => t.dispose());

  test('lists every stream in name order by default', async () => {
    const { StreamInfoList, NextToken } = await kv.send(new ListStreamsCommand({}));
    assert.deepEqual(StreamInfoList!.map((s) => s.StreamName), [...names].sort());
    assert.equal(NextToken, undefined);
  });

  test('pages with MaxResults and NextToken, never skipping or repeating', async () => {
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await kv.send(new ListStreamsCommand({ MaxResults: 3, NextToken }));
      assert.ok(page.StreamInfoList!.length <= 3);
      seen.push(...page.StreamInfoList!.map((s) => s.StreamName!));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    assert.deepEqual(seen, [...names].sort());
    assert.equal(pages, 3);
  });

  test('StreamNameCondition BEGINS_WITH filters by prefix, literally', async () => {
    const list = async (ComparisonValue: string) =>
      (await kv.send(new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue } })))
        .StreamInfoList!.map((s) => s.StreamName);
    assert.deepEqual(await list('alpha'), ['alpha', 'alpha-1', 'alpha_2']);
    assert.deepEqual(await list('cam.'), ['cam.a', 'cam.b']);
    assert.deepEqual(await list('cam_'), ['cam_c']);
    assert.deepEqual(await list('zzz'), []);
  });

  test('a forged NextToken is InvalidArgumentException', async () => {
    const err = await rejection(() => kv.send(new ListStreamsCommand({ NextToken: 'Zm9vYmFy' })));
    assert.equal(err.name, 'InvalidArgumentException');
  });
});
