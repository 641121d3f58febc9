/**
 * Stored track headers (Info + Tracks as received) → typed tracks and codecs: the committed
 * fixtures against ffprobe, and headers made with the EBML writer for the refusals GetClip and
 * the HLS/DASH sessions report (unsupported codec, missing or invalid codec private data).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { concatBytes } from '../../../../src/formats/bytes/read.js';
import { CodecConfigError, type CodecProblem } from '../../../../src/formats/codecs/codec-error.js';
import { describeTrackCodec } from '../../../../src/formats/codecs/track-codec.js';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import { binaryElement, element, stringElement, uintElement } from '../../../../src/formats/matroska/writer.js';
import { archive, fixturePath, probe, skipWithoutFfmpeg } from '../isobmff/mkv-source.js';

const fixtures = [
  { file: 'h264-aac.mkv', codecs: ['avc1.64000a', 'mp4a.40.2'] },
  { file: 'h264.mkv', codecs: ['avc1.64000a'] },
  { file: 'h265.mkv', codecs: ['hvc1.1.6.L30.90'] },
  { file: 'h264-g711.mkv', codecs: ['avc1.64000a', 'alaw'] },
  { file: 'h264-v-mpeg-avc.mkv', codecs: ['avc1.64000a'] },
];

describe('track headers of the fixtures, judged by ffprobe', { skip: skipWithoutFfmpeg }, () => {
  for (const { file, codecs } of fixtures) {
    test(file, () => {
      const header = describeTrackHeader(archive(new Uint8Array(readFileSync(fixturePath(file)))).header);
      assert.equal(header.timecodeScaleNs, 1_000_000);
      const described = header.tracks.map(describeTrackCodec);
      assert.deepEqual(described.map((c) => c.codecString), codecs);
      const streams = probe(fixturePath(file)).streams;
      described.forEach((codec, i) => {
        const stream = streams[i]!;
        assert.equal(codec.media, stream.codec_type);
        if (codec.media === 'video') assert.deepEqual([codec.width, codec.height], [stream.width, stream.height]);
        else assert.deepEqual([codec.sampleRate, codec.channelCount], [Number(stream.sample_rate), stream.channels]);
      });
    });
  }
});

/** A track header: Info (TimestampScale) + Tracks with one TrackEntry. */
function header(codecId: string, codecPrivate: Uint8Array | undefined, type = 1, timestampScale = 1_000_000): Uint8Array {
  const entry = [uintElement(Id.TrackNumber, 1), uintElement(Id.TrackType, type), stringElement(Id.CodecID, codecId)];
  if (codecPrivate) entry.push(binaryElement(Id.CodecPrivate, codecPrivate));
  return concatBytes([element(Id.Info, [uintElement(Id.TimestampScale, timestampScale)]), element(Id.Tracks, [element(Id.TrackEntry, entry)])]);
}

function problemOf(fn: () => unknown): CodecProblem | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof CodecConfigError) return err.reason;
    throw err;
  }
}

describe('track headers made by hand', () => {
  test('TimestampScale and track kinds come through; no Info means 1 ms ticks', () => {
    const described = describeTrackHeader(header('V_VP8', undefined, 1, 100_000));
    assert.equal(described.timecodeScaleNs, 100_000);
    assert.equal(described.tracks[0]!.kind, 'video');
    const tracksOnly = element(Id.Tracks, [element(Id.TrackEntry, [uintElement(Id.TrackNumber, 2), uintElement(Id.TrackType, 2), stringElement(Id.CodecID, 'A_OPUS')])]);
    const noInfo = describeTrackHeader(tracksOnly);
    assert.equal(noInfo.timecodeScaleNs, 1_000_000);
    assert.deepEqual([noInfo.tracks[0]!.number, noInfo.tracks[0]!.kind], [2, 'audio']);
  });

  test('codecs outside H.264/H.265/AAC/G.711 are unsupported', () => {
    for (const codecId of ['V_VP8', 'V_AV1', 'A_OPUS', 'A_PCM/INT/LIT']) {
      assert.equal(problemOf(() => describeTrackCodec(describeTrackHeader(header(codecId, Uint8Array.of(1, 2, 3))).tracks[0]!)), 'unsupported', codecId);
    }
  });

  test('a supported codec without CodecPrivate (absent or empty) is missing its codec private data', () => {
    for (const codecId of ['V_MPEG4/ISO/AVC', 'V_MPEGH/ISO/HEVC', 'A_AAC', 'A_MS/ACM']) {
      assert.equal(problemOf(() => describeTrackCodec(describeTrackHeader(header(codecId, undefined)).tracks[0]!)), 'missing', codecId);
      assert.equal(problemOf(() => describeTrackCodec(describeTrackHeader(header(codecId, new Uint8Array(0))).tracks[0]!)), 'missing', codecId);
    }
  });

  test('CodecPrivate that does not parse is invalid', () => {
    for (const codecId of ['V_MPEG4/ISO/AVC', 'V_MPEGH/ISO/HEVC', 'A_AAC']) {
      assert.equal(problemOf(() => describeTrackCodec(describeTrackHeader(header(codecId, Uint8Array.of(1))).tracks[0]!)), 'invalid', codecId);
    }
    // An AVC record whose only parameter set is not an SPS.
    const noSps = Uint8Array.of(1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 2, 0x68, 0xee, 0);
    assert.equal(problemOf(() => describeTrackCodec(describeTrackHeader(header('V_MPEG4/ISO/AVC', noSps)).tracks[0]!)), 'invalid');
  });

  test('a broken track header is invalid codec data, not a crash', () => {
    assert.equal(problemOf(() => describeTrackHeader(Uint8Array.of(0x16, 0x54, 0xae, 0x6b, 0x85, 0xae))), 'invalid');
  });
});
