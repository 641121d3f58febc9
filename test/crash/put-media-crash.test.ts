/**
 * PutMedia under `kill -9`: the real server (bin/openkvs.cjs, a child process) is killed at random
 * points while it ingests a synthetic multi-fragment stream, then restarted on the same data dir.
 * After every restart: each fragment acked PERSISTED is stored byte for byte as the Cluster that
 * was sent, nothing else is stored (no partial fragment), the segment files hold no unreferenced
 * bytes, fragment numbers handed out after the restart are larger than every number seen before,
 * and ingest works again. Deterministic per seed (OPENKVS_CRASH_SEED overrides; printed on failure).
 *
 * SIGKILL kills the process, not the machine: unsynced page cache survives it, so this proves the
 * ordering (bytes → index row → PERSISTED) and the recovery, not fdatasync itself.
 */
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, spawnServer, type RunningServer } from '../helpers/process.js';
import { rawPutMedia, storedFragments, type WireAck } from '../helpers/put-media.js';
import { prng, randInt, syntheticStream, type Rng } from '../helpers/synthetic-mkv.js';

const SEED = Number(process.env['OPENKVS_CRASH_SEED'] ?? 0x5eed_c4a5);
const ITERATIONS = Number(process.env['OPENKVS_CRASH_ITERATIONS'] ?? 12);
const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
const STREAM = 'crash-cam';

type KillPlan = { kind: 'persisted' | 'received' | 'buffering'; count: number } | { kind: 'delay'; ms: number };

function planKill(rng: Rng, clusters: number): KillPlan {
  const r = rng();
  if (r < 0.35) return { kind: 'persisted', count: randInt(rng, 1, clusters - 2) };
  if (r < 0.6) return { kind: 'received', count: randInt(rng, 1, clusters - 2) };
  if (r < 0.75) return { kind: 'buffering', count: randInt(rng, 1, clusters - 2) };
  return { kind: 'delay', ms: randInt(rng, 0, 200) };
}

async function startServer(dataDir: string, workers: number): Promise<RunningServer> {
  return spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir, OPENKVS_LOG_LEVEL: 'info', OPENKVS_WORKERS: String(workers) });
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/** The body in random-size writes, pausing between clusters so acks (and the kill) interleave with it. */
async function* pacedBody(rng: Rng, bytes: Uint8Array, boundaries: number[], stopped: () => boolean): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const end of boundaries) {
    while (at < end) {
      if (stopped()) return;
      const n = Math.min(end - at, randInt(rng, 1, 48 * 1024));
      yield bytes.subarray(at, at + n);
      at += n;
    }
    await sleep(randInt(rng, 0, 12));
  }
}

const num = (n: string) => BigInt(n);

