/**
 * What the segment builders refuse, and how: the archived-media exception KVS names for each
 * unplayable track header or frame, ResourceNotFoundException for a track the stream lacks, and
 * the timeline and sequence-number rules. Pure: stored headers are built with the EBML writer.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  InvalidCodecPrivateDataException,
  InvalidMediaFrameException,
  MissingCodecPrivateDataException,
  ResourceNotFoundException,
  UnsupportedStreamMediaTypeException,
} from '../../../../src/domain/errors.js';
import { formatFragmentNumber, type FragmentRecord } from '../../../../src/domain/fragment.js';
import { encodeFrameIndex } from '../../../../src/domain/frame-index.js';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import { binaryElement, element, floatElement, stringElement, uintElement } from '../../../../src/formats/matroska/writer.js';
import { fragmentTimelineMs, initSegment, muxFragmentTs, planMediaSegment } from '../../../../src/playback/segments/index.js';
import { find, parseBoxes } from '../../formats/isobmff/box-tree.js';
import { archive, fixturePath } from '../../formats/isobmff/mkv-source.js';

/** The h264-aac fixture's stored header (Info + Tracks) and its first cluster's frames. */
const H264_AAC = archive(new Uint8Array(readFileSync(fixturePath('h264-aac.mkv'))));

interface TrackSpec {
  readonly number: number;
  readonly type: 1 | 2;
  readonly codecId: string;
  readonly codecPrivate?: Uint8Array;
}

/** Info (TimestampScale 1 ms) + Tracks, as PutMedia stores them. */
function storedHeader(tracks: readonly TrackSpec[]): Uint8Array {
  const entries = tracks.map((t) =>
    element(Id.TrackEntry, [
      uintElement(Id.TrackNumber, t.number),
      uintElement(Id.TrackUID, t.number),
      uintElement(Id.TrackType, t.type),
      stringElement(Id.CodecID, t.codecId),
      ...(t.codecPrivate ? [binaryElement(Id.CodecPrivate, t.codecPrivate)] : []),
      ...(t.type === 2 ? [element(Id.Audio, [floatElement(Id.SamplingFrequency, 44_100), uintElement(Id.Channels, 2)])] : []),
    ]),
  );
  return Buffer.concat([element(Id.Info, [uintElement(Id.TimestampScale, 1_000_000)]), element(Id.Tracks, entries)]);
}

function fragmentWith(frames: Parameters<typeof encodeFrameIndex>[0], sequence = 5n): FragmentRecord {
  return {
    streamId: 1,
    fragmentNumber: formatFragmentNumber(sequence),
    clusterTimecode: 0,
    producerTimestampMs: 1_700_000_002_000,
    serverTimestampMs: 1_700_000_002_345,
    durationMs: 2000,
    size: 1 << 20,
    headerId: 1,
    location: { key: 'unused', offset: 0 },
    frameIndex: encodeFrameIndex(frames),
    tags: [],
  };
}

const firstCluster = fragmentWith(H264_AAC.fragments[0]!.frames);
/** The fixture's avcC. */
const AVC_RECORD = describeTrackHeader(H264_AAC.header).tracks[0]!.codecPrivate!;
const isA = (type: new (...args: never[]) => Error) => (err: unknown) => err instanceof type;

