/**
 * The storage write path on the cluster backends beside the embedded ones, in one run (prints,
 * asserts nothing):
 *   1. commitFragments, batches of 10 fragments (1.5 KB frame index each) over 50 streams:
 *      SqliteIndexStore vs PostgresIndexStore (a throwaway PostgreSQL 15 with fsync on).
 *   2. reserveFragmentSequence(1000): the per-1000-fragments round trip of every node.
 *   3. append of one 2-fragment batch (2 × 256 KiB): FsBlobStore (one O_DSYNC writev) vs
 *      S3BlobStore (one PUT) on a one-node Ceph RGW (memstore: RAM, so this is network + RGW cost,
 *      not disk), one at a time and then 8 series at once.
 * Medians and the cluster/embedded ratio of the medians, alternating the backends round by
 * round so that the machine's noise hits both alike.
 *
 *   npm run build && node dist/bench/backends.js [--rounds 5] [--batches 100] [--appends 40]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { encodeFrameIndex } from '../src/domain/frame-index.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { FsBlobStore } from '../src/storage/fs/fs-blob-store.js';
import type { IndexStore } from '../src/storage/index-store.js';
import { PostgresIndexStore } from '../src/storage/postgres/postgres-index-store.js';
import { S3BlobStore } from '../src/storage/s3/s3-blob-store.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { startCeph } from '../test/helpers/ceph.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { createBenchStreams } from './index-fixture.js';
import { median } from './stats.js';

const STREAMS = 50;
const BATCH = 10;
const FRAGMENT_BYTES = 256 * 1024;


function report(label: string, embedded: number[], cluster: number[], unit = 'ms'): void {
  const [e, c] = [median(embedded), median(cluster)];
  console.log(`${label}: embedded ${e.toFixed(2)} ${unit}, cluster ${c.toFixed(2)} ${unit}, ratio ${(c / e).toFixed(1)}`);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

interface IndexFixture {
  readonly index: IndexStore;
  readonly streamIds: number[];
  readonly headerId: number;
  next: bigint;
}

async function prepareIndex(index: IndexStore, batches: number): Promise<IndexFixture> {
  const { streamIds, headerId } = await createBenchStreams(index, STREAMS);
  return { index, streamIds, headerId, next: await index.reserveFragmentSequence(batches * BATCH * 100) };
}

function batchOf(f: IndexFixture, b: number): NewFragment[] {
  const frameIndex = encodeFrameIndex(
    Array.from({ length: 75 }, (_, i) => ({ track: 1, timecode: i * 33, duration: 33, key: i === 0, offset: 200 + i * 3000, size: 2900 })),
  );
  return Array.from({ length: BATCH }, (_, i) => {
    const streamId = f.streamIds[(b * BATCH + i) % STREAMS]!;
    const sequence = f.next++;
    const ms = Date.now();
    return {
      streamId, fragmentNumber: formatFragmentNumber(sequence), clusterTimecode: ms, producerTimestampMs: ms,
      serverTimestampMs: ms, durationMs: 2000, size: FRAGMENT_BYTES, headerId: f.headerId,
      location: { key: `streams/${streamId}/1.seg`, offset: Number(sequence) * FRAGMENT_BYTES }, frameIndex, tags: [],
    };
  });
}

async function commitSamples(f: IndexFixture, batches: number): Promise<number[]> {
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const batch = batchOf(f, b);
    samples.push(await timed(() => f.index.commitFragments(batch)));
  }
  return samples;
}

async function appendSamples(blobs: BlobStore, appends: number, parallel: number): Promise<number[]> {
  const payload = [new Uint8Array(FRAGMENT_BYTES).fill(1), new Uint8Array(FRAGMENT_BYTES).fill(2)];
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async (_, s) => {
      for (let i = 0; i < appends / parallel; i++) samples.push(await timed(() => blobs.append(`streams/${s}`, payload)));
    }),
  );
  return samples;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, batches: { type: 'string', default: '100' }, appends: { type: 'string', default: '40' } },
  });
  const [rounds, batches, appends] = [Number(values.rounds), Number(values.batches), Number(values.appends)];
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-bench-backends-'));
  const [postgres, ceph] = await Promise.all([startPostgres({ durable: true }), startCeph()]);
  process.env['AWS_ACCESS_KEY_ID'] = ceph.credentials.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = ceph.credentials.secretAccessKey;
  const s3Options = { endpoint: ceph.endpoint, region: ceph.region, checksum: 'when-required' } as const;
  const stores = {
    sqlite: await prepareIndex(SqliteIndexStore.open(join(dir, 'index.sqlite')), batches * rounds),
    postgres: await prepareIndex(await PostgresIndexStore.open(await postgres.createDatabase()), batches * rounds),
    fs: await FsBlobStore.open(join(dir, 'blobs')),
    s3: await S3BlobStore.open(`s3://${await ceph.createBucket()}/bench`, s3Options),
  };
  try {
    const s = { commit: [[], []], reserve: [[], []], append1: [[], []], append8: [[], []] } as Record<string, [number[], number[]]>;
    for (let round = 0; round < rounds; round++) {
      s['commit']![0].push(...(await commitSamples(stores.sqlite, batches)));
      s['commit']![1].push(...(await commitSamples(stores.postgres, batches)));
      s['reserve']![0].push(await timed(() => stores.sqlite.index.reserveFragmentSequence(1000)));
      s['reserve']![1].push(await timed(() => stores.postgres.index.reserveFragmentSequence(1000)));
      s['append1']![0].push(...(await appendSamples(stores.fs, appends, 1)));
      s['append1']![1].push(...(await appendSamples(stores.s3, appends, 1)));
      s['append8']![0].push(...(await appendSamples(stores.fs, appends, 8)));
      s['append8']![1].push(...(await appendSamples(stores.s3, appends, 8)));
    }
    console.log(`${rounds} rounds; embedded = SQLite / files under ${tmpdir()}, cluster = PostgreSQL 15 (fsync on) / Ceph RGW (memstore)`);
    report(`commitFragments (${BATCH} fragments) median`, ...s['commit']!);
    report('reserveFragmentSequence(1000) median', ...s['reserve']!);
    report('append 2 x 256 KiB, one at a time, median', ...s['append1']!);
    report('append 2 x 256 KiB, 8 series at once, median', ...s['append8']!);
  } finally {
    await Promise.all([stores.sqlite.index.close(), stores.postgres.index.close(), stores.fs.close(), stores.s3.close()]);
    await Promise.all([postgres.stop(), ceph.stop(), rm(dir, { recursive: true, force: true })]);
  }
}

await main();
