/**
 * GetImages through the official archived-media SDK client (after GetDataEndpoint, as real clients
 * do). Pictures are judged by ffmpeg, an independent decoder: each PNG at source size is the frame
 * ffmpeg shows at that instant (PSNR ≥ 50 dB, exact where colour conversion agrees), JPEG at
 * quality 90 is within 35 dB of it, and scaled images have the asked size. Every documented
 * validation rule and error comes back as the named AWS exception.
 */
import { CreateStreamCommand, GetDataEndpointCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetImagesCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
  paginateGetImages,
  type GetImagesCommandInput,
  type Image,
} from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeAll, decodeImage, frameAt, psnr, skipWithoutFfmpegInCi, type DecodedVideo } from '../helpers/images.js';
import { rawPutMedia } from '../helpers/put-media.js';
import { rejection, startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { concatBytes } from '../../src/formats/bytes/read.js';
import { describeTrackHeader } from '../../src/formats/codecs/track-info.js';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';
import { archive as archiveFile, FFMPEG, fixturePath } from '../unit/formats/isobmff/mkv-source.js';

const START_MS = 1_700_000_000_000;
let streamCounter = 0;

describe('GetImages', { skip: skipWithoutFfmpegInCi }, () => {
  let t: TestServer;
  let archived: KinesisVideoArchivedMediaClient;
  let dir = '';
  const decoded = new Map<string, DecodedVideo>();

  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-getimages-'));
    const { DataEndpoint } = await t.control().send(new GetDataEndpointCommand({ StreamName: await newStream(), APIName: 'GET_IMAGES' }));
    archived = new KinesisVideoArchivedMediaClient({ endpoint: DataEndpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    archived?.destroy();
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function newStream(retentionHours = 24): Promise<string> {
    const name = `images-${++streamCounter}`;
    await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
    return name;
  }

  async function ingest(stream: string, body: Uint8Array, startMs = START_MS): Promise<void> {
    const result = await rawPutMedia(t.url, body, {
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': (startMs / 1000).toFixed(3) },
    });
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.acks.filter((a) => a.EventType === 'ERROR'), [], result.text);
  }

  async function streamOf(file: string): Promise<string> {
    const stream = await newStream();
    await ingest(stream, readFileSync(fixturePath(file)));
    return stream;
  }

  function source(file: string): DecodedVideo {
    let video = decoded.get(file);
    if (!video) decoded.set(file, (video = decodeAll(fixturePath(file))));
    return video;
  }

  function images(input: Partial<GetImagesCommandInput> & { StreamName: string }) {
    return archived.send(
      new GetImagesCommand({
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: new Date(START_MS),
        EndTimestamp: new Date(START_MS + 6000),
        Format: 'PNG',
        ...input,
      }),
    );
  }

  function content(image: Image): Buffer {
    assert.equal(image.Error, undefined, `image at ${image.TimeStamp?.toISOString()}: ${image.Error}`);
    return Buffer.from(image.ImageContent!, 'base64');
  }

  for (const file of ['h264-bframes.mkv', 'h265.mkv', 'h264.mkv']) {
    test(`${file}: each PNG at source size is the frame on screen at its instant, as ffmpeg decodes it`, async () => {
      const stream = await streamOf(file);
      const video = source(file);
      // 700 ms does not divide the 2-s GOPs: samples land on key frames, P- and B-frames alike.
      const { Images } = await images({ StreamName: stream, SamplingInterval: 700 });
      assert.equal(Images!.length, 9);
      Images!.forEach((image, k) => {
        assert.equal(image.TimeStamp!.getTime(), START_MS + 700 * k);
        const got = decodeImage(content(image));
        assert.deepEqual([got.width, got.height], [video.width, video.height]);
        const expected = video.frames[frameAt(video, 700 * k)]!;
        const db = psnr(got.rgb, expected);
        assert.ok(db >= 50, `sample ${k} (${700 * k} ms): PSNR ${db.toFixed(1)} dB against ffmpeg's frame`);
        // A neighbouring frame must not pass as well, or the comparison proves nothing.
        const other = video.frames[frameAt(video, 700 * k) + 1] ?? video.frames[frameAt(video, 700 * k) - 1]!;
        assert.ok(psnr(got.rgb, other) < db, `sample ${k}: not closer to the next frame`);
      });
    });
  }

  test('JPEG at JPEGQuality 90 is within 35 dB of ffmpeg\'s frame; the default quality gives a smaller file', async () => {
    const stream = await streamOf('h264-bframes.mkv');
    const video = source('h264-bframes.mkv');
    const q90 = await images({ StreamName: stream, Format: 'JPEG', FormatConfig: { JPEGQuality: '90' }, SamplingInterval: 1300 });
    const q80 = await images({ StreamName: stream, Format: 'JPEG', SamplingInterval: 1300 });
    const q10 = await images({ StreamName: stream, Format: 'JPEG', FormatConfig: { JPEGQuality: '10' }, SamplingInterval: 1300 });
    assert.equal(q90.Images!.length, 5);
    q90.Images!.forEach((image, k) => {
      const bytes = content(image);
      assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG file');
      const got = decodeImage(bytes);
      const db = psnr(got.rgb, video.frames[frameAt(video, 1300 * k)]!);
      assert.ok(db >= 35, `sample ${k}: PSNR ${db.toFixed(1)} dB`);
    });
    const size = (r: typeof q90) => r.Images!.reduce((sum, image) => sum + content(image).length, 0);
    assert.ok(size(q10) < size(q80) && size(q80) < size(q90), `sizes ${size(q10)} < ${size(q80)} < ${size(q90)}`);
  });

  test('WidthPixels with HeightPixels stretch; HeightPixels alone keeps the aspect ratio', async () => {
    const stream = await streamOf('h264.mkv');
    const both = await images({ StreamName: stream, WidthPixels: 64, HeightPixels: 100, EndTimestamp: new Date(START_MS) });
    assert.equal(both.Images!.length, 1);
    assert.deepEqual(pngSize(content(both.Images![0]!)), [64, 100]);
    const tall = await images({ StreamName: stream, HeightPixels: 60, EndTimestamp: new Date(START_MS + 100), Format: 'JPEG' });
    const got = decodeImage(content(tall.Images![0]!));
    assert.deepEqual([got.width, got.height], [80, 60], '160x120 at height 60 is 80 wide');
  });

  test('pages of 25 whatever MaxResults above it; smaller MaxResults; the NextToken chain covers every sample once', async () => {
    const stream = await streamOf('h264.mkv');
    const collect = async (pageSize?: number) => {
      const pages: Image[][] = [];
      for await (const page of paginateGetImages({ client: archived, pageSize }, { StreamName: stream, ImageSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 6000), SamplingInterval: 200, Format: 'JPEG', HeightPixels: 30 })) {
        pages.push(page.Images!);
      }
      return pages;
    };
    const big = await collect(100);
    assert.deepEqual(big.map((p) => p.length), [25, 5]);
    const small = await collect(7);
    assert.deepEqual(small.map((p) => p.length), [7, 7, 7, 7, 2]);
    const times = small.flat().map((i) => i.TimeStamp!.getTime());
    assert.deepEqual(times, Array.from({ length: 30 }, (_, k) => START_MS + 200 * k));
    assert.ok(small.flat().every((i) => i.ImageContent));
  });

  test('NO_MEDIA where no fragment covers the instant: before the stream, in a gap, after it', async () => {
    const stream = await streamOf('h264.mkv');
    await ingest(stream, readFileSync(fixturePath('h264.mkv')), START_MS + 20_000);
    const { Images } = await images({ StreamName: stream, StartTimestamp: new Date(START_MS - 3000), EndTimestamp: new Date(START_MS + 30_000), SamplingInterval: 3000 });
    const kinds = Images!.map((i) => (i.Error ?? (i.ImageContent ? 'image' : 'none')));
    // -3, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27 s: media at [0, 6) and [20, 26).
    assert.deepEqual(kinds, ['NO_MEDIA', 'image', 'image', 'NO_MEDIA', 'NO_MEDIA', 'NO_MEDIA', 'NO_MEDIA', 'NO_MEDIA', 'image', 'image', 'NO_MEDIA']);
  });

  test('SERVER_TIMESTAMP samples by arrival time', async () => {
    const stream = await streamOf('h264.mkv');
    const { Fragments } = await archived.send(
      new ListFragmentsCommand({ StreamName: stream, FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 6000) } } }),
    );
    const arrived = Math.min(...Fragments!.map((f) => f.ServerTimestamp!.getTime()));
    const { Images } = await images({ StreamName: stream, ImageSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(arrived - 1000), EndTimestamp: new Date(arrived + 1000), SamplingInterval: 1000 });
    assert.deepEqual(Images!.map((i) => i.Error ?? 'image'), ['NO_MEDIA', 'image']);
    // By producer time the same instants are long before the stream: nothing there.
    const producer = await images({ StreamName: stream, StartTimestamp: new Date(arrived), EndTimestamp: new Date(arrived) });
    assert.deepEqual(producer.Images!.map((i) => i.Error), ['NO_MEDIA']);
  });

  test('MEDIA_ERROR where track 1 is not video (an audio-only stream)', async () => {
    const audio = path.join(dir, 'audio.mkv');
    execFileSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', '-c:a', 'aac', '-cluster_time_limit', '2000', '-y', audio]);
    const stream = await newStream();
    await ingest(stream, readFileSync(audio));
    const { Images } = await images({ StreamName: stream, SamplingInterval: 1000, EndTimestamp: new Date(START_MS + 3000) });
    assert.deepEqual(Images!.map((i) => i.Error), ['MEDIA_ERROR', 'MEDIA_ERROR', 'MEDIA_ERROR']);
  });

  test('MEDIA_ERROR where the video does not decode; the next call is served as usual', async () => {
    const avcC = describeTrackHeader(archiveFile(readFileSync(fixturePath('h264.mkv'))).header).tracks[0]!.codecPrivate!;
    const rng = prng(0x1bad);
    const garbage = concatBytes([
      streamHeader({ codecPrivate: avcC }),
      ...[0, 2000].map((timecode) => cluster({ timecode, frames: Array.from({ length: 30 }, () => randomBytes(rng, 600)), frameMs: 66, knownSize: true })),
    ]);
    const stream = await newStream();
    await ingest(stream, garbage);
    const broken = await images({ StreamName: stream, SamplingInterval: 1000, EndTimestamp: new Date(START_MS + 4000) });
    assert.deepEqual(broken.Images!.map((i) => i.Error), ['MEDIA_ERROR', 'MEDIA_ERROR', 'MEDIA_ERROR', 'MEDIA_ERROR']);
    const good = await images({ StreamName: await streamOf('h264.mkv'), EndTimestamp: new Date(START_MS) });
    assert.ok(good.Images![0]!.ImageContent);
  });

  describe('refusals', () => {
    let stream = '';
    before(async () => {
      stream = await streamOf('h264.mkv');
    });
    const refused = async (input: Record<string, unknown>) => rejection(() => images({ StreamName: stream, ...input } as never));
    const cases: [string, Record<string, unknown>][] = [
      ['a range over 300 s', { EndTimestamp: new Date(START_MS + 300_001) }],
      ['EndTimestamp before StartTimestamp', { EndTimestamp: new Date(START_MS - 1) }],
      ['SamplingInterval under 200 ms', { SamplingInterval: 199 }],
      ['WidthPixels without HeightPixels', { WidthPixels: 100 }],
      ['WidthPixels 0', { WidthPixels: 0, HeightPixels: 10 }],
      ['WidthPixels over 3840', { WidthPixels: 3841, HeightPixels: 10 }],
      ['HeightPixels over 2160', { HeightPixels: 2161 }],
      ['JPEGQuality 0', { Format: 'JPEG', FormatConfig: { JPEGQuality: '0' } }],
      ['JPEGQuality 101', { Format: 'JPEG', FormatConfig: { JPEGQuality: '101' } }],
      ['JPEGQuality not a number', { Format: 'JPEG', FormatConfig: { JPEGQuality: 'high' } }],
      ['a FormatConfig key other than JPEGQuality', { Format: 'JPEG', FormatConfig: { Quality: '50' } }],
      ['Format GIF', { Format: 'GIF' }],
      ['MaxResults 0', { MaxResults: 0 }],
      ['MaxResults 101', { MaxResults: 101 }],
      ['ImageSelectorType NOW', { ImageSelectorType: 'NOW' }],
      ['a NextToken that is not one', { NextToken: 'bm90IGEgdG9rZW4=' }],
    ];
    for (const [what, input] of cases) {
      test(`InvalidArgumentException (400): ${what}`, async () => {
        const err = await refused(input);
        assert.equal(err.name, 'InvalidArgumentException', err.message);
        assert.equal(err.$metadata?.httpStatusCode, 400);
      });
    }

    test('a NextToken only continues its own stream and schedule', async () => {
      const first = await images({ StreamName: stream, SamplingInterval: 200, MaxResults: 5, Format: 'JPEG', HeightPixels: 20 });
      assert.ok(first.NextToken);
      const next = await images({ StreamName: stream, SamplingInterval: 200, MaxResults: 5, Format: 'JPEG', HeightPixels: 20, NextToken: first.NextToken });
      assert.equal(next.Images![0]!.TimeStamp!.getTime(), START_MS + 1000);
      const otherRange = await refused({ SamplingInterval: 400, NextToken: first.NextToken });
      assert.equal(otherRange.name, 'InvalidArgumentException');
      const otherStream = await rejection(() => images({ StreamName: 'images-1', SamplingInterval: 200, NextToken: first.NextToken }));
      assert.equal(otherStream.name, 'InvalidArgumentException');
    });

    test('ResourceNotFoundException (404) for an unknown stream', async () => {
      const err = await rejection(() => images({ StreamName: 'no-such-stream' }));
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata?.httpStatusCode, 404);
    });

    test('NoDataRetentionException (400) for a stream that keeps no data', async () => {
      const err = await rejection(async () => images({ StreamName: await newStream(0) }));
      assert.equal(err.name, 'NoDataRetentionException');
      assert.equal(err.$metadata?.httpStatusCode, 400);
    });
  });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}