describe('segment builders refuse what cannot be played', () => {
  test('a track the stream does not have: ResourceNotFoundException', () => {
    assert.throws(() => initSegment(H264_AAC.header, 3), isA(ResourceNotFoundException));
    assert.throws(() => planMediaSegment(firstCluster, H264_AAC.header, 3, { fragmentStartMs: 0 }), isA(ResourceNotFoundException));
  });

  test('a fragment without frames of the asked track: ResourceNotFoundException', () => {
    const videoOnly = fragmentWith(H264_AAC.fragments[0]!.frames.filter((f) => f.track === 1));
    assert.throws(() => planMediaSegment(videoOnly, H264_AAC.header, 2, { fragmentStartMs: 0 }), isA(ResourceNotFoundException));
    // Every track together keeps what there is.
    assert.ok(planMediaSegment(videoOnly, H264_AAC.header, 'all', { fragmentStartMs: 0 }).byteLength > 0);
  });

  test('codec private data missing, unparsable, or of a codec KVS does not play', () => {
    const missing = storedHeader([{ number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC' }]);
    assert.throws(() => initSegment(missing, 1), isA(MissingCodecPrivateDataException));
    const invalid = storedHeader([{ number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC', codecPrivate: Uint8Array.of(2, 0, 0) }]);
    assert.throws(() => initSegment(invalid, 1), isA(InvalidCodecPrivateDataException));
    const vp8 = storedHeader([{ number: 1, type: 1, codecId: 'V_VP8', codecPrivate: Uint8Array.of(1) }]);
    assert.throws(() => initSegment(vp8, 1), isA(UnsupportedStreamMediaTypeException));
    assert.throws(() => muxFragmentTs(firstCluster, vp8, new Uint8Array(0), { fragmentStartMs: 0 }), isA(UnsupportedStreamMediaTypeException));
    assert.throws(() => initSegment(Uint8Array.of(0x15, 0x49, 0xa9, 0x66, 0x8f), 1), isA(InvalidCodecPrivateDataException));
  });

  test('AAC that ADTS cannot describe (channel configuration 0) has no MPEG-TS form', () => {
    // AudioSpecificConfig: AAC-LC (2), 44.1 kHz (index 4), channelConfiguration 0.
    const header = storedHeader([
      { number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC', codecPrivate: AVC_RECORD },
      { number: 2, type: 2, codecId: 'A_AAC', codecPrivate: Uint8Array.of(0x12, 0x00) },
    ]);
    assert.ok(initSegment(header, 2).length > 0, 'fMP4 carries it (esds holds the config)');
    assert.throws(() => muxFragmentTs(firstCluster, header, new Uint8Array(1 << 20), { fragmentStartMs: 0 }), isA(UnsupportedStreamMediaTypeException));
  });

  test('a video frame that is not length-prefixed NAL units: InvalidMediaFrameException', () => {
    const bytes = Uint8Array.of(0, 0, 0, 0x40, 0x65, 1, 2, 3); // a 64-byte NAL unit in 4 bytes
    const fragment = fragmentWith([{ track: 1, timecode: 0, duration: 67, key: true, offset: 0, size: bytes.length }]);
    const header = storedHeader([{ number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC', codecPrivate: AVC_RECORD }]);
    assert.throws(() => muxFragmentTs(fragment, header, bytes, { fragmentStartMs: 0 }), isA(InvalidMediaFrameException));
  });
});

describe('segment timeline and sequence numbers', () => {
  test('the session selector picks the clock; the origin is subtracted', () => {
    assert.equal(fragmentTimelineMs(firstCluster, 'PRODUCER_TIMESTAMP', 1_700_000_000_000), 2000);
    assert.equal(fragmentTimelineMs(firstCluster, 'SERVER_TIMESTAMP', 1_700_000_000_000), 2345);
  });

  test('a start before the origin or between milliseconds is refused', () => {
    for (const fragmentStartMs of [-1, 0.5, Number.NaN]) {
      assert.throws(() => planMediaSegment(firstCluster, H264_AAC.header, 1, { fragmentStartMs }), RangeError);
      assert.throws(() => muxFragmentTs(firstCluster, H264_AAC.header, new Uint8Array(1 << 20), { fragmentStartMs }), RangeError);
    }
  });

  test('mfhd sequence_number follows the fragment number unless the session gives one', () => {
    const sequenceOf = (header: Uint8Array) => find(parseBoxes(header.subarray(0, -8)), 'moof/mfhd')!.body.readUInt32BE(4);
    assert.equal(sequenceOf(planMediaSegment(fragmentWith(H264_AAC.fragments[0]!.frames, 41n), H264_AAC.header, 1, { fragmentStartMs: 0 }).header), 42);
    assert.equal(sequenceOf(planMediaSegment(firstCluster, H264_AAC.header, 1, { fragmentStartMs: 0, sequenceNumber: 7 }).header), 7);
    assert.throws(() => planMediaSegment(firstCluster, H264_AAC.header, 1, { fragmentStartMs: 0, sequenceNumber: 0 }), RangeError);
  });
});
