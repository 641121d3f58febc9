import {
  CreateStreamCommand,
  DescribeImageGenerationConfigurationCommand,
  DescribeNotificationConfigurationCommand,
  DescribeStreamCommand,
  DescribeStreamStorageConfigurationCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  UpdateImageGenerationConfigurationCommand,
  UpdateNotificationConfigurationCommand,
  UpdateStreamCommand,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { startTestServer } from '../helpers/server.js';

test('everything the control plane stored survives a restart on the same data dir', async () => {
  const first = await startTestServer({ region: 'ap-south-1' });
  const dataDir = first.dataDir;
  try {
    const kv = first.control();
    await kv.send(new CreateStreamCommand({ StreamName: 'persist', DataRetentionInHours: 2, MediaType: 'video/h264', Tags: { a: '1' }, StreamStorageConfiguration: { DefaultStorageTier: 'WARM' } }));
    await kv.send(new CreateStreamCommand({ StreamName: 'other' }));
    const v = (await kv.send(new DescribeStreamCommand({ StreamName: 'persist' }))).StreamInfo!;
    await kv.send(new UpdateStreamCommand({ StreamName: 'persist', CurrentVersion: v.Version, DeviceName: 'cam' }));
    await kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'persist', ImageGenerationConfiguration: { Status: 'DISABLED', ImageSelectorType: 'SERVER_TIMESTAMP', DestinationConfig: { Uri: 's3://b/p', DestinationRegion: 'ap-south-1' }, SamplingInterval: 1000, Format: 'PNG' } }));
    await kv.send(new UpdateNotificationConfigurationCommand({ StreamName: 'persist', NotificationConfiguration: { Status: 'ENABLED', DestinationConfig: { Uri: 'arn:aws:sns:ap-south-1:000000000000:t' } } }));

    const snapshot = async (client = kv) => ({
      list: (await client.send(new ListStreamsCommand({}))).StreamInfoList,
      tags: (await client.send(new ListTagsForStreamCommand({ StreamName: 'persist' }))).Tags,
      storage: (await client.send(new DescribeStreamStorageConfigurationCommand({ StreamName: 'persist' }))).StreamStorageConfiguration,
      image: (await client.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'persist' }))).ImageGenerationConfiguration,
      notification: (await client.send(new DescribeNotificationConfigurationCommand({ StreamName: 'persist' }))).NotificationConfiguration,
    });
    const before = await snapshot();
    assert.equal(before.list?.length, 2);
    await first.stop();

    const second = await startTestServer({ region: 'ap-south-1', dataDir });
    try {
      assert.deepEqual(await snapshot(second.control()), before);
      const dup = await second.control().send(new CreateStreamCommand({ StreamName: 'persist' })).catch((e: Error) => e);
      assert.equal((dup as Error).name, 'ResourceInUseException', 'the unique name is still enforced after restart');
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
