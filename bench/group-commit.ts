/**
 * The PutMedia commit path alone, without HTTP or Matroska parsing (prints, asserts nothing), on
 * real segment files and a real SQLite index:
 *   1. N streams each complete a fragment (~500 KB, 60-frame index) every 2 s at random phases,
 *      for --seconds: latency from handing a fragment to the committer until it is durable and
 *      indexed (what PERSISTED waits for), and how long the event loop was held meanwhile. The
 *      current GroupCommitter against a baseline in the same run: the batch-barrier committer it
 *      replaced (one batch in flight; all of a batch's appends, then one index transaction).
 *   2. One index transaction of 5 rows, the event-loop time it takes: synchronous=FULL (SQLite
 *      fsyncs the WAL on the calling thread) against WalSyncedCommits (WAL fdatasync on libuv's pool).
 *
 *   npm run build && UV_THREADPOOL_SIZE=16 node dist/bench/group-commit.js [--streams 500] [--seconds 15] [--dir DIR]
 *
 * DIR (default: the OS temp folder) should sit on the disk under test.
 */
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatFragmentNumber, type NewFragment } from '../src/domain/fragment.js';
import { encodeFrameIndex } from '../src/domain/frame-index.js';
import { GroupCommitter, seriesOf, type CommitOutcome, type FragmentToCommit } from '../src/ingest/group-commit.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { FsBlobStore } from '../src/storage/fs/fs-blob-store.js';
import type { IndexStore } from '../src/storage/index-store.js';
import { WalSyncedCommits } from '../src/storage/sqlite/wal-sync.js';
import { SqliteIndexStore } from '../src/storage/sqlite/sqlite-index-store.js';
import { createLogger } from '../src/util/logger.js';
import { createBenchStreams } from './index-fixture.js';
import { percentile } from './stats.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '15' },
    dir: { type: 'string' },
  },
});

const FRAGMENT_BYTES = 500_000;
const FRAGMENT_CHUNKS = 60;
const FRAGMENT_EVERY_MS = 2000;

const ms = (x: number) => `${x.toFixed(1)} ms`;

interface Committer {
  commit(fragment: FragmentToCommit): Promise<CommitOutcome>;
  idle(): Promise<void>;
}

/** The committer GroupCommitter replaced, kept here as the baseline. */
class BatchBarrierCommitter implements Committer {
  private queue: { fragment: FragmentToCommit; resolve: (o: CommitOutcome) => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
  ) {}

  commit(fragment: FragmentToCommit): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ fragment, resolve, reject });
      this.running ??= this.drain();
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const byStream = new Map<number, typeof batch>();
        for (const p of batch) byStream.set(p.fragment.row.streamId, [...(byStream.get(p.fragment.row.streamId) ?? []), p]);
        const rows = new Map<(typeof batch)[number], NewFragment>();
        await Promise.all([...byStream].map(async ([streamId, list]) => {
          const start = await this.blobs.append(seriesOf(streamId), list.flatMap((p) => p.fragment.bytes));
          let offset = start.offset;
          for (const p of list) {
            rows.set(p, { ...p.fragment.row, location: { key: start.key, offset } });
            offset += p.fragment.row.size;
          }
        }));
        const indexed = await this.index.commitFragments(batch.map((p) => rows.get(p)!));
        batch.forEach((p, i) => p.resolve(indexed[i] ? 'indexed' : 'stream-gone'));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.running = undefined;
  }
}

async function openStorage(dir: string, streams: number) {
  const index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
  const blobs = await FsBlobStore.open(join(dir, 'blobs'));
  const { streamIds, headerId } = await createBenchStreams(index, streams);
  return { index, blobs, streamIds, headerId };
}

function fragmentOf(streamId: number, number: bigint, headerId: number, chunks: readonly Uint8Array[], frameIndex: Uint8Array): FragmentToCommit {
  const now = Date.now();
  return {
    row: {
      streamId, fragmentNumber: formatFragmentNumber(number), clusterTimecode: now, producerTimestampMs: now, serverTimestampMs: now,
      durationMs: 2000, size: FRAGMENT_BYTES, headerId, frameIndex, tags: [],
    },
    bytes: chunks,
  };
}

