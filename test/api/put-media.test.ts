import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeFrameIndex } from '../../src/domain/frame-index.js';
import { mkvinfoClusters, MKVINFO, type MkvinfoCluster } from '../helpers/mkvinfo.js';
import { REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { chunked, rawPutMedia, storedFragments, type WireAck } from '../helpers/put-media.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);
const skip = skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)');

let streamCounter = 0;
async function newStream(t: TestServer, retentionHours = 24): Promise<string> {
  const name = `cam-${++streamCounter}`;
  await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
  return name;
}

const ofType = (acks: WireAck[], type: string) => acks.filter((a) => a.EventType === type);

/** Every cluster of the source, as mkvinfo reads it, must come back as one stored fragment, byte for byte. */
function assertFragmentsMatch(source: Buffer, clusters: MkvinfoCluster[], fragments: Awaited<ReturnType<typeof storedFragments>>): void {
  assert.equal(fragments.length, clusters.length, 'one fragment per cluster');
  fragments.forEach((fragment, i) => {
    const cluster = clusters[i]!;
    assert.ok(fragment.bytes.equals(source.subarray(cluster.at, cluster.at + cluster.size)), `fragment ${i} holds cluster ${i}'s bytes`);
    const frames = decodeFrameIndex(fragment.frameIndex);
    assert.deepEqual(
      frames.map((f) => [f.track, f.key, f.offset, f.size]),
      cluster.frames.map((f) => [f.track, f.key, f.at - cluster.at, f.size]),
      `frame index of fragment ${i}`,
    );
    assert.equal(fragment.clusterTimecode, Math.round(cluster.timestampNs / 1e6));
  });
}

