/**
 * Storage write-path figures (prints, asserts nothing):
 *   1. SqliteIndexStore.commitFragments: batches of 10 fragments with a ~1.5 KB frame index each,
 *      spread over 500 streams, the group-commit path of PutMedia.
 *   2. FsBlobStore.append: 64 KiB appends (one positional O_DSYNC writev) on 50 series at once.
 *
 *   npm run build && node dist/bench/commit.js [--dir DIR] [--batches N] [--series N] [--appends N]
 *
 * DIR (default: a temp folder, removed afterwards) should sit on the disk under test. The synced
 * write runs on libuv's thread pool, so UV_THREADPOOL_SIZE bounds how many appends sync at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { encodeFrameIndex } from '../src/domain/frame-index.js';
import { FsBlobStore } from '../src/storage/fs/fs-blob-store.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { createBenchStreams } from './index-fixture.js';
import { percentile } from './stats.js';

const STREAMS = 500;
const BATCH = 10;
const FRAMES_PER_FRAGMENT = 75; // 75 x 20 bytes = 1.5 KB, a 2.5 s fragment at 30 fps
const APPEND_BYTES = 64 * 1024;


function summary(label: string, samplesMs: number[]): void {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  const fmt = (x: number) => x.toFixed(3);
  console.log(
    `${label}: n=${sorted.length} median=${fmt(percentile(sorted, 50))} ms p99=${fmt(percentile(sorted, 99))} ms ` +
      `mean=${fmt(mean)} ms max=${fmt(sorted.at(-1) ?? Number.NaN)} ms`,
  );
}

function frameIndex(seed: number): Uint8Array {
  return encodeFrameIndex(
    Array.from({ length: FRAMES_PER_FRAGMENT }, (_, i) => ({
      track: 1,
      timecode: i * 33,
      duration: 33,
      key: i === 0,
      offset: 200 + i * 5000,
      size: 4900 + ((seed + i) % 100),
    })),
  );
}

async function benchCommit(dir: string, batches: number): Promise<void> {
  const index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  const { streamIds, headerId } = await createBenchStreams(index, STREAMS);
  const offsets = new Map<number, number>();
  let sequence = await index.reserveFragmentSequence(batches * BATCH);
  const samples: number[] = [];
  const now = Date.now();
  for (let b = 0; b < batches; b++) {
    const batch: NewFragment[] = [];
    for (let f = 0; f < BATCH; f++) {
      const streamId = streamIds[(b * BATCH + f) % STREAMS]!;
      const offset = offsets.get(streamId) ?? 0;
      offsets.set(streamId, offset + 250_000);
      batch.push({
        streamId, fragmentNumber: formatFragmentNumber(sequence), clusterTimecode: now + b * 20,
        producerTimestampMs: now + b * 20, serverTimestampMs: now + b * 20 + 5, durationMs: 2500, size: 250_000,
        headerId, location: { key: `streams/${streamId}/0000000001.seg`, offset },
        frameIndex: frameIndex(b + f), tags: [],
      });
      sequence += 1n;
    }
    const start = performance.now();
    await index.commitFragments(batch);
    samples.push(performance.now() - start);
  }
  summary(`commitFragments, ${BATCH} fragments/batch, ${STREAMS} streams`, samples);
  const reserveSamples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await index.reserveFragmentSequence(1000);
    reserveSamples.push(performance.now() - start);
  }
  summary('reserveFragmentSequence(1000)', reserveSamples);
  const scanStart = performance.now();
  const extents = await index.referencedBlobExtents();
  const scanMs = (performance.now() - scanStart).toFixed(1);
  console.log(`referencedBlobExtents over ${batches * BATCH} fragments, ${extents.size} keys: ${scanMs} ms`);
  await index.close();
}

async function benchAppend(dir: string, series: number, appendsPerSeries: number): Promise<void> {
  const blobs = await FsBlobStore.open(join(dir, 'blobs'));
  const payload = new Uint8Array(APPEND_BYTES).fill(0x5a);
  // The first append per series creates its segment file (and fsyncs the directory): done up front.
  await Promise.all(Array.from({ length: series }, (_, s) => blobs.append(`streams/${s}`, [payload])));
  const samples: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: series }, async (_, s) => {
      for (let i = 0; i < appendsPerSeries; i++) {
        const t0 = performance.now();
        await blobs.append(`streams/${s}`, [payload.subarray(0, 1024), payload.subarray(1024)]);
        samples.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  summary(`append 64 KiB (O_DSYNC), ${series} series at once`, samples);
  const total = series * appendsPerSeries;
  const mibPerSecond = (total * APPEND_BYTES) / seconds / 1024 / 1024;
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
  console.log(
    `  ${total} appends in ${seconds.toFixed(2)} s: ${(total / seconds).toFixed(0)} appends/s, ` +
      `${mibPerSecond.toFixed(1)} MiB/s (UV_THREADPOOL_SIZE=${pool})`,
  );
  await blobs.close();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      batches: { type: 'string', default: '1000' },
      series: { type: 'string', default: '50' },
      appends: { type: 'string', default: '40' },
    },
  });
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'openkvs-bench-')));
  try {
    await benchCommit(dir, Number(values.batches));
    await benchAppend(dir, Number(values.series), Number(values.appends));
  } finally {
    if (values.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