/** Paces the streams' fragments for `seconds`; returns commit latencies (sorted) and event-loop delay. */
async function runWorkload(committer: Committer, storage: Awaited<ReturnType<typeof openStorage>>, seconds: number) {
  const chunk = new Uint8Array(FRAGMENT_BYTES / FRAGMENT_CHUNKS).fill(0x5a);
  const chunks = Array.from({ length: FRAGMENT_CHUNKS }, () => chunk);
  const frameIndex = encodeFrameIndex(Array.from({ length: 60 }, (_, i) => ({ track: 1, timecode: i * 33, duration: 33, key: i === 0, offset: i * 8333, size: 8300 })));
  let number = await storage.index.reserveFragmentSequence(1_000_000);
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const t0 = performance.now();
  const due = storage.streamIds.map(() => t0 + Math.random() * FRAGMENT_EVERY_MS);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      storage.streamIds.forEach((streamId, i) => {
        if (due[i]! > now) return;
        due[i]! += FRAGMENT_EVERY_MS;
        const started = performance.now();
        void committer.commit(fragmentOf(streamId, number++, storage.headerId, chunks, frameIndex)).then(() => latencies.push(performance.now() - started));
      });
      if (now - t0 < seconds * 1000) setTimeout(tick, 2);
      else resolve();
    };
    tick();
  });
  await committer.idle();
  delay.disable();
  return { latencies: latencies.sort((a, b) => a - b), loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 };
}

async function benchCommitters(root: string, streams: number, seconds: number): Promise<void> {
  console.log(`1. ${streams} streams, a ${FRAGMENT_BYTES / 1000} KB fragment each every ${FRAGMENT_EVERY_MS / 1000} s, ${seconds} s; UV_THREADPOOL_SIZE=${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}`);
  const results = new Map<string, number>();
  for (const name of ['batch barrier (baseline)', 'GroupCommitter']) {
    const dir = await mkdtemp(join(root, 'openkvs-bench-commit-'));
    const storage = await openStorage(dir, streams);
    try {
      const committer = name === 'GroupCommitter' ? new GroupCommitter(storage.index, storage.blobs, createLogger('silent')) : new BatchBarrierCommitter(storage.index, storage.blobs);
      const r = await runWorkload(committer, storage, seconds);
      results.set(name, percentile(r.latencies, 99));
      console.log(
        `   ${name}: ${r.latencies.length} fragments, commit latency p50 ${ms(percentile(r.latencies, 50))} p99 ${ms(percentile(r.latencies, 99))} ` +
          `max ${ms(r.latencies.at(-1) ?? NaN)}; event-loop delay p99 ${ms(r.loopP99)} max ${ms(r.loopMax)}`,
      );
    } finally {
      await Promise.all([storage.index.close(), storage.blobs.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(`   p99 ratio GroupCommitter / baseline: ${(results.get('GroupCommitter')! / results.get('batch barrier (baseline)')!).toFixed(2)}`);
}

/** Event-loop time of one 5-row commit: FULL (fsync on this thread) against WalSyncedCommits. */
async function benchIndexCommit(root: string, commits = 300): Promise<void> {
  const dir = await mkdtemp(join(root, 'openkvs-bench-wal-'));
  const db = new Database(join(dir, 'index.sqlite'));
  const walSynced = new WalSyncedCommits(db);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (payload) VALUES (?)');
    const payload = new Uint8Array(1500);
    const write = () => {
      for (let i = 0; i < 5; i++) insert.run(payload);
    };
    const blocked = { full: [] as number[], walSync: [] as number[] };
    for (let i = 0; i < commits; i++) {
      let t = performance.now();
      db.transaction(write).immediate();
      blocked.full.push(performance.now() - t);
      t = performance.now();
      const durable = walSynced.commit(write);
      blocked.walSync.push(performance.now() - t);
      await durable;
    }
    const line = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${ms(percentile(s, 50))} p99 ${ms(percentile(s, 99))} max ${ms(s.at(-1) ?? NaN)}`;
    };
    console.log(`2. one 5-row index commit, time the event loop is held (${commits} each, interleaved):`);
    console.log(`   synchronous=FULL (baseline): ${line(blocked.full)}`);
    console.log(`   WalSyncedCommits:            ${line(blocked.walSync)}`);
  } finally {
    await walSynced.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const root = args.dir ?? tmpdir();
console.log(`node ${process.version}, data under ${root}`);
await benchCommitters(root, Number(args.streams), Number(args.seconds));
await benchIndexCommit(root);