describe('PutMedia', { skip }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({}, { putMediaIdle: { ackIntervalMs: 100, timeoutMs: 600 } });
  });
  after(() => t?.dispose());

  for (const name of ['h264-aac.mkv', 'h264.mkv', 'h265.mkv', 'h264-g711.mkv', 'h264-unknown-size.mkv', 'h264-v-mpeg-avc.mkv']) {
    test(`${name}: every cluster is acked BUFFERING, RECEIVED, PERSISTED and stored byte for byte`, async () => {
      const stream = await newStream(t);
      const source = readFileSync(fixture(name));
      const clusters = mkvinfoClusters(fixture(name));
      const result = await rawPutMedia(t.url, chunked(source, 16 * 1024), { headers: { 'x-amzn-stream-name': stream } });
      assert.equal(result.status, 200);
      assert.equal(ofType(result.acks, 'ERROR').length, 0, result.text);
      for (const type of ['BUFFERING', 'RECEIVED', 'PERSISTED']) {
        assert.deepEqual(
          ofType(result.acks, type).map((a) => a.FragmentTimecode),
          clusters.map((c) => Math.round(c.timestampNs / 1e6)),
          `${type} acks echo each cluster timecode`,
        );
      }
      const numbers = ofType(result.acks, 'PERSISTED').map((a) => a.FragmentNumber!);
      assert.ok(numbers.every((n) => /^\d{47}$/.test(n)), 'fragment numbers are 47-digit strings');
      assert.deepEqual([...numbers].sort(), numbers, 'increasing');
      assertFragmentsMatch(source, clusters, await storedFragments(t.dataDir, stream));
    });
  }

  test('a body fed in tiny writes gives the same fragments as one written whole', async () => {
    const source = readFileSync(fixture('h264-aac.mkv'));
    const clusters = mkvinfoClusters(fixture('h264-aac.mkv'));
    const stream = await newStream(t);
    const result = await rawPutMedia(t.url, chunked(source, 7), { headers: { 'x-amzn-stream-name': stream } });
    assert.equal(ofType(result.acks, 'PERSISTED').length, clusters.length, result.text);
    assertFragmentsMatch(source, clusters, await storedFragments(t.dataDir, stream));
  });

  test('acks are single JSON lines with AWS key spelling and types', async () => {
    const stream = await newStream(t);
    const result = await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), { headers: { 'x-amzn-stream-name': stream } });
    const lines = result.text.split('\n');
    assert.equal(lines.pop(), '', 'every ack ends with a newline');
    for (const line of lines) {
      const ack = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(ack), ['EventType', 'FragmentTimecode', 'FragmentNumber']);
      assert.equal(typeof ack['FragmentTimecode'], 'number');
      assert.equal(typeof ack['FragmentNumber'], 'string');
    }
  });

  test('producer timestamps follow the timecode type; server timestamps are arrival times', async () => {
    const clusters = mkvinfoClusters(fixture('h264.mkv'));
    const timecodes = clusters.map((c) => Math.round(c.timestampNs / 1e6));
    const relative = await newStream(t);
    const before = Date.now();
    await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), {
      headers: { 'x-amzn-stream-name': relative, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': '1700000000.25' },
    });
    const afterPut = Date.now();
    const relativeFragments = await storedFragments(t.dataDir, relative);
    assert.deepEqual(relativeFragments.map((f) => f.producerTimestampMs), timecodes.map((tc) => 1_700_000_000_250 + tc));
    for (const f of relativeFragments) assert.ok(f.serverTimestampMs >= before && f.serverTimestampMs <= afterPut);

    const absolute = await newStream(t);
    await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), {
      headers: { 'x-amzn-stream-name': absolute, 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000' },
    });
    assert.deepEqual((await storedFragments(t.dataDir, absolute)).map((f) => f.producerTimestampMs), timecodes);
  });

  test('fragment metadata Tags after a cluster are kept with that fragment', async () => {
    const stream = await newStream(t);
    const result = await rawPutMedia(t.url, readFileSync(fixture('h264-with-tags.mkv')), { headers: { 'x-amzn-stream-name': stream } });
    assert.equal(ofType(result.acks, 'ERROR').length, 0, result.text);
    const fragments = await storedFragments(t.dataDir, stream);
    assert.ok(fragments.length > 1);
    for (const f of fragments) {
      // END_OF_FRAGMENT after the last cluster is a signal, not metadata.
      assert.deepEqual(f.tags, [{ name: 'camera', value: 'front' }, { name: 'event', value: 'motion' }], f.fragmentNumber);
    }
  });

  test('the stream ARN header works as well as the name', async () => {
    const stream = await newStream(t);
    const { StreamInfo } = await t.control().send(new DescribeStreamCommand({ StreamName: stream }));
    const result = await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), { headers: { 'x-amzn-stream-arn': StreamInfo!.StreamARN! } });
    assert.ok(ofType(result.acks, 'PERSISTED').length > 0, result.text);
  });

  describe('bad requests are refused before the body', () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['an unknown stream', { 'x-amzn-stream-name': 'no-such-stream' }, 404, 'ResourceNotFoundException'],
      ['no stream header', {}, 400, 'InvalidArgumentException'],
      ['both name and ARN', { 'x-amzn-stream-name': 'a', 'x-amzn-stream-arn': 'arn:aws:kinesisvideo:us-east-1:1:stream/a/1' }, 400, 'InvalidArgumentException'],
      ['a bad stream name', { 'x-amzn-stream-name': 'bad name' }, 400, 'InvalidArgumentException'],
      ['a bad timecode type', { 'x-amzn-stream-name': 'a', 'x-amzn-fragment-timecode-type': 'SOMETIMES' }, 400, 'InvalidArgumentException'],
      ['a bad start timestamp', { 'x-amzn-stream-name': 'a', 'x-amzn-producer-start-timestamp': 'yesterday' }, 400, 'InvalidArgumentException'],
    ];
    for (const [what, headers, status, errorType] of cases) {
      test(what, async () => {
        const result = await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), { headers });
        assert.equal(result.status, status, result.text);
        assert.match(String(result.headers['x-amzn-errortype']), new RegExp(`^${errorType}`));
        assert.match(String(result.headers['x-amz-errortype']), new RegExp(`^${errorType}`));
      });
    }
  });

  describe('each broken rule ends the session with its ERROR ack', () => {
    const cases: [string, number, string][] = [
      ['err-4006-garbage.mkv', 4006, 'INVALID_MKV_DATA'],
      ['err-4004-timecode-backwards.mkv', 4004, 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS'],
      ['err-4010-track-mismatch.mkv', 4010, 'TRACK_NUMBER_MISMATCH'],
      ['err-4011-frames-missing.mkv', 4011, 'FRAMES_MISSING_FOR_TRACK'],
      ['err-4012-four-tracks.mkv', 4012, 'MORE_THAN_ALLOWED_TRACKS_FOUND'],
      ['err-4002-long-fragment.mkv', 4002, 'MAX_FRAGMENT_DURATION_REACHED'],
      ['err-4009-too-many-tags.mkv', 4009, 'FRAGMENT_METADATA_LIMIT_REACHED'],
      ['err-4009-aws-prefix-tag.mkv', 4009, 'FRAGMENT_METADATA_LIMIT_REACHED'],
      ['err-4009-long-tag.mkv', 4009, 'FRAGMENT_METADATA_LIMIT_REACHED'],
    ];
    for (const [name, errorId, errorCode] of cases) {
      test(`${name} → ${errorId}`, async () => {
        const stream = await newStream(t);
        const result = await rawPutMedia(t.url, chunked(readFileSync(fixture(name)), 16 * 1024), { headers: { 'x-amzn-stream-name': stream } });
        assert.equal(result.status, 200);
        const errors = ofType(result.acks, 'ERROR');
        assert.equal(errors.length, 1, result.text);
        assert.equal(errors[0]!.ErrorId, errorId);
        assert.equal(errors[0]!.ErrorCode, errorCode);
        // Whatever was PERSISTED before the error is stored; nothing else is.
        const persisted = ofType(result.acks, 'PERSISTED').map((a) => a.FragmentNumber);
        assert.deepEqual((await storedFragments(t.dataDir, stream)).map((f) => f.fragmentNumber), persisted);
      });
    }
  });

  test('a fragment over 50 MiB ends with 4001', async () => {
    const stream = await newStream(t);
    const source = readFileSync(fixture('h264-unknown-size.mkv'));
    const firstCluster = mkvinfoClusters(fixture('h264-unknown-size.mkv'))[0]!;
    // The unknown-size first cluster, then 51 MiB of Void inside it: the fragment grows past the limit.
    async function* body() {
      yield source.subarray(0, firstCluster.at + firstCluster.size);
      yield Buffer.from([0xec, 0x01, 0x00, 0x00, 0x00, 0x03, 0x30, 0x00, 0x00]); // Void, size 51 MiB
      for (let i = 0; i < 51; i++) yield Buffer.alloc(1024 * 1024);
    }
    const result = await rawPutMedia(t.url, body(), { headers: { 'x-amzn-stream-name': stream } });
    assert.deepEqual(ofType(result.acks, 'ERROR').map((a) => a.ErrorId), [4001], result.text.slice(0, 500));
  });

  test('AWS_KINESISVIDEO_END_OF_FRAGMENT closes the open fragment at once, before the body ends', async () => {
    const stream = await newStream(t);
    const source = readFileSync(fixture('h264-unknown-size.mkv'));
    const clusters = mkvinfoClusters(fixture('h264-unknown-size.mkv'));
    const tag = buildEndOfFragmentTags();
    let persisted!: () => void;
    const gotPersisted = new Promise<void>((resolve) => (persisted = resolve));
    async function* body() {
      yield source; // every cluster, the last one still open (unknown size)
      yield tag;
      await gotPersisted; // like Amazon's producer: wait for PERSISTED before ending the body
    }
    const result = await rawPutMedia(t.url, body(), {
      headers: { 'x-amzn-stream-name': stream },
      onAck: (ack) => {
        if (ack.EventType === 'PERSISTED' && ack.FragmentTimecode === Math.round(clusters.at(-1)!.timestampNs / 1e6)) persisted();
      },
    });
    assert.equal(ofType(result.acks, 'PERSISTED').length, clusters.length, result.text);
  });

  test('IDLE acks flow while the producer pauses, and the session closes when it stays silent', async () => {
    const stream = await newStream(t);
    async function* body() {
      yield readFileSync(fixture('h264.mkv'));
      await new Promise(() => {}); // never ends: the server must close the session
    }
    const result = await rawPutMedia(t.url, body(), { headers: { 'x-amzn-stream-name': stream } });
    assert.ok(ofType(result.acks, 'IDLE').length >= 2, result.text);
    assert.ok(ofType(result.acks, 'PERSISTED').length > 0);
  });

  test('a stream with retention 0 gets RECEIVED but no PERSISTED', async () => {
    const stream = await newStream(t, 0);
    const result = await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), { headers: { 'x-amzn-stream-name': stream } });
    assert.ok(ofType(result.acks, 'RECEIVED').length > 0, result.text);
    assert.equal(ofType(result.acks, 'PERSISTED').length, 0);
  });

  test('concurrent sessions on one stream interleave, with unique increasing fragment numbers', async () => {
    const stream = await newStream(t);
    const source = readFileSync(fixture('h264-aac.mkv'));
    const results = await Promise.all(
      [0, 1, 2].map(() => rawPutMedia(t.url, chunked(source, 4096), { headers: { 'x-amzn-stream-name': stream } })),
    );
    const numbers = results.flatMap((r) => ofType(r.acks, 'PERSISTED').map((a) => a.FragmentNumber!));
    assert.equal(new Set(numbers).size, numbers.length, 'unique');
    const stored = (await storedFragments(t.dataDir, stream)).map((f) => f.fragmentNumber);
    assert.deepEqual(stored, [...numbers].sort());
    for (const r of results) {
      const own = ofType(r.acks, 'BUFFERING').map((a) => a.FragmentNumber!);
      assert.deepEqual([...own].sort(), own, 'each session sees its numbers increase');
    }
  });

  test('deleting the stream mid-session ends it with 4008 STREAM_NOT_ACTIVE', async () => {
    const stream = await newStream(t);
    const source = readFileSync(fixture('h264.mkv'));
    const clusters = mkvinfoClusters(fixture('h264.mkv'));
    let deleted!: () => void;
    const streamDeleted = new Promise<void>((resolve) => (deleted = resolve));
    async function* body() {
      yield source.subarray(0, clusters[1]!.at); // header + first cluster
      await streamDeleted;
      yield source.subarray(clusters[1]!.at);
    }
    const result = await rawPutMedia(t.url, body(), {
      headers: { 'x-amzn-stream-name': stream },
      onAck: (ack) => {
        if (ack.EventType !== 'PERSISTED') return;
        void t
          .control()
          .send(new DescribeStreamCommand({ StreamName: stream }))
          .then(({ StreamInfo }) => t.control().send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN! })))
          .then(() => deleted());
      },
    });
    assert.deepEqual(ofType(result.acks, 'ERROR').map((a) => a.ErrorId), [4008], result.text);
  });

  test('other streams keep ingesting while one session fails', async () => {
    const good = await newStream(t);
    const bad = await newStream(t);
    const [ok, broken] = await Promise.all([
      rawPutMedia(t.url, chunked(readFileSync(fixture('h264-aac.mkv')), 1024), { headers: { 'x-amzn-stream-name': good } }),
      rawPutMedia(t.url, chunked(readFileSync(fixture('err-4006-garbage.mkv')), 1024), { headers: { 'x-amzn-stream-name': bad } }),
    ]);
    assert.equal(ofType(broken.acks, 'ERROR').length, 1);
    assert.equal(ofType(ok.acks, 'ERROR').length, 0);
    assert.equal(ofType(ok.acks, 'PERSISTED').length, mkvinfoClusters(fixture('h264-aac.mkv')).length);
  });
});

