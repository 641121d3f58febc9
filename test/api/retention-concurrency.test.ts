import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SweepReport } from '../../src/archive/retention-sweeper.js';
import { rawPutMedia, storedFragments, type WireAck } from '../helpers/put-media.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { prng, syntheticStream } from '../helpers/synthetic-mkv.js';
import { smallSegmentStore } from '../helpers/small-segments.js';

const HOUR = 3_600_000;
/** Simulated time runs this much faster than real time: a 1-hour retention passes in 1.5 s. */
const SPEED = 2400;

/**
 * The server's clock runs fast, so fragments expire 1.5 s after they arrive while their
 * streams keep ingesting: sweeps delete rows and segment files in series that appends are filling,
 * seal idle series' segments as a new session starts, and run between an append and its commit.
 */
const realStart = Date.now();
let frozenAt: number | undefined;
const clock = { nowMs: () => frozenAt ?? realStart + (Date.now() - realStart) * SPEED };

let t: TestServer;
before(async () => {
  t = await startTestServer({}, { clock, retention: { intervalMs: 3_600_000 }, openBlobStore: smallSegmentStore(48 * 1024) });
});
after(() => t?.dispose());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SentCluster {
  readonly bytes: Uint8Array;
  /** The clock when its first byte was written: the server cannot have timestamped it earlier. */
  sentAtMs: number;
}

interface Producer {
  readonly stream: string;
  readonly sent: Map<number, SentCluster>;
  readonly persisted: Map<number, string>;
  readonly errors: WireAck[];
}

/** One PutMedia session of `clusters` clusters, written one cluster every `paceMs`. */
async function session(p: Producer, seed: number, startTimecode: number, clusters: number, paceMs: number): Promise<void> {
  const body = syntheticStream(prng(seed), { clusters, startTimecode, frameBytes: [1000, 4000] });
  async function* paced(): AsyncGenerator<Uint8Array> {
    yield body.bytes.subarray(0, body.clusters[0]!.start);
    for (const c of body.clusters) {
      const sent: SentCluster = { bytes: body.bytes.subarray(c.start, c.end), sentAtMs: clock.nowMs() };
      p.sent.set(c.timecode, sent);
      yield sent.bytes;
      await sleep(paceMs);
    }
  }
  const result = await rawPutMedia(t.url, paced(), {
    headers: { 'x-amzn-stream-name': p.stream },
    onAck: (ack) => {
      if (ack.EventType === 'PERSISTED') p.persisted.set(ack.FragmentTimecode!, ack.FragmentNumber!);
      if (ack.EventType === 'ERROR') p.errors.push(ack);
    },
  });
  assert.equal(result.status, 200, result.text);
}

/**
 * Sessions one after the other, `pauseMs` apart, until `deadline` (real time). A pause longer than
 * the retention (1.5 s of real time) lets the series go idle and expire whole, so the next
 * session's first append meets a segment the sweeper is retiring. Then, at `finalAt`, one last
 * session, so every stream ends with fragments still within retention.
 */
async function produce(p: Producer, seed: number, pauseMs: number, deadline: number, finalAt: number): Promise<void> {
  let timecode = 1_700_000_000_000;
  for (let s = 0; Date.now() < deadline; s++) {
    await session(p, seed * 100 + s, timecode, 15, 40);
    timecode += 15 * 300;
    if (Date.now() < deadline) await sleep(pauseMs);
  }
  await sleep(finalAt - Date.now());
  await session(p, seed * 100 + 99, timecode, 10, 40);
}

test('sweeping continuously while PutMedia ingests never loses a PERSISTED fragment', async () => {
  const producers: Producer[] = [];
  for (const name of ['busy-0', 'busy-1', 'busy-2']) {
    await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
    producers.push({ stream: name, sent: new Map(), persisted: new Map(), errors: [] });
  }
  let ingesting = true;
  const reports: SweepReport[] = [];
  const sweeping = (async () => {
    while (ingesting) {
      reports.push(await t.server.sweepRetention());
      await sleep(2);
    }
  })();
  const deadline = Date.now() + 3000;
  const finalAt = deadline + 2000;
  await Promise.all(producers.map((p, i) => produce(p, i, [1800, 300, 0][i]!, deadline, finalAt)));
  ingesting = false;
  await sweeping;

  frozenAt = clock.nowMs();
  await t.server.sweepRetention();
  const cutoffMs = frozenAt - HOUR;
  const totals = { checked: 0, expired: 0 };
  for (const p of producers) {
    assert.deepEqual(p.errors, [], `${p.stream}: error acks`);
    const stored = new Map((await storedFragments(t.dataDir, p.stream)).map((f) => [f.fragmentNumber, f]));
    for (const [timecode, number] of p.persisted) {
      const sent = p.sent.get(timecode)!;
      const fragment = stored.get(number);
      if (fragment === undefined) {
        // Gone is right only for a fragment that may have started before the cut-off.
        assert.ok(sent.sentAtMs < cutoffMs, `${p.stream}: PERSISTED fragment ${number} (timecode ${timecode}) is lost`);
        totals.expired += 1;
        continue;
      }
      assert.ok(fragment.serverTimestampMs >= cutoffMs, `${p.stream}: fragment ${number} outlived its retention`);
      assert.ok(Buffer.from(sent.bytes).equals(fragment.bytes), `${p.stream}: fragment ${number} bytes differ from what was sent`);
      totals.checked += 1;
    }
    // Nothing lingers: every segment file left holds a fragment still listed.
    const streamId = [...stored.values()][0]?.streamId;
    assert.ok(streamId !== undefined, `${p.stream}: its last session expired already; the run was too slow to judge`);
    const files = (await readdir(path.join(t.dataDir, 'fragments', 'streams', String(streamId)))).map((n) => `streams/${streamId}/${n}`);
    assert.deepEqual(files.sort(), [...new Set([...stored.values()].map((f) => f.location.key))].sort(), `${p.stream}: segment files`);
  }
  const during = reports.reduce((sum, r) => ({ objects: sum.objects + r.deletedObjects, fragments: sum.fragments + r.expiredFragments }), { objects: 0, fragments: 0 });
  // The run is only a test if the sweeps deleted plenty while the producers were sending.
  assert.ok(during.fragments >= 30 && during.objects >= 10, `sweeps during ingest deleted ${JSON.stringify(during)}`);
  assert.ok(totals.checked >= 10, `only ${totals.checked} PERSISTED fragments were still within retention`);
  assert.ok(totals.expired >= 30, `only ${totals.expired} fragments expired`);
});
