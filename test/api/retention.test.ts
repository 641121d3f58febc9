import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  UpdateDataRetentionCommand,
  type KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mkvinfoClusters, MKVINFO, type MkvinfoCluster } from '../helpers/mkvinfo.js';
import { REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { rawPutMedia, storedFragments, type StoredFragment } from '../helpers/put-media.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallSegmentStore } from '../helpers/small-segments.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/h264-aac.mkv');
const skip = skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Segment files on disk of a stream's series, as blob keys. */
async function segmentKeys(dataDir: string, streamId: number): Promise<string[]> {
  const names = await readdir(path.join(dataDir, 'fragments', 'streams', String(streamId))).catch(() => []);
  return names.map((name) => `streams/${streamId}/${name}`).sort();
}

const keysOf = (fragments: readonly StoredFragment[]) => [...new Set(fragments.map((f) => f.location.key))].sort();

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 20) {
    assert.ok(waited < 10_000, `${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('retention', { skip }, () => {
  const clock = { now: Date.now(), nowMs: () => clock.now };
  let t: TestServer;
  let kv: KinesisVideoClient;
  let source: Buffer;
  let clusters: MkvinfoCluster[];
  let counter = 0;

  before(async () => {
    // The sweeper's own timer is out of the way: the tests sweep when they mean to. 32 KiB
    // segments: the fixture's three ~26 KB clusters span segments.
    t = await startTestServer({}, { clock, retention: { intervalMs: 3_600_000 }, openBlobStore: smallSegmentStore(32 * 1024) });
    kv = t.control();
    source = readFileSync(FIXTURE);
    clusters = mkvinfoClusters(FIXTURE);
  });
  after(() => t?.dispose());

  async function createStream(retentionHours: number): Promise<{ name: string; arn: string }> {
    const name = `ret-${++counter}`;
    const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
    return { name, arn: StreamARN! };
  }

  /** Sends the fixture once; returns how many fragments were acked PERSISTED. */
  async function sendFixture(stream: string): Promise<number> {
    const result = await rawPutMedia(t.url, source, {
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': String(clock.now / 1000) },
    });
    assert.equal(result.status, 200, result.text);
    assert.ok(result.acks.every((a) => a.EventType !== 'ERROR'), result.text);
    return result.acks.filter((a) => a.EventType === 'PERSISTED').length;
  }

  /** Every stored fragment holds, byte for byte, the cluster mkvinfo finds at its place in the fixture. */
  function assertFixtureBytes(fragments: readonly StoredFragment[]): void {
    fragments.forEach((fragment, i) => {
      const cluster = clusters[i % clusters.length]!;
      assert.ok(fragment.bytes.equals(source.subarray(cluster.at, cluster.at + cluster.size)), `fragment ${fragment.fragmentNumber}`);
    });
  }

  test('a sweep past retention deletes the expired fragments and the segment files only they used; newer data stays byte-identical', async () => {
    const { name } = await createStream(1);
    assert.equal(await sendFixture(name), 3);
    clock.now += 30 * MINUTE;
    assert.equal(await sendFixture(name), 3);
    const before = await storedFragments(t.dataDir, name);
    const [older, newer] = [before.slice(0, 3), before.slice(3)];
    const streamId = before[0]!.streamId;
    assert.deepEqual(await segmentKeys(t.dataDir, streamId), keysOf(before));
    const onlyOlder = keysOf(older).filter((key) => !keysOf(newer).includes(key));
    assert.ok(onlyOlder.length > 0, 'the older fragments have a segment of their own');

    clock.now = older[0]!.serverTimestampMs + HOUR + 10 * MINUTE;
    const report = await t.server.sweepRetention();
    assert.equal(report.expiredFragments, 3);

    const afterSweep = await storedFragments(t.dataDir, name);
    assert.deepEqual(afterSweep.map((f) => f.fragmentNumber), newer.map((f) => f.fragmentNumber));
    assertFixtureBytes(afterSweep);
    assert.deepEqual(await segmentKeys(t.dataDir, streamId), keysOf(newer));
    for (const key of onlyOlder) assert.ok(!existsSync(path.join(t.dataDir, 'fragments', key)), key);
    // The stream goes on in the segments it has.
    assert.equal(await sendFixture(name), 3);
    assert.equal((await storedFragments(t.dataDir, name)).length, 6);
  });

  test('UpdateDataRetention DECREASE unlists what is now too old before it returns, and frees the storage', async () => {
    const { name } = await createStream(48);
    assert.equal(await sendFixture(name), 3);
    clock.now += 10 * HOUR;
    assert.equal(await sendFixture(name), 3);
    const before = await storedFragments(t.dataDir, name);
    const streamId = before[0]!.streamId;
    const describe = async () => (await kv.send(new DescribeStreamCommand({ StreamName: name }))).StreamInfo!;

    // 48 h → 12 h keeps everything; then 12 h → 3 h expires the first three.
    const decrease = async (hours: number) =>
      kv.send(new UpdateDataRetentionCommand({ StreamName: name, CurrentVersion: (await describe()).Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: hours }));
    await decrease(36);
    assert.equal((await storedFragments(t.dataDir, name)).length, 6);
    await decrease(9);
    assert.equal((await describe()).DataRetentionInHours, 3);
    const afterDecrease = await storedFragments(t.dataDir, name);
    assert.deepEqual(afterDecrease.map((f) => f.fragmentNumber), before.slice(3).map((f) => f.fragmentNumber));
    assertFixtureBytes(afterDecrease);
    // No sweep: the storage is freed in the background.
    await waitFor('the expired segments are deleted', async () => (await segmentKeys(t.dataDir, streamId)).join() === keysOf(afterDecrease).join());
  });

  test('DeleteStream makes the data unreadable at once and removes the whole series folder in the background', async () => {
    const doomed = await createStream(24);
    const kept = await createStream(24);
    assert.equal(await sendFixture(doomed.name), 3);
    assert.equal(await sendFixture(doomed.name), 3);
    assert.equal(await sendFixture(kept.name), 3);
    const streamId = (await storedFragments(t.dataDir, doomed.name))[0]!.streamId;
    const folder = path.join(t.dataDir, 'fragments', 'streams', String(streamId));
    assert.ok(existsSync(folder));
    await kv.send(new DeleteStreamCommand({ StreamARN: doomed.arn }));
    assert.deepEqual(await storedFragments(t.dataDir, doomed.name), []);
    await waitFor('the series folder is gone', async () => !existsSync(folder));
    assertFixtureBytes(await storedFragments(t.dataDir, kept.name));
  });

  test('a stream with retention 0 keeps what it ingests for the live window only', async () => {
    const { name } = await createStream(0);
    assert.equal(await sendFixture(name), 0, 'no PERSISTED acks without retention');
    const stored = await storedFragments(t.dataDir, name);
    assert.equal(stored.length, 3);
    assertFixtureBytes(stored);
    const streamId = stored[0]!.streamId;
    clock.now = stored[0]!.serverTimestampMs + 4 * MINUTE;
    await t.server.sweepRetention();
    assert.equal((await storedFragments(t.dataDir, name)).length, 3);
    clock.now = stored[2]!.serverTimestampMs + 5 * MINUTE + 1;
    await t.server.sweepRetention();
    assert.deepEqual(await storedFragments(t.dataDir, name), []);
    assert.deepEqual(await segmentKeys(t.dataDir, streamId), []);
  });
});