describe('PutMedia when storage fails', { skip }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  test('fragments that cannot be stored get 5001 ARCHIVAL_ERROR, and the server keeps serving', async () => {
    const stream = await newStream(t);
    // A file where the stream's fragment folder must go: every append fails.
    await mkdir(path.join(t.dataDir, 'fragments'), { recursive: true });
    await writeFile(path.join(t.dataDir, 'fragments', 'streams'), 'not a folder');
    const result = await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), { headers: { 'x-amzn-stream-name': stream } });
    assert.deepEqual(ofType(result.acks, 'ERROR').map((a) => a.ErrorId), [5001], result.text);
    assert.equal(ofType(result.acks, 'PERSISTED').length, 0);
    const { StreamInfo } = await t.control().send(new DescribeStreamCommand({ StreamName: stream }));
    assert.equal(StreamInfo?.Status, 'ACTIVE');
  });
});

/** Tags { Tag { SimpleTag { TagName "AWS_KINESISVIDEO_END_OF_FRAGMENT", TagString "" } } } (RFC 9559 §5.1.8). */
function buildEndOfFragmentTags(): Buffer {
  const element = (id: string, payload: Buffer) => Buffer.concat([Buffer.from(id, 'hex'), Buffer.from([0x80 | payload.length]), payload]);
  const name = element('45a3', Buffer.from('AWS_KINESISVIDEO_END_OF_FRAGMENT'));
  const value = element('4487', Buffer.alloc(0));
  return element('1254c367', element('7373', element('67c8', Buffer.concat([name, value]))));
}
