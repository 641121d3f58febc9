import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MkvFormatError, type MkvEvent } from '../../../../src/formats/matroska/events.js';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import { MkvParser } from '../../../../src/formats/matroska/parser.js';
import { vintWidthFor } from '../../../../src/formats/matroska/vint.js';
import { binaryElement, ebmlHeaderElement, element, uintElement } from '../../../../src/formats/matroska/writer.js';
import {
  audioTrack,
  blockGroup,
  body,
  cluster,
  concatBytes,
  frameBytes,
  frames,
  info,
  kinds,
  lacedSimpleBlock,
  parseBytewise,
  parseWhole,
  simpleBlock,
  simpleTag,
  tags,
  timestamp,
  tracks,
  videoTrack,
} from './streams.js';

type Ev<K extends MkvEvent['kind']> = Extract<MkvEvent, { kind: K }>;

/** Parses whole and byte by byte; both must succeed with the same events. */
function ok(bytes: Uint8Array): MkvEvent[] {
  const whole = parseWhole(bytes);
  assert.equal(whole.error, undefined, whole.error?.message);
  assert.deepEqual(parseBytewise(bytes), whole, 'byte-at-a-time feeding gives the same events');
  return whole.events;
}

function find<K extends MkvEvent['kind']>(events: readonly MkvEvent[], kind: K): Ev<K> {
  const event = events.find((e) => e.kind === kind);
  assert.ok(event, `no ${kind} event`);
  return event as Ev<K>;
}

/** Every frame event's range must hold exactly the bytes written for that frame. */
function assertPayloads(bytes: Uint8Array, events: readonly MkvEvent[], expected: readonly Uint8Array[]): void {
  const got = frames(events).map((f) => bytes.subarray(f.offset, f.offset + f.size));
  assert.deepEqual(got, expected);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle), from);
}

