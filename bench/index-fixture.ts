import type { IndexStore } from '../src/storage/index-store.js';

/**
 * What the storage-level benchmarks start from: `count` streams named bench-0, bench-1, ...
 * created straight in the index, and one 600-byte track header their fragments point to.
 */
export async function createBenchStreams(
  index: IndexStore,
  count: number,
  stream: { creationTimeMs?: number; dataRetentionInHours?: number } = {},
): Promise<{ streamIds: number[]; headerId: number }> {
  const streamIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const created = await index.createStream(
      {
        name: `bench-${i}`, arn: `arn:aws:kinesisvideo:us-east-1:123456789012:stream/bench-${i}/1`,
        deviceName: null, mediaType: 'video/h264', kmsKeyId: 'k', version: 'v1', status: 'ACTIVE',
        creationTimeMs: stream.creationTimeMs ?? Date.now(), dataRetentionInHours: stream.dataRetentionInHours ?? 24, storageTier: 'HOT',
        imageGenerationConfiguration: null, notificationConfiguration: null,
      },
      {},
    );
    if (created === undefined) throw new Error(`stream name bench-${i} taken`);
    streamIds.push(created.streamId);
  }
  const headerId = await index.putTrackHeader('sha256:bench', new Uint8Array(600));
  return { streamIds, headerId };
}