// With --workers 2 the whole process group is killed (the primary and both workers), and each
// session may land on either worker: the segment files are the workers' own series.
for (const workers of [1, 2]) {
  const title = workers === 1 ? '' : ` (serve --workers ${workers})`;
  test(`kill -9 during PutMedia${title}: PERSISTED fragments survive byte for byte, nothing partial, numbers never reused`, { timeout: 180_000 }, async (t) => {
    const rng = prng(SEED);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-crash-'));
    let server = await startServer(dataDir, workers);
    /** Every cluster ever sent, by its (unique) timecode. */
    const sent = new Map<number, Buffer>();
    /** Fragment number → timecode, for every PERSISTED ack seen. */
    const persisted = new Map<string, number>();
    /** Largest fragment number seen so far (any ack, or stored). */
    let maxSeen = 0n;
    const log: string[] = [];
    try {
      const control = () => new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const kv = control();
      await kv.send(new CreateStreamCommand({ StreamName: STREAM, DataRetentionInHours: 24 }));
      kv.destroy();

      const verify = async (when: string) => {
        const stored = await storedFragments(dataDir, STREAM);
        const numbers = new Set(stored.map((f) => f.fragmentNumber));
        assert.equal(numbers.size, stored.length, `${when}: fragment numbers are unique`);
        for (const f of stored) {
          const cluster = sent.get(f.clusterTimecode);
          assert.ok(cluster, `${when}: stored fragment ${f.fragmentNumber} (timecode ${f.clusterTimecode}) matches no sent cluster`);
          assert.ok(f.bytes.equals(cluster), `${when}: stored fragment ${f.fragmentNumber} is not byte-identical to the cluster sent at ${f.clusterTimecode}`);
          assert.equal(f.size, cluster.length);
        }
        for (const [number, timecode] of persisted) {
          const f = stored.find((s) => s.fragmentNumber === number);
          assert.ok(f, `${when}: fragment ${number} (timecode ${timecode}) was acked PERSISTED but is not stored`);
          assert.equal(f.clusterTimecode, timecode);
        }
        // Recovery cut everything no index row references: the segment files hold exactly the stored fragments.
        const dirs = new Set(stored.map((f) => path.join(dataDir, 'fragments', path.dirname(f.location.key))));
        let onDisk = 0;
        for (const dir of dirs) for (const name of await readdir(dir)) onDisk += (await stat(path.join(dir, name))).size;
        assert.equal(onDisk, stored.reduce((sum, f) => sum + f.size, 0), `${when}: segment files hold only referenced bytes`);
        for (const f of stored) if (num(f.fragmentNumber) > maxSeen) maxSeen = num(f.fragmentNumber);
        return stored;
      };

      for (let iteration = 0; iteration <= ITERATIONS; iteration++) {
        const last = iteration === ITERATIONS;
        const clusters = randInt(rng, 12, 30);
        const body = syntheticStream(rng, {
          clusters,
          startTimecode: 1_700_000_000_000 + iteration * 10_000_000,
          clusterMs: randInt(rng, 150, 400),
          frameBytes: [100, 4000],
          sizes: 'mixed',
          tags: true,
        });
        for (const c of body.clusters) sent.set(c.timecode, Buffer.from(body.bytes.subarray(c.start, c.end)));
        const plan = last ? undefined : planKill(rng, clusters);
        log.push(`iteration ${iteration}: ${clusters} clusters, kill ${JSON.stringify(plan)}`);
        const maxBefore = maxSeen;
        const counts = { BUFFERING: 0, RECEIVED: 0, PERSISTED: 0 } as Record<string, number>;
        const acks: WireAck[] = [];
        let killing: Promise<void> | undefined;
        const kill = () => (killing ??= kill9(server.child));
        let timer: NodeJS.Timeout | undefined;
        if (plan?.kind === 'delay') timer = setTimeout(kill, plan.ms);
        const boundaries = [...body.clusters.map((c) => c.end), body.bytes.length];
        const result = await rawPutMedia(server.url, pacedBody(rng, body.bytes, boundaries, () => killing !== undefined), {
          headers: { 'x-amzn-stream-name': STREAM },
          onAck: (ack) => {
            acks.push(ack);
            if (ack.EventType === 'PERSISTED') persisted.set(ack.FragmentNumber!, ack.FragmentTimecode!);
            if (ack.EventType in counts) counts[ack.EventType]!++;
            if (plan && plan.kind !== 'delay' && counts[plan.kind.toUpperCase()]! >= plan.count) void kill();
          },
        }).catch((err: Error) => ({ error: err }));
        clearTimeout(timer);
        if (plan) await kill();
        for (const ack of acks) {
          assert.notEqual(ack.EventType, 'ERROR', `iteration ${iteration}: unexpected ${JSON.stringify(ack)}`);
          if (ack.FragmentNumber === undefined) continue;
          assert.ok(num(ack.FragmentNumber) > maxBefore, `iteration ${iteration}: fragment number ${ack.FragmentNumber} is not above ${maxBefore}, the largest before the restart`);
          if (num(ack.FragmentNumber) > maxSeen) maxSeen = num(ack.FragmentNumber);
        }
        log.push(`  acks ${JSON.stringify(counts)}`);
        if (last) {
          assert.ok(!('error' in result), 'the last session completes');
          assert.equal(counts['PERSISTED'], clusters, 'after the restarts, a whole session is persisted');
          const before = (await verify('after the last session')).length;
          assert.ok(before >= clusters);
          await server.stop();
          t.diagnostic(`seed ${SEED}\n${log.join(' | ')}`);
        } else {
          server = await startServer(dataDir, workers);
          await verify(`after kill ${iteration}`);
        }
      }
    } catch (err) {
      t.diagnostic(`seed ${SEED} (OPENKVS_CRASH_SEED=${SEED} reproduces)\n${log.join(' | ')}`);
      throw err;
    } finally {
      await kill9(server.child).catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}