describe('MkvParser: a known-size stream', () => {
  const f1 = frameBytes(300, 1);
  const f2 = frameBytes(20, 2);
  const f3 = frameBytes(0, 3);
  const infoBytes = info();
  const tracksBytes = tracks(videoTrack(1, Uint8Array.of(0x01, 0x64, 0x00, 0x1f)), audioTrack(2));
  const clusterBytes = cluster([timestamp(1000), simpleBlock(1, 0, true, f1), simpleBlock(2, -5, false, f2), simpleBlock(1, 33, false, f3)]);
  const bytes = body([infoBytes, tracksBytes, clusterBytes]);
  const events = ok(bytes);

  test('reports the document in order', () => {
    assert.deepEqual(kinds(events), ['ebml-header', 'segment-start', 'info', 'tracks', 'cluster-start', 'cluster-timecode', 'frame', 'frame', 'frame', 'cluster-end', 'segment-end']);
    assert.deepEqual(events[0], { kind: 'ebml-header', docType: 'matroska' });
  });

  test('segment offsets and size', () => {
    const start = find(events, 'segment-start');
    assert.equal(start.offset, ebmlHeaderElement().length);
    assert.ok(start.size !== undefined);
    assert.equal(start.offset + 4 + vintWidthFor(start.size) + start.size, bytes.length);
    assert.deepEqual(find(events, 'segment-end'), { kind: 'segment-end', offset: bytes.length });
  });

  test('info: default TimestampScale and the element bytes as received', () => {
    const event = find(events, 'info');
    assert.equal(event.timecodeScaleNs, 1_000_000);
    assert.deepEqual(event.bytes, infoBytes);
    assert.equal(find(ok(body([info(100_000), tracks()])), 'info').timecodeScaleNs, 100_000);
  });

  test('tracks: every TrackEntry decoded', () => {
    const event = find(events, 'tracks');
    assert.deepEqual(event.bytes, tracksBytes);
    assert.deepEqual(event.tracks, [
      {
        number: 1,
        uid: 0xfedcba9876543210n,
        type: 1,
        codecId: 'V_MPEG4/ISO/AVC',
        codecPrivate: Uint8Array.of(0x01, 0x64, 0x00, 0x1f),
        defaultDurationNs: 33_333_333,
        name: 'camera',
        video: { pixelWidth: 640, pixelHeight: 480 },
        audio: undefined,
      },
      {
        number: 2,
        uid: undefined,
        type: 2,
        codecId: 'A_AAC',
        codecPrivate: undefined,
        defaultDurationNs: undefined,
        name: undefined,
        video: undefined,
        audio: { samplingFrequency: 48000, channels: 2, bitDepth: 16 },
      },
    ]);
  });

  test('audio defaults: 8000 Hz, 1 channel; any CodecID is accepted', () => {
    const entry = element(Id.TrackEntry, [uintElement(Id.TrackNumber, 3), uintElement(Id.TrackType, 2), element(Id.CodecID, new TextEncoder().encode('A_WEIRD\0\0')), element(Id.Audio, [])]);
    const [track] = find(ok(body([tracks(entry)])), 'tracks').tracks;
    assert.equal(track?.codecId, 'A_WEIRD', 'trailing NUL padding is dropped');
    assert.deepEqual(track?.audio, { samplingFrequency: 8000, channels: 1, bitDepth: undefined });
  });

  test('cluster events carry offsets, size and timecode', () => {
    const clusterAt = indexOf(bytes, clusterBytes);
    assert.deepEqual(find(events, 'cluster-start'), { kind: 'cluster-start', offset: clusterAt, size: clusterBytes.length - 4 - 2 });
    assert.deepEqual(find(events, 'cluster-timecode'), { kind: 'cluster-timecode', timecode: 1000 });
    assert.deepEqual(find(events, 'cluster-end'), { kind: 'cluster-end', offset: clusterAt + clusterBytes.length });
  });

  test('frames: track, signed timecode, key flag, payload range', () => {
    const got = frames(events).map(({ track, timecode, key, duration, laceIndex, size }) => ({ track, timecode, key, duration, laceIndex, size }));
    assert.deepEqual(got, [
      { track: 1, timecode: 0, key: true, duration: undefined, laceIndex: 0, size: 300 },
      { track: 2, timecode: -5, key: false, duration: undefined, laceIndex: 0, size: 20 },
      { track: 1, timecode: 33, key: false, duration: undefined, laceIndex: 0, size: 0 },
    ]);
    assertPayloads(bytes, events, [f1, f2, f3]);
  });

  test('DocType "webm" is accepted', () => {
    assert.deepEqual(ok(body([], true, 'webm'))[0], { kind: 'ebml-header', docType: 'webm' });
  });

  test('the info bytes are a copy, even when the chunk held the whole element', () => {
    const parser = new MkvParser();
    const chunk = bytes.slice();
    const event = parser.push(chunk).find((e): e is Ev<'info'> => e.kind === 'info');
    chunk.fill(0);
    assert.deepEqual(event?.bytes, infoBytes);
  });
});

