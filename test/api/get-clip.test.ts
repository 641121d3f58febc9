/**
 * GetClip through the official archived-media SDK client (after GetDataEndpoint, as real clients
 * do): fixtures ingested with PutMedia come back as MP4 that ffmpeg judges (per-packet MD5 of
 * every stream equal to the source, same times, a clean decode, exact duration), and each
 * documented refusal comes back as the named AWS exception.
 */
import { CreateStreamCommand, GetDataEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetClipCommand, KinesisVideoArchivedMediaClient, type GetClipCommandInput } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { concatBytes } from '../../src/formats/bytes/read.js';
import { describeTrackHeader } from '../../src/formats/codecs/track-info.js';
import { FFMPEG, archive, decodeErrors, fixturePath, framemd5, probe, skipWithoutFfmpeg, type Packet } from '../unit/formats/isobmff/mkv-source.js';
import { rawPutMedia, type WireAck } from '../helpers/put-media.js';
import { rejection, startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

/** Producer start of every RELATIVE ingest here: fragments sit at START_MS + their cluster timecode. */
const START_MS = 1_700_000_000_000;
const MS = 0.001;

let streamCounter = 0;

describe('GetClip', { skip: skipWithoutFfmpeg }, () => {
  let t: TestServer;
  let archived: KinesisVideoArchivedMediaClient;
  let dir = '';

  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-getclip-'));
    const { DataEndpoint } = await t.control().send(new GetDataEndpointCommand({ StreamName: await newStream(), APIName: 'GET_CLIP' }));
    archived = new KinesisVideoArchivedMediaClient({ endpoint: DataEndpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    archived?.destroy();
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function newStream(retentionHours = 24): Promise<string> {
    const name = `clip-${++streamCounter}`;
    await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
    return name;
  }

  /** PutMedia of `body` with RELATIVE timecodes from `startMs`; every fragment must be PERSISTED. */
  async function ingest(stream: string, body: Uint8Array, startMs = START_MS): Promise<WireAck[]> {
    const result = await rawPutMedia(t.url, body, {
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': (startMs / 1000).toFixed(3) },
    });
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.acks.filter((a) => a.EventType === 'ERROR'), [], result.text);
    return result.acks.filter((a) => a.EventType === 'PERSISTED');
  }

  function selector(startMs: number, endMs: number, type: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP' = 'PRODUCER_TIMESTAMP'): GetClipCommandInput['ClipFragmentSelector'] {
    return { FragmentSelectorType: type, TimestampRange: { StartTimestamp: new Date(startMs), EndTimestamp: new Date(endMs) } };
  }

  /** GetClip into a file; returns its path. */
  async function getClip(stream: string, clipSelector = selector(START_MS, START_MS + 60_000)): Promise<string> {
    const output = await archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: clipSelector }));
    assert.equal(output.ContentType, 'video/mp4');
    const bytes = await output.Payload!.transformToByteArray();
    const file = path.join(dir, `${stream}.mp4`);
    writeFileSync(file, bytes);
    return file;
  }

  function assertSamePackets(got: Packet[], expected: Packet[], label: string): void {
    assert.equal(got.length, expected.length, `${label}: packet count`);
    got.forEach((p, i) => {
      assert.equal(`${p.size}:${p.md5}`, `${expected[i]!.size}:${expected[i]!.md5}`, `${label} packet ${i}`);
      assert.ok(Math.abs(p.pts - expected[i]!.pts) <= MS, `${label} packet ${i}: pts ${p.pts} vs ${expected[i]!.pts}`);
    });
  }

  const fixtures = [
    { file: 'h264-aac.mkv', tags: ['avc1', 'mp4a'], duration: 6.037 },
    { file: 'h264.mkv', tags: ['avc1'], duration: 6 },
    { file: 'h265.mkv', tags: ['hvc1'], duration: 6 },
    { file: 'h264-g711.mkv', tags: ['avc1', 'alaw'], duration: 6 },
    { file: 'h264-bframes.mkv', tags: ['avc1'], duration: 6 },
  ];

  for (const { file, tags, duration } of fixtures) {
    test(`${file}: the clip has the source's packets and times, decodes cleanly, lasts ${duration} s`, async () => {
      const stream = await newStream();
      assert.equal((await ingest(stream, readFileSync(fixturePath(file)))).length, 3);
      const clip = await getClip(stream);
      const probed = probe(clip);
      assert.deepEqual(probed.streams.map((s) => s.codec_tag_string), tags);
      assertSamePackets(framemd5(clip, 'v'), framemd5(fixturePath(file), 'v'), 'video');
      if (tags.length > 1) assertSamePackets(framemd5(clip, 'a'), framemd5(fixturePath(file), 'a'), 'audio');
      for (const s of probed.streams) assert.equal(Number(s.start_time), 0, `${s.codec_type} starts at 0`);
      assert.ok(Math.abs(Number(probed.format.duration) - duration) <= MS, `duration ${probed.format.duration}`);
      assert.equal(decodeErrors(clip), '');
    });
  }

  test('the range selects fragments by start time, both ends inclusive; the clip starts at 0', async () => {
    const stream = await newStream();
    await ingest(stream, readFileSync(fixturePath('h264-aac.mkv')));
    const clip = await getClip(stream, selector(START_MS + 1, START_MS + 4000));
    const expected = framemd5(fixturePath('h264-aac.mkv'), 'v').filter((p) => p.pts >= 2 - MS);
    assertSamePackets(framemd5(clip, 'v'), expected.map((p) => ({ ...p, pts: p.pts - 2 })), 'video');
    assert.equal(decodeErrors(clip), '');
  });

  test('SERVER_TIMESTAMP selects by arrival time', async () => {
    const stream = await newStream();
    const before = Date.now() - 1000;
    await ingest(stream, readFileSync(fixturePath('h264.mkv')));
    const clip = await getClip(stream, selector(before, Date.now(), 'SERVER_TIMESTAMP'));
    assertSamePackets(framemd5(clip, 'v'), framemd5(fixturePath('h264.mkv'), 'v'), 'video');
  });

  test('duplicate producer timestamps: the fragments ingested first win', async () => {
    const stream = await newStream();
    await ingest(stream, readFileSync(fixturePath('h264.mkv')));
    await ingest(stream, readFileSync(fixturePath('h264-bframes.mkv'))); // same timestamps, other pictures
    const clip = await getClip(stream);
    assertSamePackets(framemd5(clip, 'v'), framemd5(fixturePath('h264.mkv'), 'v'), 'video');
  });

  // KVS, "Video playback track requirements" (GetClip): "CPD changes aren't supported between the
  // target fragments of the resulting clip. The CPD must remain consistent through the queried
  // media, otherwise an error will be returned." Likewise for track changes.
  test('a codec private data change inside the range is InvalidCodecPrivateDataException naming the fragment; a range before it clips', async () => {
    const stream = await newStream();
    await ingest(stream, readFileSync(fixturePath('h264.mkv')));
    const second = await ingest(stream, readFileSync(fixturePath('h264-bframes.mkv')), START_MS + 6000);
    const err: Error & { $metadata?: { httpStatusCode?: number } } = await rejection(() => archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS + 60_000) })));
    assert.equal(err.name, 'InvalidCodecPrivateDataException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.match(err.message, new RegExp(`fragment ${second[0]!.FragmentNumber}`));
    const clip = await getClip(stream, selector(START_MS, START_MS + 5999));
    assertSamePackets(framemd5(clip, 'v'), framemd5(fixturePath('h264.mkv'), 'v'), 'video');
    const after = await getClip(stream, selector(START_MS + 6000, START_MS + 60_000));
    assertSamePackets(framemd5(after, 'v'), framemd5(fixturePath('h264-bframes.mkv'), 'v'), 'video');
  });

  test('a codec change inside the range (H.264, then H.265) is UnsupportedStreamMediaTypeException', async () => {
    const stream = await newStream();
    await ingest(stream, readFileSync(fixturePath('h264.mkv')));
    await ingest(stream, readFileSync(fixturePath('h265.mkv')), START_MS + 6000);
    const err: Error & { $metadata?: { httpStatusCode?: number } } = await rejection(() => archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS + 60_000) })));
    assert.equal(err.name, 'UnsupportedStreamMediaTypeException');
    assert.match(err.message, /changes codec/);
  });

  test('a clip holds at most the first 200 fragments', async () => {
    const stream = await newStream();
    const source = path.join(dir, 'one-frame-clusters.mkv');
    // 25 fps with a 30 ms cluster limit: every frame is a key frame in a Cluster of its own.
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=25', '-t', '9', '-c:v', 'libx264', '-g', '1', '-cluster_time_limit', '30', source]);
    assert.equal((await ingest(stream, readFileSync(source))).length, 225);
    const clip = await getClip(stream);
    const expected = framemd5(source, 'v').slice(0, 200);
    assertSamePackets(framemd5(clip, 'v'), expected, 'video');
    assert.ok(Math.abs(Number(probe(clip).format.duration) - 8) <= MS);
  });

  test('a 25 MB clip taken by a client that stalls and then reads slowly has every packet of the source', async () => {
    // The server reads the clip in 1 MiB chunks into two buffers it reuses, each only once the
    // socket has taken what it wrote from it. A client that stalls first fills the socket buffers,
    // so the server's writes wait in its own queue, still pointing into those buffers.
    const stream = await newStream();
    const source = path.join(dir, 'noise-lossless.mkv');
    // Lossless H.264 of noise: ~8 MB a second, encoded in well under a second.
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=30,noise=alls=100:allf=t', '-t', '3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '30', source]);
    await ingest(stream, readFileSync(source));
    const body = JSON.stringify({ StreamName: stream, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: START_MS / 1000, EndTimestamp: START_MS / 1000 + 60 } } });
    const req = request(`${t.url}/getClip`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.end(body);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    assert.equal(res.statusCode, 200);
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const chunks: Buffer[] = [];
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      if (chunks.length % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const clip = path.join(dir, `${stream}.mp4`);
    writeFileSync(clip, Buffer.concat(chunks));
    assert.ok(Buffer.concat(chunks).length > 20_000_000, 'more than socket buffers hold');
    assertSamePackets(framemd5(clip, 'v'), framemd5(source, 'v'), 'video');
  });

  test('a client that hangs up mid-clip does not disturb the server', async () => {
    const stream = await newStream();
    // 20 MB of frames (random bytes behind a real H.264 header): more than socket buffers hold.
    const codecPrivate = describeTrackHeader(archive(new Uint8Array(readFileSync(fixturePath('h264.mkv')))).header).tracks[0]!.codecPrivate!;
    const rng = prng(5);
    const clusters = [0, 1, 2, 3].map((c) => cluster({ timecode: c * 1000, frames: Array.from({ length: 10 }, () => randomBytes(rng, 500_000)), frameMs: 100, knownSize: true }));
    await ingest(stream, concatBytes([streamHeader({ codecPrivate }), ...clusters]));
    const body = JSON.stringify({ StreamName: stream, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: START_MS / 1000, EndTimestamp: START_MS / 1000 + 60 } } });
    for (let i = 0; i < 5; i++) {
      const req = request(`${t.url}/getClip`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.end(body);
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      assert.equal(res.statusCode, 200);
      await once(res, 'data');
      req.destroy();
    }
    const output = await archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS + 60_000) }));
    const bytes = await output.Payload!.transformToByteArray();
    assert.ok(bytes.length > 20_000_000, `a whole clip of ${bytes.length} bytes after the hang-ups`);
  });

  describe('refusals', () => {
    async function refusal(input: Partial<GetClipCommandInput>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
      return rejection(() => archived.send(new GetClipCommand({ ClipFragmentSelector: selector(START_MS, START_MS + 60_000), ...input })));
    }

    test('ResourceNotFoundException: an unknown stream, or no fragment in the range', async () => {
      const unknown = await refusal({ StreamName: 'no-such-stream' });
      assert.equal(unknown.name, 'ResourceNotFoundException');
      assert.equal(unknown.$metadata?.httpStatusCode, 404);
      const stream = await newStream();
      await ingest(stream, readFileSync(fixturePath('h264.mkv')));
      const empty = await refusal({ StreamName: stream, ClipFragmentSelector: selector(START_MS + 4001, START_MS + 9000) });
      assert.equal(empty.name, 'ResourceNotFoundException');
    });

    test('InvalidArgumentException: end not after start, more than 24 h, SERVER_TIMESTAMP end in the future, name and ARN both or neither', async () => {
      const stream = await newStream();
      const cases: Partial<GetClipCommandInput>[] = [
        { StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS) },
        { StreamName: stream, ClipFragmentSelector: selector(START_MS + 10, START_MS) },
        { StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS + 24 * 3600_000 + 1) },
        { StreamName: stream, ClipFragmentSelector: selector(Date.now() - 1000, Date.now() + 60_000, 'SERVER_TIMESTAMP') },
        { StreamName: stream, StreamARN: `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${stream}/1` },
        {},
      ];
      for (const input of cases) {
        const err = await refusal(input);
        assert.equal(err.name, 'InvalidArgumentException', JSON.stringify(input));
        assert.equal(err.$metadata?.httpStatusCode, 400);
      }
      const day = await archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: selector(START_MS, START_MS + 24 * 3600_000) })).catch((e: Error) => e);
      assert.equal((day as Error).name, 'ResourceNotFoundException', 'exactly 24 h is allowed');
    });

    test('NoDataRetentionException for a stream that keeps nothing', async () => {
      const err = await refusal({ StreamName: await newStream(0) });
      assert.equal(err.name, 'NoDataRetentionException');
    });

    test('UnsupportedStreamMediaTypeException: MPEG-4 Part 2 video, or audio as track 1', async () => {
      for (const [name, args] of [
        ['mpeg4', ['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=10', '-t', '1', '-c:v', 'mpeg4']],
        ['aac-only', ['-f', 'lavfi', '-i', 'sine', '-t', '1', '-c:a', 'aac']],
      ] as const) {
        const stream = await newStream();
        const body = execFileSync(FFMPEG, ['-v', 'error', ...args, '-f', 'matroska', '-'], { maxBuffer: 1 << 24 });
        await ingest(stream, body);
        const err = await refusal({ StreamName: stream });
        assert.equal(err.name, 'UnsupportedStreamMediaTypeException', name);
      }
    });

    test('MissingCodecPrivateDataException and InvalidCodecPrivateDataException for the H.264 track', async () => {
      for (const [codecPrivate, expected] of [
        [new Uint8Array(0), 'MissingCodecPrivateDataException'],
        [Uint8Array.of(1, 0x64, 0, 0x1f), 'InvalidCodecPrivateDataException'],
      ] as const) {
        const stream = await newStream();
        const frames = [Uint8Array.of(0, 0, 0, 1, 0x65)];
        await ingest(stream, concatBytes([streamHeader({ codecPrivate }), cluster({ timecode: 0, frames, frameMs: 40, knownSize: true })]));
        const err = await refusal({ StreamName: stream });
        assert.equal(err.name, expected);
        assert.equal(err.$metadata?.httpStatusCode, 400);
      }
    });
  });
});
