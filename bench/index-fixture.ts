import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { encodeFrameIndex } from '../src/domain/frame-index.js';
import type { IndexStore } from '../src/storage/index-store.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';

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

/** A 2-s fragment at 30 fps: 60 frame-index entries (1.2 KB), as the ingest stores them. */
function frameIndex(seed: number): Uint8Array {
  return encodeFrameIndex(
    Array.from({ length: 60 }, (_, i) => ({ track: 1, timecode: i * 33, duration: 33, key: i === 0, offset: 200 + i * 8000, size: 7900 + ((seed + i) % 97) })),
  );
}

/**
 * What the ListFragments benchmarks page through: one stream `name` in the embedded index of
 * `dataDir`, holding `count` 2-s fragments from `baseMs` on (about 480 KB each, 130 to a segment
 * file), committed through commitFragments in batches of 1000. Returns how long that took (ms).
 */
export async function seedListedStream(dataDir: string, name: string, count: number, baseMs: number): Promise<number> {
  const index = SqliteIndexStore.open(path.join(dataDir, 'index.sqlite'));
  const t0 = performance.now();
  try {
    const stream = await index.createStream(
      {
        name, arn: `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${name}/${baseMs}`,
        deviceName: null, mediaType: 'video/h264', kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:alias/aws/kinesisvideo',
        version: 'v1', status: 'ACTIVE', creationTimeMs: baseMs, dataRetentionInHours: 87_600, storageTier: 'HOT',
        imageGenerationConfiguration: null, notificationConfiguration: null,
      },
      {},
    );
    if (!stream) throw new Error(`stream ${name} exists`);
    const headerId = await index.putTrackHeader(`sha256:${name}`, new Uint8Array(700));
    const first = await index.reserveFragmentSequence(count);
    for (let at = 0; at < count; at += 1000) {
      const batch: NewFragment[] = [];
      for (let i = at; i < Math.min(count, at + 1000); i++) {
        batch.push({
          streamId: stream.streamId, fragmentNumber: formatFragmentNumber(first + BigInt(i)), clusterTimecode: i * 2000,
          producerTimestampMs: baseMs + i * 2000, serverTimestampMs: baseMs + i * 2000 + 350 + (i % 7), durationMs: 2000,
          size: 480_000 + (i % 1000), headerId, location: { key: `streams/${stream.streamId}/${String(1 + Math.floor(i / 130)).padStart(10, '0')}.seg`, offset: (i % 130) * 500_000 },
          frameIndex: frameIndex(i), tags: [],
        });
      }
      await index.commitFragments(batch);
    }
    return performance.now() - t0;
  } finally {
    await index.close();
  }
}