describe('MkvParser: lacing (RFC 9559 §10.3)', () => {
  const laces = [frameBytes(800, 1), frameBytes(500, 2), frameBytes(1000, 3)];
  const edgy = [frameBytes(765, 4), frameBytes(0, 5), frameBytes(255, 6), frameBytes(1, 7), frameBytes(70000, 8)];

  for (const lacing of ['xiph', 'ebml'] as const) {
    test(`${lacing} lacing: one frame event per lace`, () => {
      for (const set of [laces, edgy, [frameBytes(10, 9)]]) {
        const bytes = body([tracks(), cluster([timestamp(0), lacedSimpleBlock({ track: 1, timecode: 7, key: true, frames: set, lacing })])]);
        const events = ok(bytes);
        assertPayloads(bytes, events, set);
        assert.deepEqual(frames(events).map((f) => [f.laceIndex, f.timecode, f.key]), set.map((_, k) => [k, 7, true]));
      }
    });
  }

  test('fixed-size lacing', () => {
    const set = [frameBytes(100, 1), frameBytes(100, 2), frameBytes(100, 3), frameBytes(100, 4)];
    const bytes = body([tracks(), cluster([timestamp(0), lacedSimpleBlock({ track: 1, timecode: 0, frames: set, lacing: 'fixed-size' })])]);
    const events = ok(bytes);
    assertPayloads(bytes, events, set);
    assert.deepEqual(frames(events).map((f) => f.laceIndex), [0, 1, 2, 3]);
  });

  test('256 laces, the most a block can hold', () => {
    const set = Array.from({ length: 256 }, (_, k) => frameBytes(k * 3, k));
    for (const lacing of ['xiph', 'ebml'] as const) {
      const bytes = body([tracks(), cluster([timestamp(0), lacedSimpleBlock({ track: 1, timecode: 0, frames: set, lacing })])]);
      assertPayloads(bytes, ok(bytes), set);
    }
  });

  test('laced Block in a BlockGroup', () => {
    const bytes = body([tracks(), cluster([timestamp(0), blockGroup({ track: 2, timecode: 3, frames: laces, lacing: 'xiph', duration: 60 })])]);
    const events = ok(bytes);
    assertPayloads(bytes, events, laces);
    assert.deepEqual(frames(events).map((f) => [f.track, f.key, f.duration, f.laceIndex]), [[2, true, 60, 0], [2, true, 60, 1], [2, true, 60, 2]]);
  });
});

describe('MkvParser: BlockGroup (RFC 9559 §10.4 key frames)', () => {
  const f = frameBytes(40, 1);
  const group = (options: Partial<Parameters<typeof blockGroup>[0]>) => blockGroup({ track: 1, timecode: 0, frames: [f], ...options });

  test('no ReferenceBlock: key frame; ReferenceBlock before or after the Block: not key', () => {
    const bytes = body([tracks(), cluster([timestamp(0), group({}), group({ reference: -33 }), group({ reference: -33, blockFirst: true }), group({ duration: 5, blockFirst: true })])]);
    const events = ok(bytes);
    assert.deepEqual(frames(events).map((e) => [e.key, e.duration]), [[true, undefined], [false, undefined], [false, undefined], [true, 5]]);
    assertPayloads(bytes, events, [f, f, f, f]);
  });

  test('frames are reported when the group ends, after a trailing ReferenceBlock', () => {
    const bytes = body([tracks(), cluster([timestamp(0), group({ reference: 1, blockFirst: true })])]);
    const referenceAt = bytes.lastIndexOf(Id.ReferenceBlock);
    const parser = new MkvParser();
    const early = parser.push(bytes.subarray(0, referenceAt));
    assert.equal(frames(early).length, 0);
    const late = parser.push(bytes.subarray(referenceAt));
    assert.deepEqual(frames(late).map((e) => e.key), [false]);
  });

  test('other BlockGroup children are skipped', () => {
    const blockBytes = element(Id.Block, Uint8Array.of(0x81, 0, 0, 0, 0xaa));
    const extra = [binaryElement(Id.CodecState, Uint8Array.of(1, 2)), binaryElement(Id.Void, new Uint8Array(3)), binaryElement(Id.DiscardPadding, Uint8Array.of(0))];
    const bytes = body([tracks(), cluster([timestamp(0), element(Id.BlockGroup, [...extra, blockBytes])])]);
    assertPayloads(bytes, ok(bytes), [Uint8Array.of(0xaa)]);
  });
});

