/**
 * The stills' pure helpers: AWS's output size rules, the JPEGQuality mapping, H.264 non-reference
 * detection (x264's -bf 2 output has
 * non-reference B-frames, its P-only output none), and GetImages' NextToken binding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { decodeImagesToken, encodeImagesToken } from '../../../src/archive/images-token.js';
import { InvalidArgumentException } from '../../../src/domain/errors.js';
import { isAvcNonReference } from '../../../src/formats/codecs/nal-reference.js';
import { concatBytes } from '../../../src/formats/bytes/read.js';
import { describeTrackCodec } from '../../../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../../src/formats/codecs/track-info.js';
import { jpegQscale, outputSize, runStillJob } from '../../../src/stills/still-codec.js';
import { archive, fixturePath } from '../formats/isobmff/mkv-source.js';

describe('stills helpers', () => {
  test('output size: source, both (stretched), height alone (aspect kept)', () => {
    assert.deepEqual(outputSize({}, 1280, 720), { width: 1280, height: 720 });
    assert.deepEqual(outputSize({ width: 100, height: 100 }, 1280, 720), { width: 100, height: 100 });
    assert.deepEqual(outputSize({ height: 360 }, 1280, 720), { width: 640, height: 360 });
    assert.deepEqual(outputSize({ height: 1 }, 160, 120), { width: 1, height: 1 });
  });

  test('JPEGQuality maps monotonically onto the MJPEG quantiser scale', () => {
    let previous = Infinity;
    for (let q = 1; q <= 100; q++) {
      const scale = jpegQscale(q);
      assert.ok(scale >= 1 && scale <= 31 && scale <= previous, `quality ${q}: qscale ${scale}`);
      previous = scale;
    }
    assert.equal(jpegQscale(100), 1);
    assert.equal(jpegQscale(1), 31);
  });

  test('H.264 non-reference pictures: the B-frames of h264-bframes.mkv, and no frame of h264.mkv', () => {
    const bytes = readFileSync(fixturePath('h264-bframes.mkv'));
    const frames = archive(bytes).fragments.flatMap((f) => f.frames);
    const nonRef = frames.filter((f) => isAvcNonReference(bytes.subarray(f.offset, f.offset + f.size), 4));
    assert.ok(nonRef.length >= frames.length / 4, `${nonRef.length} of ${frames.length} frames are non-reference`);
    assert.ok(nonRef.every((f) => !f.key));
    const plain = readFileSync(fixturePath('h264.mkv'));
    const plainFrames = archive(plain).fragments.flatMap((f) => f.frames);
    assert.equal(plainFrames.filter((f) => isAvcNonReference(plain.subarray(f.offset, f.offset + f.size), 4)).length, 0);
    assert.equal(isAvcNonReference(Uint8Array.of(0, 0, 0, 2, 0x01, 0x88), 4), true, 'nal_ref_idc 0 slice');
    assert.equal(isAvcNonReference(Uint8Array.of(0, 0, 0, 2, 0x21, 0x88), 4), false, 'nal_ref_idc 1 slice');
    assert.equal(isAvcNonReference(Uint8Array.of(0, 0, 0, 2, 0x06, 0x05), 4), false, 'SEI only: no slice');
  });

  test('a NextToken continues only its own stream and schedule', () => {
    const schedule = { by: 'producer' as const, startMs: 0, endMs: 300_000, intervalMs: 3000 };
    const token = encodeImagesToken('arn:a', schedule, 25);
    assert.match(token, /^[a-zA-Z0-9+/]+={0,2}$/);
    assert.equal(decodeImagesToken('arn:a', schedule, token), 25);
    assert.throws(() => decodeImagesToken('arn:b', schedule, token), InvalidArgumentException);
    assert.throws(() => decodeImagesToken('arn:a', { ...schedule, intervalMs: 200 }, token), InvalidArgumentException);
    assert.throws(() => decodeImagesToken('arn:a', schedule, Buffer.from('i1|producer,0,300000,3000|26|0000').toString('base64')), InvalidArgumentException);
  });
});

describe('runStillJob (node-av, in-process)', () => {
  test('several samples of one GOP from one decode equal each decoded on its own', () => {
    const bytes = readFileSync(fixturePath('h264-bframes.mkv'));
    const file = archive(bytes);
    const video = describeTrackCodec(describeTrackHeader(file.header).tracks[0]!);
    assert.ok(video.media === 'video');
    const frames = file.fragments[1]!.frames;
    const job = (targets: number[], last: number) => ({
      codec: video.kind,
      extradata: video.record,
      nalLengthSize: video.nalLengthSize,
      payload: concatBytes(frames.slice(0, last + 1).map((f) => bytes.subarray(f.offset, f.offset + f.size))),
      sizes: frames.slice(0, last + 1).map((f) => f.size),
      pts: frames.slice(0, last + 1).map((f) => f.timecode),
      targets,
      output: { format: 'PNG' as const, quality: 80 },
    });
    const together = runStillJob(job([2, 9, 17], 17)).images;
    assert.equal(together.length, 3);
    [2, 9, 17].forEach((target, i) => {
      const alone = runStillJob(job([target], target)).images[0];
      assert.ok(alone && together[i]);
      assert.deepEqual(Buffer.from(together[i]!), Buffer.from(alone), `frame ${target}`);
    });
    assert.notDeepEqual(Buffer.from(together[0]!), Buffer.from(together[1]!));
  });
});
