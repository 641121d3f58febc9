import {
  CreateStreamCommand,
  DescribeImageGenerationConfigurationCommand,
  DescribeNotificationConfigurationCommand,
  DescribeStreamCommand,
  DescribeStreamStorageConfigurationCommand,
  NoDataRetentionException,
  UpdateDataRetentionCommand,
  UpdateImageGenerationConfigurationCommand,
  UpdateNotificationConfigurationCommand,
  UpdateStreamStorageConfigurationCommand,
  VersionMismatchException,
  type ImageGenerationConfiguration,
  type KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

const imageConfig: ImageGenerationConfiguration = {
  Status: 'ENABLED',
  ImageSelectorType: 'PRODUCER_TIMESTAMP',
  DestinationConfig: { Uri: 's3://my-bucket/images', DestinationRegion: 'us-east-1' },
  SamplingInterval: 3000,
  Format: 'JPEG',
  FormatConfig: { JPEGQuality: '80' },
  WidthPixels: 320,
  HeightPixels: 240,
};

describe('UpdateDataRetention and the stored configurations', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  before(async () => {
    t = await startTestServer();
    kv = t.control();
    await kv.send(new CreateStreamCommand({ StreamName: 'r', DataRetentionInHours: 10 }));
    await kv.send(new CreateStreamCommand({ StreamName: 'zero' }));
  });
  after(() => t.dispose());

  const info = async (StreamName = 'r') => (await kv.send(new DescribeStreamCommand({ StreamName }))).StreamInfo!;

  test('INCREASE and DECREASE move retention and the Version', async () => {
    const v0 = await info();
    await kv.send(new UpdateDataRetentionCommand({ StreamName: 'r', CurrentVersion: v0.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 5 }));
    const v1 = await info();
    assert.equal(v1.DataRetentionInHours, 15);
    assert.notEqual(v1.Version, v0.Version);
    await kv.send(new UpdateDataRetentionCommand({ StreamARN: v1.StreamARN, CurrentVersion: v1.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 15 }));
    assert.equal((await info()).DataRetentionInHours, 0);
  });

  test('bounds: below 0 or above 87600 hours is InvalidArgumentException; stale version is VersionMismatch', async () => {
    const v = await info();
    const below = await rejection(() => kv.send(new UpdateDataRetentionCommand({ StreamName: 'r', CurrentVersion: v.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })));
    assert.equal(below.name, 'InvalidArgumentException');
    const above = await rejection(() => kv.send(new UpdateDataRetentionCommand({ StreamName: 'r', CurrentVersion: v.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 87_601 })));
    assert.equal(above.name, 'InvalidArgumentException');
    const stale = await rejection(() => kv.send(new UpdateDataRetentionCommand({ StreamName: 'r', CurrentVersion: 'old', Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })));
    assert.ok(stale instanceof VersionMismatchException, stale.name);
    assert.deepEqual(await info(), v, 'refused updates change nothing');
    await kv.send(new UpdateDataRetentionCommand({ StreamName: 'r', CurrentVersion: v.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 87_600 }));
    assert.equal((await info()).DataRetentionInHours, 87_600);
  });

  test('CreateStream above 87600 hours of retention is InvalidArgumentException', async () => {
    const err = await rejection(() => kv.send(new CreateStreamCommand({ StreamName: 'long', DataRetentionInHours: 87_601 })));
    assert.equal(err.name, 'InvalidArgumentException');
  });

  test('storage configuration defaults to HOT and updates with CurrentVersion', async () => {
    const before = await kv.send(new DescribeStreamStorageConfigurationCommand({ StreamName: 'r' }));
    assert.equal(before.StreamName, 'r');
    assert.equal(before.StreamARN, (await info()).StreamARN);
    assert.deepEqual(before.StreamStorageConfiguration, { DefaultStorageTier: 'HOT' });
    const v = await info();
    await kv.send(new UpdateStreamStorageConfigurationCommand({ StreamName: 'r', CurrentVersion: v.Version, StreamStorageConfiguration: { DefaultStorageTier: 'WARM' } }));
    const after = await kv.send(new DescribeStreamStorageConfigurationCommand({ StreamARN: v.StreamARN }));
    assert.deepEqual(after.StreamStorageConfiguration, { DefaultStorageTier: 'WARM' });
    assert.notEqual((await info()).Version, v.Version);
    const stale = await rejection(() => kv.send(new UpdateStreamStorageConfigurationCommand({ StreamName: 'r', CurrentVersion: v.Version, StreamStorageConfiguration: { DefaultStorageTier: 'HOT' } })));
    assert.ok(stale instanceof VersionMismatchException);
    await kv.send(new CreateStreamCommand({ StreamName: 'warm', StreamStorageConfiguration: { DefaultStorageTier: 'WARM' } }));
    const warm = await kv.send(new DescribeStreamStorageConfigurationCommand({ StreamName: 'warm' }));
    assert.deepEqual(warm.StreamStorageConfiguration, { DefaultStorageTier: 'WARM' });
  });

  test('image generation configuration is stored, returned and removed', async () => {
    const empty = await kv.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'r' }));
    assert.equal(empty.ImageGenerationConfiguration, undefined);
    await kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'r', ImageGenerationConfiguration: imageConfig }));
    const stored = await kv.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'r' }));
    assert.deepEqual(stored.ImageGenerationConfiguration, imageConfig);
    await kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'r' }));
    const removed = await kv.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'r' }));
    assert.equal(removed.ImageGenerationConfiguration, undefined);
  });

  test('image generation rules: NoDataRetention without retention, sampling >= 200 ms, JPEG quality 1-100', async () => {
    const noRetention = await rejection(() => kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'zero', ImageGenerationConfiguration: imageConfig })));
    assert.ok(noRetention instanceof NoDataRetentionException, noRetention.name);
    assert.equal(noRetention.$metadata?.httpStatusCode, 400);
    const fast = await rejection(() => kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'r', ImageGenerationConfiguration: { ...imageConfig, SamplingInterval: 199 } })));
    assert.equal(fast.name, 'InvalidArgumentException');
    const quality = await rejection(() => kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'r', ImageGenerationConfiguration: { ...imageConfig, FormatConfig: { JPEGQuality: '101' } } })));
    assert.equal(quality.name, 'InvalidArgumentException');
    const region = await rejection(() => kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'r', ImageGenerationConfiguration: { ...imageConfig, DestinationConfig: { Uri: 's3://b', DestinationRegion: 'nowhere' } } })));
    assert.equal(region.name, 'InvalidArgumentException');
    assert.match(region.message, /DestinationRegion/);
  });

  test('notification configuration is stored, returned, removed; NoDataRetention without retention', async () => {
    const NotificationConfiguration = { Status: 'ENABLED' as const, DestinationConfig: { Uri: 'arn:aws:sns:us-east-1:000000000000:topic' } };
    await kv.send(new UpdateNotificationConfigurationCommand({ StreamName: 'r', NotificationConfiguration }));
    assert.deepEqual((await kv.send(new DescribeNotificationConfigurationCommand({ StreamName: 'r' }))).NotificationConfiguration, NotificationConfiguration);
    await kv.send(new UpdateNotificationConfigurationCommand({ StreamName: 'r' }));
    assert.equal((await kv.send(new DescribeNotificationConfigurationCommand({ StreamName: 'r' }))).NotificationConfiguration, undefined);
    const err = await rejection(() => kv.send(new UpdateNotificationConfigurationCommand({ StreamName: 'zero', NotificationConfiguration })));
    assert.ok(err instanceof NoDataRetentionException, err.name);
  });
});