describe('MkvParser: unknown sizes (RFC 8794 §6.2)', () => {
  const f = frameBytes(64, 1);
  const c1 = cluster([timestamp(0), simpleBlock(1, 0, true, f)], false);
  const c2 = cluster([timestamp(100), simpleBlock(1, 0, true, f)], false);
  const endTags = tags(simpleTag('AWS_KINESISVIDEO_END_OF_FRAGMENT'));

  test('an unknown-size Cluster ends where the next Cluster starts', () => {
    const bytes = body([info(), tracks(), c1, c2], false);
    const events = ok(bytes);
    assert.deepEqual(kinds(events), ['ebml-header', 'segment-start', 'info', 'tracks', 'cluster-start', 'cluster-timecode', 'frame', 'cluster-end', 'cluster-start', 'cluster-timecode', 'frame', 'cluster-end', 'segment-end']);
    const c2At = indexOf(bytes, c2);
    assert.deepEqual(events.filter((e) => e.kind === 'cluster-end'), [{ kind: 'cluster-end', offset: c2At }, { kind: 'cluster-end', offset: bytes.length }]);
    assert.deepEqual(find(events, 'segment-start').size, undefined);
    assert.deepEqual(events.filter((e) => e.kind === 'cluster-start').map((e) => (e as Ev<'cluster-start'>).size), [undefined, undefined]);
    assert.deepEqual(events.at(-1), { kind: 'segment-end', offset: bytes.length });
  });

  test('a level-1 Tags ends the Cluster and is reported complete, before end()', () => {
    const bytes = body([tracks(), c1, endTags], false);
    const tagsAt = indexOf(bytes, endTags);
    const parser = new MkvParser();
    const events = parser.push(bytes);
    assert.deepEqual(kinds(events).slice(-3), ['frame', 'cluster-end', 'tags']);
    assert.deepEqual(find(events, 'cluster-end'), { kind: 'cluster-end', offset: tagsAt });
    assert.deepEqual(find(events, 'tags'), { kind: 'tags', tags: [{ name: 'AWS_KINESISVIDEO_END_OF_FRAGMENT', value: '' }], offset: tagsAt, end: bytes.length });
    assert.equal(parser.atTopLevelBoundary, true);
    assert.deepEqual(parser.end(), [{ kind: 'segment-end', offset: bytes.length }]);
  });

  test('end() closes an open unknown-size Cluster and Segment', () => {
    const bytes = body([tracks(), c1], false);
    const events = ok(bytes);
    assert.deepEqual(events.slice(-2), [{ kind: 'cluster-end', offset: bytes.length }, { kind: 'segment-end', offset: bytes.length }]);
  });

  test('Cues and other level-1 elements end a Cluster too, and are skipped', () => {
    const cues = element(Id.Cues, [element(0xbb, [uintElement(0xb3, 0)])]);
    const bytes = body([tracks(), c1, cues, cluster([timestamp(5)])], false);
    const events = ok(bytes);
    assert.deepEqual(events.filter((e) => e.kind === 'cluster-end')[0], { kind: 'cluster-end', offset: indexOf(bytes, cues) });
  });

  test('unknown child IDs stay inside an unknown-size Cluster', () => {
    const bytes = body([tracks(), cluster([timestamp(0), binaryElement(0x4dbb, Uint8Array.of(1)), simpleBlock(1, 0, true, f)], false)], false);
    assert.equal(frames(ok(bytes)).length, 1);
  });

  test('an unknown-size Cluster inside a known-size Segment ends with the Segment', () => {
    const bytes = body([tracks(), c1]);
    assert.deepEqual(ok(bytes).slice(-2), [{ kind: 'cluster-end', offset: bytes.length }, { kind: 'segment-end', offset: bytes.length }]);
  });

  test('unknown sizes at every VINT width are recognised', () => {
    for (let width = 1; width <= 8; width++) {
      const size = new Uint8Array(width).fill(0xff);
      size[0] = (0xff >> width) | (0x80 >> (width - 1));
      const clusterBytes = concatBytes([Uint8Array.of(0x1f, 0x43, 0xb6, 0x75), size, timestamp(0)]);
      const segmentBytes = concatBytes([Uint8Array.of(0x18, 0x53, 0x80, 0x67), size, tracks(), clusterBytes]);
      const events = ok(concatBytes([ebmlHeaderElement(), segmentBytes]));
      assert.deepEqual(kinds(events).slice(-3), ['cluster-timecode', 'cluster-end', 'segment-end'], `width ${width}`);
    }
  });
});

