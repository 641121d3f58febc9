/**
 * PutMedia fuzzing: mutated and truncated Matroska bodies (from synthetic streams and from
 * test/fixtures/*.mkv when present) must end every session, in bounded time, with nothing but an
 * ERROR ack or fragments that are byte ranges of the input with at least one frame; never a crash,
 * a hang or a leak. Most cases drive PutMediaSession in-process (real SQLite and segment files on
 * tmpfs when there is one); a few hundred go over HTTP to a child-process server, next to a
 * well-formed real-time session that must keep getting PERSISTED acks, with the server's RSS and
 * open fds compared before and after. Seeded: OPENKVS_FUZZ_SEED reproduces a run, and every
 * failure names the seed and the case.
 */
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckErrors, type Ack } from '../../src/domain/acks.js';
import { decodeFrameIndex } from '../../src/domain/frame-index.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { LocalFragmentFeed } from '../../src/storage/fragment-feed.js';
import { PutMediaSession, type SessionOptions } from '../../src/ingest/put-media-session.js';
import type { FragmentToCommit } from '../../src/ingest/group-commit.js';
import type { StreamRecord } from '../../src/domain/stream.js';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';
import { SqliteIndexStore } from '../../src/storage/sqlite/sqlite-index-store.js';
import { systemClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/logger.js';
import { randomChunks, randomMutation } from '../helpers/mutate.js';
import { REPO_ROOT, spawnServer, type RunningServer } from '../helpers/process.js';
import { storedFragments, type WireAck } from '../helpers/put-media.js';
import { prng, randInt, syntheticStream, type Rng } from '../helpers/synthetic-mkv.js';

const SEED = Number(process.env['OPENKVS_FUZZ_SEED'] ?? 0xf022);
const IN_PROCESS_CASES = Number(process.env['OPENKVS_FUZZ_CASES'] ?? 6000);
const HTTP_CASES = Number(process.env['OPENKVS_FUZZ_HTTP_CASES'] ?? 600);
const SESSION_TIMEOUT_MS = 10_000;
const KNOWN_ERROR_IDS = new Set<number>(Object.values(AckErrors));
/** Error ids that mean the server, not the input, is at fault. */
const SERVER_FAULTS = new Set<number>([AckErrors.INTERNAL_ERROR, AckErrors.ARCHIVAL_ERROR]);
const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');

const scratch = () => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/** The valid bodies mutations start from. */
function baseBodies(rng: Rng): Uint8Array[] {
  const bodies = [
    syntheticStream(rng, { clusters: 6, sizes: 'known', frameBytes: [50, 600], clusterMs: 200 }),
    syntheticStream(rng, { clusters: 6, sizes: 'unknown', frameBytes: [50, 600], clusterMs: 200 }),
    syntheticStream(rng, { clusters: 5, sizes: 'mixed', frameBytes: [20, 400], clusterMs: 150, tags: true }),
    syntheticStream(rng, { clusters: 5, sizes: 'mixed', frameBytes: [20, 400], clusterMs: 150, audio: true }),
    syntheticStream(rng, { clusters: 4, sizes: 'known', frameBytes: [20, 800], clusterMs: 300, blockGroups: true, tags: true }),
    syntheticStream(rng, { clusters: 3, sizes: 'unknown', frameBytes: [1000, 6000], clusterMs: 100, frameMs: 20 }),
  ].map((s) => s.bytes);
  const fixtures = path.join(REPO_ROOT, 'test/fixtures');
  if (existsSync(fixtures)) {
    for (const name of readdirSync(fixtures).filter((n) => n.endsWith('.mkv')).sort()) {
      const bytes = readFileSync(path.join(fixtures, name));
      // Large fixtures are cut (a prefix is a truncation case of its own) to keep thousands of cases fast.
      bodies.push(new Uint8Array(bytes.subarray(0, Math.min(bytes.length, 256 * 1024))));
    }
  }
  return bodies;
}

interface FuzzCase {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly steps: string[];
}

function* fuzzCases(rng: Rng, bases: Uint8Array[], count: number): Generator<FuzzCase> {
  for (let index = 0; index < count; index++) {
    const base = bases[randInt(rng, 0, bases.length - 1)]!;
    const other = bases[randInt(rng, 0, bases.length - 1)]!;
    // A few unmutated bodies keep the "valid fragments are stored" side of the check honest.
    if (rng() < 0.03) yield { index, bytes: base, steps: ['none'] };
    else {
      const { bytes, steps } = randomMutation(rng, base, other);
      yield { index, bytes, steps };
    }
  }
}

/** `bytes` occurs in `input` (a fragment is a contiguous byte range of the body). */
function isByteRangeOf(bytes: Uint8Array, input: Uint8Array): boolean {
  return bytes.length > 0 && Buffer.from(input.buffer, input.byteOffset, input.byteLength).indexOf(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) >= 0;
}

function checkAcks(acks: readonly (Ack | WireAck)[], where: string): void {
  const errors = acks.filter((a) => a.EventType === 'ERROR');
  assert.ok(errors.length <= 1, `${where}: more than one ERROR ack: ${JSON.stringify(errors)}`);
  for (const ack of acks) {
    assert.ok(['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR', 'IDLE'].includes(ack.EventType), `${where}: ack ${JSON.stringify(ack)}`);
    if (ack.EventType === 'ERROR') {
      assert.ok(typeof ack.ErrorId === 'number' && KNOWN_ERROR_IDS.has(ack.ErrorId), `${where}: unknown error id in ${JSON.stringify(ack)}`);
      assert.ok(!SERVER_FAULTS.has(ack.ErrorId), `${where}: the server failed on this input: ${JSON.stringify(ack)}`);
    } else if (ack.EventType !== 'IDLE') {
      assert.ok(typeof ack.FragmentNumber === 'string' && /^\d{47}$/.test(ack.FragmentNumber), `${where}: ${JSON.stringify(ack)}`);
    }
  }
}

function checkFragment(bytes: Uint8Array, frameIndex: Uint8Array, size: number, input: Uint8Array, where: string): void {
  assert.equal(bytes.length, size, `${where}: fragment size`);
  assert.ok(isByteRangeOf(bytes, input), `${where}: a stored fragment is not a byte range of the input`);
  const frames = decodeFrameIndex(frameIndex);
  assert.ok(frames.length >= 1, `${where}: a stored fragment without frames`);
  for (const f of frames) assert.ok(f.offset >= 0 && f.offset + f.size <= size, `${where}: frame ${JSON.stringify(f)} outside its fragment`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms (hang)`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const reproduce = (c: FuzzCase) => `seed ${SEED} (OPENKVS_FUZZ_SEED=${SEED}), case ${c.index}, mutations ${c.steps.join('+')}, ${c.bytes.length} bytes`;

describe('PutMedia fuzzing', () => {
  test(`${IN_PROCESS_CASES} mutated bodies straight into PutMediaSession`, { timeout: 300_000 }, async (t) => {
    const dir = await mkdtemp(path.join(scratch(), 'openkvs-fuzz-'));
    const index = SqliteIndexStore.open(path.join(dir, 'index.sqlite'));
    const blobs = await FsBlobStore.open(path.join(dir, 'fragments'));
    const service = new IngestService(index, blobs, createLogger('silent'), new LocalFragmentFeed());
    const stream = (await index.createStream(
      {
        name: 'fuzz', arn: 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/fuzz/1', deviceName: null, mediaType: 'video/h264',
        kmsKeyId: 'k', version: 'v1', status: 'ACTIVE', creationTimeMs: Date.now(), dataRetentionInHours: 24, storageTier: 'HOT',
        imageGenerationConfiguration: null, notificationConfiguration: null,
      },
      {},
    )) as StreamRecord;
    // Every fragment the sessions hand to the committer, as handed over.
    let committed: FragmentToCommit[] = [];
    const commit = service.committer.commit.bind(service.committer);
    service.committer.commit = (fragment) => {
      committed.push(fragment);
      return commit(fragment);
    };
    const rng = prng(SEED);
    const bases = baseBodies(rng);
    const tally = { cases: 0, errors: new Map<string, number>(), fragments: 0, clean: 0 };
    let current: FuzzCase | undefined;
    try {
      for (const c of fuzzCases(rng, bases, IN_PROCESS_CASES)) {
        current = c;
        committed = [];
        const acks: Ack[] = [];
        const options: SessionOptions = {
          stream, timecodeType: rng() < 0.5 ? 'ABSOLUTE' : 'RELATIVE', producerStartMs: 1_700_000_000_000, service, clock: systemClock,
          log: createLogger('silent'), send: (ack) => acks.push(ack),
        };
        const session = new PutMediaSession(options);
        const chunks = [...randomChunks(rng, c.bytes)];
        await withTimeout(
          (async () => {
            for (const chunk of chunks) {
              await session.push(chunk);
              if (!session.alive) break;
            }
            await session.end();
            await session.settled();
          })(),
          SESSION_TIMEOUT_MS,
          reproduce(c),
        );
        const where = reproduce(c);
        checkAcks(acks, where);
        const persisted = acks.filter((a) => a.EventType === 'PERSISTED');
        assert.equal(persisted.length, committed.length, `${where}: every fragment handed to the committer is acked PERSISTED`);
        for (const f of committed) checkFragment(Buffer.concat(f.bytes), f.row.frameIndex, f.row.size, c.bytes, where);
        const error = acks.find((a) => a.EventType === 'ERROR');
        if (error) tally.errors.set(error.ErrorCode!, (tally.errors.get(error.ErrorCode!) ?? 0) + 1);
        else tally.clean++;
        tally.fragments += committed.length;
        tally.cases++;
      }
      // What was committed is what the index holds.
      const rows = await index.listFragments(stream.streamId, { limit: 1_000_000 });
      assert.equal(rows.length, tally.fragments, 'the index holds exactly the committed fragments');
      t.diagnostic(`seed ${SEED}: ${tally.cases} cases, ${tally.clean} without error, ${tally.fragments} fragments; errors ${JSON.stringify(Object.fromEntries(tally.errors))}`);
    } catch (err) {
      t.diagnostic(current ? reproduce(current) : `seed ${SEED}`);
      throw err;
    } finally {
      await service.drain();
      await Promise.all([index.close(), blobs.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('over HTTP to a child-process server', () => {
    let server: RunningServer;
    let dataDir: string;
    let kv: KinesisVideoClient;
    before(async () => {
      dataDir = await mkdtemp(path.join(scratch(), 'openkvs-fuzz-http-'));
      server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir });
      kv = new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    });
    after(async () => {
      kv?.destroy();
      await server?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    test(`${HTTP_CASES} mutated bodies; a concurrent well-formed session keeps persisting; no leak`, { timeout: 300_000 }, async (t) => {
      const LANES = 4;
      const streams = ['steady', ...Array.from({ length: LANES }, (_, i) => `fuzz-${i}`)];
      for (const name of streams) await kv.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
      const rng = prng(SEED ^ 0x4717);
      const bases = baseBodies(rng);
      const cases = [...fuzzCases(rng, bases, HTTP_CASES)];
      const chunking = cases.map(() => prng(randInt(rng, 0, 2 ** 31)));

      // The well-formed session: 200-ms clusters, sent in real time until told to stop.
      const steadyPersisted: number[] = [];
      let stopSteady = false;
      const steadyRng = prng(SEED ^ 0x57ead);
      const steadyBody = syntheticStream(steadyRng, { clusters: 400, clusterMs: 200, frameBytes: [200, 2000], sizes: 'known' });
      const steady = putMedia(server.url, 'steady', (async function* () {
        yield steadyBody.bytes.subarray(0, steadyBody.clusters[0]!.start);
        for (const c of steadyBody.clusters) {
          if (stopSteady) return;
          yield steadyBody.bytes.subarray(c.start, c.end);
          await sleep(200);
        }
      })(), (ack) => {
        if (ack.EventType === 'PERSISTED') steadyPersisted.push(Date.now());
      });

      const sample = async () => ({
        rssKb: Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]),
        fds: (await readdir(`/proc/${server.child.pid}/fd`)).length,
      });
      const byLane: FuzzCase[][] = Array.from({ length: LANES }, () => []);
      const errors = new Map<string, number>();
      let baseline: { rssKb: number; fds: number } | undefined;
      const WARMUP = Math.min(40, Math.floor(cases.length / 4));
      // RSS is sampled through the run: V8 and malloc size the heap to the allocation rate over the
      // first few hundred cases (a sawtooth of tens of MB), so a leak shows as growth past the
      // largest sample of the first half rather than past the size after the warm-up.
      const SLICES = 8;
      const rssSamplesKb: number[] = [];
      const runLane = async (lane: number, from: number, to: number) => {
        for (let i = from + lane; i < to; i += LANES) {
          const c = cases[i]!;
          byLane[lane]!.push(c);
          const result = await withTimeout(putMedia(server.url, `fuzz-${lane}`, randomChunks(chunking[i]!, c.bytes)), SESSION_TIMEOUT_MS, reproduce(c));
          checkAcks(result.acks, reproduce(c));
          // The server reads (and discards) the rest of a body it refused, so the connection never
          // breaks under the client: a reset there would discard acks it has not read, the ERROR ack too.
          assert.ok(!result.broken, `${reproduce(c)}: the connection broke; acks read: ${JSON.stringify(result.acks)}`);
          const key = result.acks.find((a) => a.EventType === 'ERROR')?.ErrorCode ?? 'none';
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      };
      const started = Date.now();
      try {
        await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane, 0, WARMUP)));
        baseline = await sample();
        const slice = Math.ceil((cases.length - WARMUP) / SLICES / LANES) * LANES;
        for (let from = WARMUP; from < cases.length; from += slice) {
          await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane, from, Math.min(cases.length, from + slice))));
          rssSamplesKb.push((await sample()).rssKb);
        }
        await sleep(300);
        const end = await sample();
        t.diagnostic(`server before ${JSON.stringify(baseline)}, after ${JSON.stringify(end)} (after ${WARMUP} warm-up cases); outcomes ${JSON.stringify(Object.fromEntries(errors))}; ${Date.now() - started} ms`);
        assert.ok(end.fds <= baseline.fds + 2, `open fds grew from ${baseline.fds} to ${end.fds}`);
        const firstHalfMaxKb = Math.max(baseline.rssKb, ...rssSamplesKb.slice(0, SLICES / 2));
        t.diagnostic(`server RSS through the run (kB): ${rssSamplesKb.join(', ')}`);
        assert.ok(end.rssKb <= firstHalfMaxKb + 32 * 1024, `RSS grew from at most ${firstHalfMaxKb} kB in the first half to ${end.rssKb} kB`);
      } catch (err) {
        t.diagnostic(`seed ${SEED}`);
        throw err;
      } finally {
        stopSteady = true;
      }
      const steadyResult = await withTimeout(steady, 5_000, 'the steady session');
      assert.equal(server.child.exitCode, null, 'the server is still running');
      assert.ok(!steadyResult.acks.some((a) => a.EventType === 'ERROR'), JSON.stringify(steadyResult.acks.filter((a) => a.EventType === 'ERROR')));
      const window = [started, ...steadyPersisted.filter((ms) => ms >= started)];
      const gaps = window.slice(1).map((ms, i) => ms - window[i]!);
      const maxGap = Math.max(...gaps);
      t.diagnostic(`steady session: ${steadyPersisted.length} PERSISTED, largest gap during the fuzz run ${maxGap} ms`);
      assert.ok(gaps.length >= 3, 'the steady session got PERSISTED acks during the run');
      assert.ok(maxGap < 2_000, `the steady session went ${maxGap} ms without a PERSISTED ack`);

      // Every stored fuzz fragment is a byte range of a body sent on its stream, with at least one frame.
      for (let lane = 0; lane < LANES; lane++) {
        for (const f of await storedFragments(dataDir, `fuzz-${lane}`)) {
          const source = byLane[lane]!.find((c) => isByteRangeOf(f.bytes, c.bytes));
          assert.ok(source, `seed ${SEED}: stored fragment ${f.fragmentNumber} on fuzz-${lane} is not a byte range of any body sent there`);
          checkFragment(f.bytes, f.frameIndex, f.size, source.bytes, reproduce(source));
        }
      }
    });
  });
});

interface HttpResult {
  acks: WireAck[];
  /** The connection ended before the response did. */
  broken: boolean;
}

/** A PutMedia request that never rejects: whatever acks arrived before the end or the break. */
function putMedia(url: string, stream: string, body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, onAck?: (ack: WireAck) => void): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const acks: WireAck[] = [];
    let done = false;
    const finish = (broken: boolean) => {
      if (done) return;
      done = true;
      resolve({ acks, broken });
    };
    const req = request(`${url}/putMedia`, {
      method: 'POST',
      // A connection of its own, with `Connection: close`: the server drops it after the response.
      agent: false,
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000.000' },
    });
    // A write fails (EPIPE, ECONNRESET) when the server reset the connection, possibly after the
    // response ended: the result waits briefly for the response to end rather than resolving at once.
    const broke = () => setTimeout(() => finish(true), 500);
    req.on('error', broke);
    req.on('socket', (socket) => socket.on('error', broke));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`PutMedia answered ${res.statusCode}`));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const lines = (pending + d).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const ack = JSON.parse(line) as WireAck;
          acks.push(ack);
          onAck?.(ack);
        }
      });
      res.on('end', () => finish(false));
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    void (async () => {
      for await (const chunk of body) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(() => {});
  });
}
