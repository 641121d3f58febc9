/**
 * fMP4 segments of archived fixtures, the way HLS fMP4 and DASH sessions serve them: one init
 * segment per track, then that track's media segment of each fragment, built one request at a
 * time from the stored track header, frame index and fragment bytes. ffmpeg judges the
 * concatenation: per-packet MD5 and PTS equal to the source, a clean decode; and the segments'
 * tfdt tile each track's timeline.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTrackHeader } from '../../../../src/formats/codecs/track-info.js';
import { ResourceNotFoundException } from '../../../../src/domain/errors.js';
import type { BlobStore, ByteRange } from '../../../../src/storage/blob-store.js';
import { initSegment, mediaSegment, fragmentTimelineMs, planMediaSegment, tsSegment } from '../../../../src/playback/segments/index.js';
import { find, parseBoxes, type BoxNode } from '../../formats/isobmff/box-tree.js';
import { decodeErrors, fixturePath, framemd5, probe, skipWithoutFfmpeg, type Packet } from '../../formats/isobmff/mkv-source.js';
import { archiveFixtures, bodyBytes, streamOf, type Archive, type ArchivedStream } from './archived-fixtures.js';

const FIXTURES = ['h264-aac.mkv', 'h264.mkv', 'h265.mkv', 'h264-bframes.mkv', 'h264-g711.mkv'];

/** Media segments of every fragment of a stream, for `track`, on the session timeline starting at its first fragment. */
async function segmentsOf(archive: Archive, stream: ArchivedStream, track: number | 'all'): Promise<Buffer[]> {
  const originMs = stream.fragments[0]!.producerTimestampMs;
  return Promise.all(
    stream.fragments.map(async (fragment) => {
      const timing = { fragmentStartMs: fragmentTimelineMs(fragment, 'PRODUCER_TIMESTAMP', originMs) };
      const body = await mediaSegment(archive.blobs, fragment, stream.trackHeader, track, timing);
      const bytes = await bodyBytes(body);
      assert.equal(bytes.length, body.byteLength, 'Content-Length');
      return bytes;
    }),
  );
}

/** tfdt and the sum of trun sample durations of a one-track media segment (ISO/IEC 14496-12 §8.8.12, §8.8.8). */
function segmentSpan(segment: Buffer): { start: number; duration: number } {
  const boxes = parseBoxes(segment);
  const tfdt = find(boxes, 'moof/traf/tfdt') as BoxNode;
  const start = tfdt.body[0] === 1 ? Number(tfdt.body.readBigUInt64BE(4)) : tfdt.body.readUInt32BE(4);
  const trun = find(boxes, 'moof/traf/trun') as BoxNode;
  const flags = trun.body.readUInt32BE(0) & 0xffffff;
  const count = trun.body.readUInt32BE(4);
  let at = 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
  const perSample = [0x100, 0x200, 0x400, 0x800].filter((bit) => flags & bit).length * 4;
  assert.ok(flags & 0x100, 'trun carries sample durations');
  let duration = 0;
  for (let i = 0; i < count; i++, at += perSample) duration += trun.body.readUInt32BE(at);
  return { start, duration };
}

function assertSamePayloads(got: Packet[], expected: Packet[], label: string): void {
  assert.equal(got.length, expected.length, `${label}: packet count`);
  got.forEach((p, i) => assert.equal(`${p.size}:${p.md5}`, `${expected[i]!.size}:${expected[i]!.md5}`, `${label} packet ${i}`));
}

/** PTS equal to the source's (seconds), up to `toleranceS`. */
function assertSameTimes(got: Packet[], expected: Packet[], label: string, toleranceS: number): void {
  got.forEach((p, i) => {
    const error = Math.abs(p.pts - expected[i]!.pts);
    assert.ok(error <= toleranceS + 1e-9, `${label} packet ${i}: pts ${p.pts} vs source ${expected[i]!.pts}`);
  });
}