describe('MkvParser: Tags (RFC 9559 §5.1.8)', () => {
  test('SimpleTags are flattened in document order, nested ones after their parent', () => {
    const t = element(Id.Tags, [
      element(Id.Tag, [element(Id.Targets, [uintElement(Id.TargetTypeValue, 50)]), simpleTag('A', '1'), simpleTag('B', '2', [simpleTag('B1', 'x', [simpleTag('B1a', 'y')]), simpleTag('B2')])]),
      element(Id.Tag, [simpleTag('C', 'ünïcødé')]),
    ]);
    const bytes = body([tracks(), cluster([timestamp(0)]), t]);
    const event = find(ok(bytes), 'tags');
    assert.deepEqual(event.tags, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'B1', value: 'x' },
      { name: 'B1a', value: 'y' },
      { name: 'B2', value: '' },
      { name: 'C', value: 'ünïcødé' },
    ]);
    assert.equal(event.offset, indexOf(bytes, t));
    assert.equal(event.end, event.offset + t.length);
  });

  test('Tags between Clusters come one event each', () => {
    const bytes = body([tracks(), cluster([timestamp(0)]), tags(simpleTag('x', '1')), tags(simpleTag('y', '2')), cluster([timestamp(9)])], false);
    assert.deepEqual(kinds(ok(bytes)).slice(3), ['cluster-start', 'cluster-timecode', 'cluster-end', 'tags', 'tags', 'cluster-start', 'cluster-timecode', 'cluster-end', 'segment-end']);
  });
});

describe('MkvParser: skipped elements', () => {
  test('SeekHead, Cues, Chapters, Attachments, Void, CRC-32 and unknown level-1 elements', () => {
    const skipped = [
      element(Id.SeekHead, [element(Id.Seek, [binaryElement(Id.SeekID, Uint8Array.of(0x15, 0x49, 0xa9, 0x66)), uintElement(Id.SeekPosition, 0)])]),
      binaryElement(Id.Void, new Uint8Array(10)),
      binaryElement(Id.CRC32, new Uint8Array(4)),
      binaryElement(Id.Chapters, new Uint8Array(7)),
      binaryElement(Id.Attachments, new Uint8Array(7)),
      binaryElement(Id.Cues, new Uint8Array(7)),
      binaryElement(0x1b538667, new Uint8Array(5)),
    ];
    const events = ok(body([...skipped, tracks(), ...skipped, cluster([timestamp(0)]), ...skipped]));
    assert.deepEqual(kinds(events), ['ebml-header', 'segment-start', 'tracks', 'cluster-start', 'cluster-timecode', 'cluster-end', 'segment-end']);
  });

  test('Position, PrevSize, Void, CRC-32 and unknown children of a Cluster', () => {
    const f = frameBytes(9, 1);
    const bytes = body([
      tracks(),
      cluster([binaryElement(Id.CRC32, new Uint8Array(4)), timestamp(0), uintElement(Id.Position, 0), uintElement(Id.PrevSize, 99), binaryElement(Id.Void, new Uint8Array(0)), binaryElement(0x7777, Uint8Array.of(1)), simpleBlock(1, 0, true, f)]),
    ]);
    assertPayloads(bytes, ok(bytes), [f]);
  });
});

describe('MkvParser: atTopLevelBoundary', () => {
  test('true only between level-1 elements of the Segment', () => {
    const f = frameBytes(10, 1);
    const known = cluster([timestamp(0), simpleBlock(1, 0, true, f)]);
    const unknown = cluster([timestamp(1), simpleBlock(1, 0, true, f)], false);
    const t = tags(simpleTag('k', 'v'));
    const bytes = body([tracks(), known, unknown, t], false);
    const parser = new MkvParser();
    const boundaries: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      parser.push(bytes.subarray(i, i + 1));
      if (parser.atTopLevelBoundary) boundaries.push(i + 1);
    }
    const segmentData = bytes.length - tracks().length - known.length - unknown.length - t.length;
    const tracksEnd = segmentData + tracks().length;
    const knownEnd = tracksEnd + known.length;
    // Inside the unknown-size cluster there is no boundary until the Tags after it is complete.
    assert.deepEqual(boundaries, [segmentData, tracksEnd, knownEnd, bytes.length]);
    assert.equal(new MkvParser().atTopLevelBoundary, false);
  });
});

