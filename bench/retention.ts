/**
 * Retention sweeper figures (prints, asserts nothing), on real stores (SQLite + segment files):
 *   1. An idle sweep (nothing expires) over --streams streams, against the bare stream listing
 *      every sweep has to do anyway: the ratio is what the sweeper adds per minute when idle.
 *   2. An expiry sweep that expires half of --streams x --fragments fragments and frees their
 *      segment files: wall time, fragments/s, and the longest event-loop stall while it runs,
 *      against the median time of one ingest group commit of the same number of rows as one of
 *      the sweeper's delete batches (1000): the ingest holds the index that long anyway.
 *
 *   npm run build && node dist/bench/retention.js [--dir DIR] [--streams N] [--fragments N] [--runs N]
 *
 * DIR (default: a temp folder, removed afterwards) should sit on the disk under test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RetentionSweeper } from '../src/archive/retention-sweeper.js';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { seriesOf } from '../src/ingest/group-commit.js';
import { FsBlobStore } from '../src/storage/fs/fs-blob-store.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { createLogger } from '../src/util/logger.js';
import { createBenchStreams } from './index-fixture.js';
import { median } from './stats.js';

const FRAGMENT_BYTES = 2048;
/** 16 fragments per segment file. */
const SEGMENT_BYTES = 16 * FRAGMENT_BYTES;
const HOUR = 3_600_000;
const START_MS = 1_700_000_000_000;

const fmt = (x: number) => x.toFixed(2);

interface Fixture {
  index: SqliteIndexStore;
  blobs: FsBlobStore;
  clock: { now: number; nowMs(): number };
  headerId: number;
  streamIds: number[];
  nextSeq: bigint;
}

async function openFixture(dir: string, streams: number): Promise<Fixture> {
  const index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  const blobs = await FsBlobStore.open(join(dir, 'blobs'), { segmentBytes: SEGMENT_BYTES });
  const { streamIds, headerId } = await createBenchStreams(index, streams, { creationTimeMs: START_MS, dataRetentionInHours: 1 });
  const clock = { now: START_MS, nowMs: () => clock.now };
  return { index, blobs, clock, headerId, streamIds, nextSeq: await index.reserveFragmentSequence(1) };
}

/** A fragment row as the ingest commits it (a 1.5 KB frame index, like a 2.5 s fragment). */
function row(f: Fixture, streamId: number, serverMs: number, location: NewFragment['location']): NewFragment {
  const fragmentNumber = formatFragmentNumber(f.nextSeq);
  f.nextSeq += 1n;
  return {
    streamId, fragmentNumber, clusterTimecode: serverMs, producerTimestampMs: serverMs, serverTimestampMs: serverMs,
    durationMs: 2000, size: FRAGMENT_BYTES, headerId: f.headerId, location, frameIndex: new Uint8Array(1500), tags: [],
  };
}

/** `perStream` fragments per stream, one segment's worth per append, server times 2 s apart from `startMs`. */
async function ingest(f: Fixture, perStream: number, startMs: number): Promise<void> {
  const bytes = new Uint8Array(FRAGMENT_BYTES).fill(7);
  const perAppend = SEGMENT_BYTES / FRAGMENT_BYTES;
  for (let done = 0; done < perStream; done += perAppend) {
    const count = Math.min(perAppend, perStream - done);
    const rows: NewFragment[] = [];
    await Promise.all(
      f.streamIds.map(async (streamId) => {
        const at = await f.blobs.append(seriesOf(streamId), Array.from({ length: count }, () => bytes));
        for (let i = 0; i < count; i++) {
          rows.push(row(f, streamId, startMs + (done + i) * 2000, { key: at.key, offset: at.offset + i * FRAGMENT_BYTES }));
        }
      }),
    );
    await f.index.commitFragments(rows);
  }
}

/**
 * The longest time the event loop went without running a 1 ms timer, including a stall still
 * going on when it stops (perf_hooks' monitorEventLoopDelay records nothing for a loop that
 * stays blocked until it is disabled).
 */