/** A blob store that hands out reads in chunks of `size` bytes and counts the reads not yet closed. */
function chunkingStore(inner: BlobStore, size: number): { store: BlobStore; open(): number } {
  let open = 0;
  const get = async (key: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> => {
    const source = await inner.get(key, range);
    async function* rechunked(): AsyncGenerator<Uint8Array> {
      open++;
      try {
        for await (const chunk of source) for (let at = 0; at < chunk.length; at += size) yield chunk.subarray(at, at + size);
      } finally {
        open--;
      }
    }
    return rechunked();
  };
  // Segments only ever get() from storage.
  return { store: { ...inner, get } as BlobStore, open: () => open };
}

describe('fMP4 media segments of archived fragments, judged by ffmpeg', { skip: skipWithoutFfmpeg }, () => {
  let archive: Archive;
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-segments-'));
    archive = await archiveFixtures(FIXTURES);
  });
  after(async () => {
    await archive?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const fixture of FIXTURES) {
    test(`${fixture}: each track's init + media segments play as the source`, async () => {
      const stream = streamOf(archive, fixture);
      assert.equal(stream.fragments.length, 3, 'three clusters, three fragments');
      const tracks = describeTrackHeader(stream.trackHeader).tracks;
      for (const track of tracks) {
        const kind = track.kind === 'video' ? 'v' : 'a';
        const segments = await segmentsOf(archive, stream, track.number);
        const out = path.join(dir, `${fixture}-track${track.number}.mp4`);
        writeFileSync(out, Buffer.concat([initSegment(stream.trackHeader, track.number), ...segments]));

        const streams = probe(out).streams;
        assert.deepEqual(streams.map((s) => s.codec_type), [track.kind], 'one track per init segment');
        assert.equal(decodeErrors(out), '');
        const got = framemd5(out, kind);
        const source = framemd5(fixturePath(fixture), kind);
        assertSamePayloads(got, source, `track ${track.number}`);
        if (kind === 'a') {
          // Audio is snapped to its 1024-sample grid; Matroska's times are rounded to the ms.
          assertSameTimes(got, source, 'audio', 0.001);
        } else {
          assertSameTimes(got, source, 'video', 1e-6);
        }
        assertTiled(segments, track.kind, stream);
      }
    });
  }

  /** Each segment starts where the previous one ended (video exactly; audio within a stored tick). */
  function assertTiled(segments: readonly Buffer[], kind: string, stream: ArchivedStream): void {
    const spans = segments.map(segmentSpan);
    const timescale = kind === 'video' ? 90_000 : undefined;
    if (timescale) assert.equal(spans[0]!.start, 0, 'the first fragment is at the session origin');
    for (let k = 1; k < spans.length; k++) {
      const end = spans[k - 1]!.start + spans[k - 1]!.duration;
      const tolerance = kind === 'video' ? 0 : Math.ceil(stream.fixture.includes('g711') ? 8 : 44.1);
      assert.ok(Math.abs(spans[k]!.start - end) <= tolerance, `${kind} segment ${k + 1} starts at ${spans[k]!.start}, previous ended at ${end}`);
    }
  }

  test('video tfdt is the fragment start on the session timeline, in 90 kHz ticks', async () => {
    const stream = streamOf(archive, 'h264.mkv');
    const originMs = stream.fragments[0]!.producerTimestampMs - 5000;
    stream.fragments.forEach((fragment, k) => {
      const plan = planMediaSegment(fragment, stream.trackHeader, 1, { fragmentStartMs: fragmentTimelineMs(fragment, 'PRODUCER_TIMESTAMP', originMs) });
      // The header ends with the mdat header (8 bytes): the moof before it is whole.
      assert.equal(segmentSpan(Buffer.from(plan.header.subarray(0, -8))).start, (5000 + 2000 * k) * 90, `fragment ${k + 1}`);
    });
  });

  test('all tracks in one init and media segment: both play as the source', async () => {
    const stream = streamOf(archive, 'h264-aac.mkv');
    const out = path.join(dir, 'all-tracks.mp4');
    writeFileSync(out, Buffer.concat([initSegment(stream.trackHeader, 'all'), ...(await segmentsOf(archive, stream, 'all'))]));
    assert.deepEqual(probe(out).streams.map((s) => s.codec_type), ['video', 'audio']);
    assert.equal(decodeErrors(out), '');
    for (const kind of ['v', 'a'] as const) assertSamePayloads(framemd5(out, kind), framemd5(fixturePath('h264-aac.mkv'), kind), kind);
  });

  test('a fragment whose bytes are gone (retention got there first): ResourceNotFoundException before any byte', async () => {
    const stream = streamOf(archive, 'h264-aac.mkv');
    const gone = { ...stream.fragments[0]!, location: { key: 'streams/999/0000000001.seg', offset: 0 } };
    const timing = { fragmentStartMs: 0 };
    const notFound = (err: unknown) => err instanceof ResourceNotFoundException;
    await assert.rejects(mediaSegment(archive.blobs, gone, stream.trackHeader, 1, timing), notFound);
    await assert.rejects(tsSegment(archive.blobs, gone, stream.trackHeader, timing), notFound);
  });

  test('a streamed segment is the same whatever the storage chunking, and releasing it closes the read', async () => {
    const stream = streamOf(archive, 'h264-aac.mkv');
    const fragment = stream.fragments[1]!;
    const timing = { fragmentStartMs: 2000 };
    const small = chunkingStore(archive.blobs, 997);
    for (const track of [1, 2]) {
      const expected = await bodyBytes(await mediaSegment(archive.blobs, fragment, stream.trackHeader, track, timing));
      assert.deepEqual(await bodyBytes(await mediaSegment(small.store, fragment, stream.trackHeader, track, timing)), expected, `track ${track}`);
    }
    assert.equal(small.open(), 0, 'read to the end: every read closed');
    // A client gone before the first byte: the read opened to check the fragment is closed by release().
    const unread = await mediaSegment(small.store, fragment, stream.trackHeader, 1, timing);
    assert.equal(small.open(), 1);
    await unread.release();
    assert.equal(small.open(), 0, 'released before iterating');
    const partly = await mediaSegment(small.store, fragment, stream.trackHeader, 1, timing);
    for await (const batch of partly.batches) if (batch.length > 0) break;
    assert.equal(small.open(), 0, 'a for-await that stops early closes the read');
  });

  test('the judge can fail: one damaged payload byte changes a packet MD5', async () => {
    const stream = streamOf(archive, 'h264.mkv');
    const segments = await segmentsOf(archive, stream, 1);
    const damaged = Buffer.from(segments[1]!);
    damaged[damaged.length - 100] = damaged[damaged.length - 100]! ^ 0x5a;
    const out = path.join(dir, 'damaged.mp4');
    writeFileSync(out, Buffer.concat([initSegment(stream.trackHeader, 1), segments[0]!, damaged, segments[2]!]));
    assert.notDeepEqual(framemd5(out, 'v'), framemd5(fixturePath('h264.mkv'), 'v'));
  });
});