describe('MkvParser: errors', () => {
  /** The error must be the same whatever the chunking, with the same events before it. */
  function fails(bytes: Uint8Array, message: RegExp, offset?: number): MkvEvent[] {
    const whole = parseWhole(bytes);
    assert.ok(whole.error, `expected an error matching ${message}`);
    assert.ok(whole.error instanceof MkvFormatError, String(whole.error));
    assert.match(whole.error.message, message);
    if (offset !== undefined) assert.equal(whole.error.offset, offset);
    assert.deepEqual(parseBytewise(bytes), whole);
    return whole.events;
  }

  const tracksBytes = tracks();

  test('anything before the EBML header', () => {
    fails(concatBytes([binaryElement(Id.Void, new Uint8Array(2)), body([])]), /does not start with an EBML header/, 0);
    fails(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), /does not start with an EBML header|invalid element/, 0);
    fails(element(Id.Segment, []), /does not start with an EBML header/, 0);
  });

  test('invalid VINT first octets', () => {
    fails(Uint8Array.of(0x00, 0x81), /invalid element ID/, 0);
    fails(Uint8Array.of(0x08, 0, 0, 0, 1, 0x80), /invalid element ID/, 0); // 5-octet ID
    fails(Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x00), /invalid element size/, 4);
    fails(Uint8Array.of(0xff, 0x80), /reserved element ID/, 0);
  });

  test('EBML header checks', () => {
    const header = (children: Uint8Array[]) => concatBytes([element(Id.EBML, children), element(Id.Segment, [])]);
    fails(header([element(Id.DocType, new TextEncoder().encode('mp4'))]), /DocType "mp4"/);
    fails(header([uintElement(Id.EBMLVersion, 1)]), /without DocType/);
    fails(header([element(Id.DocType, new TextEncoder().encode('matroska')), uintElement(Id.EBMLReadVersion, 2)]), /EBMLReadVersion 2/);
    fails(header([element(Id.DocType, new TextEncoder().encode('matroska')), uintElement(Id.EBMLMaxSizeLength, 9)]), /EBMLMaxSizeLength/);
  });

  test('one EBML header, one Segment, nothing else at the top', () => {
    const second = concatBytes([body([tracksBytes], false), ebmlHeaderElement()]);
    fails(second, /second EBML header/, body([tracksBytes], false).length);
    fails(concatBytes([body([tracksBytes], false), element(Id.Segment, [])]), /second Segment/);
    fails(concatBytes([body([tracksBytes]), element(Id.Segment, [])]), /data after the end of the Segment/, body([tracksBytes]).length);
    fails(concatBytes([body([tracksBytes]), Uint8Array.of(0)]), /data after the end of the Segment/);
    fails(concatBytes([ebmlHeaderElement(), ebmlHeaderElement()]), /second EBML header/);
    fails(concatBytes([ebmlHeaderElement(), binaryElement(Id.Void, new Uint8Array(1))]), /expected a Segment/);
    const events = fails(concatBytes([body([tracksBytes, cluster([timestamp(0)], false)], false), ebmlHeaderElement()]), /second EBML header/);
    assert.deepEqual(kinds(events).slice(-2), ['cluster-timecode', 'cluster-end'], 'events before the error are kept');
  });

  test('an element larger than its parent', () => {
    const inner = timestamp(0);
    const lying = concatBytes([Uint8Array.of(0x1f, 0x43, 0xb6, 0x75, 0x80 | (inner.length - 1)), inner]);
    fails(concatBytes([ebmlHeaderElement(), element(Id.Segment, [tracksBytes, lying])]), /overruns its parent/);
    const segmentOverrun = concatBytes([ebmlHeaderElement(), Uint8Array.of(0x18, 0x53, 0x80, 0x67, 0x82), binaryElement(Id.Void, new Uint8Array(5))]);
    fails(segmentOverrun, /overruns its parent/);
    fails(concatBytes([ebmlHeaderElement(), Uint8Array.of(0x18, 0x53, 0x80, 0x67, 0x01, 0x20, 0, 0, 0, 0, 0, 0)]), /too large/);
    const brokenTracks = concatBytes([Uint8Array.of(0x16, 0x54, 0xae, 0x6b, 0x83), Uint8Array.of(0xae, 0x85, 0xd7)]);
    fails(body([brokenTracks]), /overruns its parent/);
  });

  test('unknown size only for Segment and Cluster', () => {
    const unknownHeader = (id: number[]) => Uint8Array.from([...id, 0xff]);
    for (const id of [[0x12, 0x54, 0xc3, 0x67], [0x15, 0x49, 0xa9, 0x66], [0x16, 0x54, 0xae, 0x6b], [0x1c, 0x53, 0xbb, 0x6b], [0xec]]) {
      fails(concatBytes([body([], false), unknownHeader(id)]), /may not have an unknown size/);
    }
    for (const id of [[0xa0], [0xa3], [0xe7]]) {
      fails(concatBytes([body([tracksBytes, cluster([timestamp(0)], false)], false), unknownHeader(id)]), /may not have an unknown size/);
    }
    fails(concatBytes([body([tracksBytes, cluster([], false)], false), Uint8Array.of(0xe7, 0x81, 0x00, 0xa0, 0x85, 0xa1, 0xff)]), /may not have an unknown size/);
  });

  test('buffered elements are capped', () => {
    fails(concatBytes([body([], false), Uint8Array.of(0x16, 0x54, 0xae, 0x6b, 0x10, 0x50, 0x00, 0x00)]), /too large/);
    fails(concatBytes([body([tracksBytes, cluster([], false)], false), Uint8Array.of(0xe7, 0x89), new Uint8Array(9)]), /too large/);
  });

  test('Cluster Timestamp: once, before any block', () => {
    const f = frameBytes(4, 1);
    fails(body([tracksBytes, cluster([simpleBlock(1, 0, true, f)])]), /block before the Cluster Timestamp/);
    fails(body([tracksBytes, cluster([blockGroup({ track: 1, timecode: 0, frames: [f] })])]), /block before the Cluster Timestamp/);
    fails(body([tracksBytes, cluster([timestamp(0), simpleBlock(1, 0, true, f), timestamp(1)])]), /second Cluster Timestamp|after a block/);
    fails(body([tracksBytes, cluster([timestamp(0), timestamp(1)])]), /second Cluster Timestamp/);
  });

  test('malformed blocks', () => {
    const inCluster = (...children: Uint8Array[]) => body([tracksBytes, cluster([timestamp(0), ...children])]);
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0))), /too short/);
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x00, 0, 0, 0, 0))), /invalid track number/);
    // Xiph: 2 frames, first claimed 300 bytes, only 10 present.
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x02, 0x01, 0xff, 0x2d, ...new Uint8Array(10)))), /Xiph lace sizes exceed/);
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x02, 0x01, 0xff, 0xff))), /runs past the end of the block/);
    // EBML: 3 frames, 10 then -20.
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x06, 0x02, 0x8a, 0xbf - 20, ...new Uint8Array(40)))), /negative EBML lace size/);
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x06, 0x01, 0x40 | 0x3f, 0xff, ...new Uint8Array(4)))), /EBML lace sizes exceed/);
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x06, 0x01, 0x00, 1, 2))), /invalid EBML lace size/);
    // Fixed-size: 2 frames over 5 bytes.
    fails(inCluster(element(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x04, 0x01, 1, 2, 3, 4, 5))), /fixed-size lacing/);
  });

  test('BlockGroup needs exactly one Block', () => {
    const blockBytes = element(Id.Block, Uint8Array.of(0x81, 0, 0, 0, 1));
    fails(body([tracksBytes, cluster([timestamp(0), element(Id.BlockGroup, [uintElement(Id.BlockDuration, 1)])])]), /BlockGroup without a Block/);
    fails(body([tracksBytes, cluster([timestamp(0), element(Id.BlockGroup, [])])]), /BlockGroup without a Block/);
    fails(body([tracksBytes, cluster([timestamp(0), element(Id.BlockGroup, [blockBytes, blockBytes])])]), /second Block/);
  });

  test('Tracks, Info and Tags content', () => {
    const entry = (...children: Uint8Array[]) => tracks(element(Id.TrackEntry, children));
    const codec = element(Id.CodecID, new TextEncoder().encode('V_X'));
    fails(body([entry(uintElement(Id.TrackNumber, 1), uintElement(Id.TrackType, 1))]), /no CodecID/);
    fails(body([entry(uintElement(Id.TrackType, 1), codec)]), /TrackNumber/);
    fails(body([entry(uintElement(Id.TrackNumber, 0), uintElement(Id.TrackType, 1), codec)]), /TrackNumber/);
    fails(body([entry(uintElement(Id.TrackNumber, 1), codec)]), /no TrackType/);
    fails(body([entry(uintElement(Id.TrackNumber, 1), uintElement(Id.TrackType, 1), codec, element(Id.Video, [uintElement(Id.PixelWidth, 2)]))]), /PixelWidth and PixelHeight/);
    fails(body([tracks(videoTrack(1), videoTrack(1))]), /appears twice/);
    fails(body([element(Id.Info, [uintElement(Id.TimestampScale, 0)])]), /TimestampScale is 0/);
    fails(body([element(Id.Tags, [element(Id.Tag, [element(Id.SimpleTag, [element(Id.TagString, Uint8Array.of(0x61))])])])]), /without TagName/);
    fails(body([element(Id.Info, [element(Id.TimestampScale, new Uint8Array(9))])]), /integer of 9 octets/);
    const badFrequency = element(Id.Audio, [binaryElement(Id.SamplingFrequency, new Uint8Array(3))]);
    fails(body([entry(uintElement(Id.TrackNumber, 1), uintElement(Id.TrackType, 2), codec, badFrequency)]), /float of 3 octets/);
  });

  test('end() in the middle of something', () => {
    const full = body([tracksBytes, cluster([timestamp(0), simpleBlock(1, 0, true, frameBytes(50, 1))])], false);
    fails(full.subarray(0, full.length - 10), /ends inside an element/);
    fails(full.subarray(0, ebmlHeaderElement().length + 2), /ends inside an element/);
    const known = body([tracksBytes, cluster([timestamp(0)])]);
    fails(known.subarray(0, known.length - 3), /ends inside a cluster/);
    const knownSegment = body([tracksBytes]);
    fails(knownSegment.subarray(0, knownSegment.length - tracksBytes.length), /ends inside a segment/);
    fails(new Uint8Array(0), /no EBML header/, 0);
    fails(ebmlHeaderElement(), /no Segment/);
  });

  test('a failed parser stays dead; a finished one takes no more input', () => {
    const parser = new MkvParser();
    assert.throws(() => parser.push(Uint8Array.of(0)), /invalid element ID/);
    assert.throws(() => parser.push(body([])), /invalid element ID/);
    assert.throws(() => parser.end(), /invalid element ID/);
    assert.equal(parser.atTopLevelBoundary, false);
    const done = new MkvParser();
    done.push(body([]));
    done.end();
    assert.throws(() => done.push(Uint8Array.of(1)), /already ended/);
  });
});