function stallMeter(): { stop(): { maxMs: number; p99Ms: number } } {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      gaps.push(performance.now() - last);
      gaps.sort((a, b) => a - b);
      return { maxMs: gaps.at(-1) ?? 0, p99Ms: gaps[Math.floor(gaps.length * 0.99)] ?? 0 };
    },
  };
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

async function idleSweeps(f: Fixture, sweeper: RetentionSweeper, runs: number): Promise<void> {
  const sweeps: number[] = [];
  const listings: number[] = [];
  for (let r = 0; r < runs; r++) {
    listings.push((await timed(() => f.index.listStreams({ limit: 100_000 }))).ms);
    sweeps.push((await timed(() => sweeper.sweep())).ms);
  }
  console.log(
    `idle sweep, ${f.streamIds.length} streams: median ${fmt(median(sweeps))} ms; bare stream listing ${fmt(median(listings))} ms; ` +
      `ratio ${fmt(median(sweeps) / median(listings))}`,
  );
}

/** Median time of one commitFragments of `rows` rows: what one ingest group commit holds the index for. */
async function commitBaseline(f: Fixture, rows: number, runs: number): Promise<number> {
  const samples: number[] = [];
  // A stream of its own, emptied afterwards, so the expiry sweep finds what it would have.
  const baseline = await f.index.createStream(
    {
      name: 'baseline', arn: 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/baseline/1', deviceName: null,
      mediaType: null, kmsKeyId: 'k', version: 'v1', status: 'ACTIVE', creationTimeMs: START_MS,
      dataRetentionInHours: 87_600, storageTier: 'HOT', imageGenerationConfiguration: null, notificationConfiguration: null,
    },
    {},
  );
  const streamId = baseline!.streamId;
  for (let r = 0; r < runs; r++) {
    const batch = Array.from({ length: rows }, (_, i) => row(f, streamId, START_MS + 100 * HOUR + i, { key: 'baseline', offset: i * FRAGMENT_BYTES }));
    samples.push((await timed(() => f.index.commitFragments(batch))).ms);
  }
  await f.index.deleteStream(streamId, 'v1');
  return median(samples);
}

async function expirySweep(f: Fixture, sweeper: RetentionSweeper, perStream: number, runs: number): Promise<void> {
  const baselineMs = await commitBaseline(f, 1000, runs);
  // Half of every stream's fragments start more than an hour before now.
  f.clock.now = START_MS + perStream * 1000 + HOUR;
  const meter = stallMeter();
  const { ms, result } = await timed(() => sweeper.sweep());
  const stalls = meter.stop();
  console.log(
    `expiry sweep: ${result.expiredFragments} fragments, ${result.deletedObjects} segment files in ${fmt(ms)} ms ` +
      `(${Math.round(result.expiredFragments / (ms / 1000))} fragments/s, ${Math.round(result.deletedObjects / (ms / 1000))} files/s)`,
  );
  console.log(
    `  longest event-loop stall ${fmt(stalls.maxMs)} ms (p99 ${fmt(stalls.p99Ms)} ms); one 1000-row ingest commit ` +
      `${fmt(baselineMs)} ms (median of ${runs}); ratio ${fmt(stalls.maxMs / baselineMs)}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, streams: { type: 'string', default: '200' }, fragments: { type: 'string', default: '320' }, runs: { type: 'string', default: '9' } },
  });
  const streams = Number(values.streams);
  const perStream = Number(values.fragments);
  const runs = Number(values.runs);
  const dir = await mkdtemp(join(values.dir ?? tmpdir(), 'openkvs-bench-retention-'));
  const f = await openFixture(dir, streams);
  const sweeper = new RetentionSweeper(f.index, f.blobs, f.clock, createLogger('silent'), { intervalMs: HOUR });
  try {
    const setup = await timed(() => ingest(f, perStream, START_MS));
    console.log(`setup: ${streams} streams x ${perStream} fragments of ${FRAGMENT_BYTES} B, ${SEGMENT_BYTES / 1024} KiB segments (${fmt(setup.ms / 1000)} s)`);
    await idleSweeps(f, sweeper, runs);
    await expirySweep(f, sweeper, perStream, runs);
  } finally {
    await sweeper.stop();
    await Promise.all([f.index.close(), f.blobs.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
