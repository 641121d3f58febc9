/**
 * Every file in test/fixtures/ has the property test/fixtures/README.md claims for it: ffprobe
 * (an independent demuxer) judges the media, and test/helpers/mkv-outline.ts the byte layout
 * that ffprobe does not show (unknown sizes, Tags between Clusters, which block starts a Cluster).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findTool, REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { outlineMkv, type MkvOutline } from '../helpers/mkv-outline.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
const FFPROBE = findTool(['ffprobe']);
const skip = skipUnlessPresent(FFPROBE, 'ffprobe (Debian package ffmpeg)');
const run = promisify(execFile);

interface ProbeStream {
  codec_name?: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
}
interface ProbePacket {
  stream_index: number;
  pts: number;
  flags: string;
}
interface Probe {
  streams: ProbeStream[];
  packets: ProbePacket[];
  format?: { start_time?: string; duration?: string };
  stderr: string;
}

const fixture = (name: string) => path.join(FIXTURES, name);
const outline = (name: string): MkvOutline => outlineMkv(readFileSync(fixture(name)));

/** Streams, packets (pts in ms: TimecodeScale is 1 ms) and ffprobe's complaints. */
async function probe(name: string): Promise<Probe> {
  const args = ['-v', 'error', '-show_streams', '-show_format', '-show_entries', 'packet=stream_index,pts,flags', '-of', 'json', fixture(name)];
  const { stdout, stderr } = await run(FFPROBE!, args, { maxBuffer: 64 << 20 }).catch((err: { stdout: string; stderr: string }) => err);
  return { ...(JSON.parse(stdout || '{}') as Omit<Probe, 'stderr'>), stderr };
}

const codecs = (p: Probe) => p.streams.map((s) => `${s.codec_type}:${s.codec_name ?? 'unknown'}`);
const packetsOf = (p: Probe, stream: number) => p.packets.filter((pkt) => pkt.stream_index === stream);
const clusterTimecodes = (o: MkvOutline) => o.clusters.map((c) => c.timecode);

/** Byte i lies in the (at most 8-byte) size field right after a Segment or Cluster id. */
function insideSizeField(bytes: Uint8Array, i: number): boolean {
  const ids = [[0x18, 0x53, 0x80, 0x67], [0x1f, 0x43, 0xb6, 0x75]];
  for (let distance = 0; distance < 8; distance++) {
    const idStart = i - distance - 4;
    if (ids.some((id) => id.every((byte, k) => bytes[idStart + k] === byte))) return true;
  }
  return false;
}

/** The shape Amazon's producer sends: 1 ms ticks, ~2 s Clusters that each open with a video key frame. */
function assertCameraLikeClusters(o: MkvOutline, videoTrack = 1): void {
  assert.equal(o.timecodeScaleNs, 1_000_000);
  assert.ok(o.clusters.length >= 3, `${o.clusters.length} clusters`);
  for (const cluster of o.clusters) {
    assert.deepEqual(cluster.blocks[0] && { track: cluster.blocks[0].track, key: cluster.blocks[0].key }, { track: videoTrack, key: true });
    assert.equal(cluster.blocks[0]?.timecode, 0, 'the Cluster timecode is its key frame');
  }
  const first = o.clusters[0]?.timecode ?? 0;
  assert.deepEqual(clusterTimecodes(o), o.clusters.map((_, i) => first + 2000 * i));
}

describe('test/fixtures', { skip }, () => {
  test('README lists every fixture, and each stays small', () => {
    const readme = readFileSync(path.join(FIXTURES, 'README.md'), 'utf8');
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.mkv'));
    assert.ok(files.length >= 18);
    for (const file of files) {
      assert.match(readme, new RegExp(`\`${file.replace(/[.]/g, '\\.')}\``), `${file} is documented`);
      assert.ok(statSync(fixture(file)).size <= 300 * 1024, `${file} is at most 300 KB`);
    }
  });

  describe('valid', () => {
    test('h264-aac.mkv: H.264 + AAC, key-frame-first 2 s Clusters', async () => {
      const p = await probe('h264-aac.mkv');
      assert.deepEqual(codecs(p), ['video:h264', 'audio:aac']);
      assert.equal(p.streams[0]?.width, 160);
      assert.equal(p.packets[0]?.pts, 0, 'video starts at 0');
      assert.equal(packetsOf(p, 1)[0]?.pts, 0, 'audio starts at 0');
      const o = outline('h264-aac.mkv');
      assert.deepEqual(o.tracks.map((t) => t.codecId), ['V_MPEG4/ISO/AVC', 'A_AAC']);
      assertCameraLikeClusters(o);
      for (const cluster of o.clusters) assert.ok(cluster.blocks.some((b) => b.track === 2), 'audio in every Cluster');
    });

    test('h264.mkv: video only, with the SeekHead and Cues a file from ffmpeg has', async () => {
      assert.deepEqual(codecs(await probe('h264.mkv')), ['video:h264']);
      const o = outline('h264.mkv');
      assertCameraLikeClusters(o);
      assert.deepEqual([o.level1[0], o.level1.at(-1)], ['SeekHead', 'Cues']);
    });

    test('h265.mkv: V_MPEGH/ISO/HEVC', async () => {
      assert.deepEqual(codecs(await probe('h265.mkv')), ['video:hevc']);
      const o = outline('h265.mkv');
      assert.equal(o.tracks[0]?.codecId, 'V_MPEGH/ISO/HEVC');
      assertCameraLikeClusters(o);
    });

    test('h264-g711.mkv: H.264 + G.711 A-law as A_MS/ACM', async () => {
      const p = await probe('h264-g711.mkv');
      assert.deepEqual(codecs(p), ['video:h264', 'audio:pcm_alaw']);
      assert.equal(p.streams[1]?.sample_rate, '8000');
      const o = outline('h264-g711.mkv');
      assert.deepEqual(o.tracks.map((t) => t.codecId), ['V_MPEG4/ISO/AVC', 'A_MS/ACM']);
      assertCameraLikeClusters(o);
    });

    test('h264-bframes.mkv: blocks stored out of presentation order', async () => {
      const p = await probe('h264-bframes.mkv');
      assert.deepEqual(codecs(p), ['video:h264']);
      const pts = p.packets.map((pkt) => pkt.pts);
      assert.ok(pts.some((value, i) => i > 0 && value < pts[i - 1]!), 'pts goes back somewhere in storage order');
      assertCameraLikeClusters(outline('h264-bframes.mkv'));
    });

    test('h264-absolute-timecodes.mkv: Cluster timecodes are epoch milliseconds', async () => {
      const p = await probe('h264-absolute-timecodes.mkv');
      assert.equal(Number(p.format?.start_time), 1_700_000_000);
      const o = outline('h264-absolute-timecodes.mkv');
      assert.equal(o.clusters[0]?.timecode, 1_700_000_000_000);
      assertCameraLikeClusters(o);
    });

    test('h264-unknown-size.mkv: h264-aac.mkv with unknown Segment and Cluster sizes, nothing moved', async () => {
      const original = readFileSync(fixture('h264-aac.mkv'));
      const edited = readFileSync(fixture('h264-unknown-size.mkv'));
      assert.equal(edited.length, original.length);
      const o = outlineMkv(edited);
      assert.equal(o.segmentSizeUnknown, true);
      assert.ok(o.clusters.every((c) => c.sizeUnknown));
      assert.deepEqual(clusterTimecodes(o), clusterTimecodes(outlineMkv(original)));
      const differing = [...edited.keys()].filter((i) => edited[i] !== original[i]);
      assert.ok(differing.length > 0 && differing.every((i) => insideSizeField(edited, i)), 'only size fields changed');
      assert.deepEqual((await probe('h264-unknown-size.mkv')).packets, (await probe('h264-aac.mkv')).packets);
    });

    test('h264-v-mpeg-avc.mkv: legacy codec id V_MPEG/ISO/AVC, frames untouched', async () => {
      const o = outline('h264-v-mpeg-avc.mkv');
      assert.equal(o.tracks[0]?.codecId, 'V_MPEG/ISO/AVC');
      assertCameraLikeClusters(o);
      const p = await probe('h264-v-mpeg-avc.mkv');
      assert.deepEqual(codecs(p), ['video:unknown'], 'ffmpeg does not know the legacy id');
      assert.deepEqual(p.packets.map((x) => x.pts), (await probe('h264.mkv')).packets.map((x) => x.pts));
    });

    test('h264-with-tags.mkv: fragment metadata after every Cluster, END_OF_FRAGMENT after the last', async () => {
      const o = outline('h264-with-tags.mkv');
      assertCameraLikeClusters(o);
      const metadata = [
        { name: 'camera', value: 'front' },
        { name: 'event', value: 'motion' },
      ];
      for (const cluster of o.clusters.slice(0, -1)) assert.deepEqual(cluster.tagsAfter, metadata);
      assert.deepEqual(o.clusters.at(-1)?.tagsAfter, [...metadata, { name: 'AWS_KINESISVIDEO_END_OF_FRAGMENT', value: '' }]);
      assert.deepEqual(codecs(await probe('h264-with-tags.mkv')), ['video:h264', 'audio:aac']);
    });
  });

  describe('malformed (one PutMedia ERROR ack each)', () => {
    test('err-4006-garbage.mkv: a valid header, then bytes that are no element', async () => {
      const o = outline('err-4006-garbage.mkv');
      assert.deepEqual(o.level1, ['Void', 'Info', 'Tracks', 'Tags']);
      assert.equal(o.clusters.length, 0);
      assert.ok(o.invalidAt !== undefined && o.invalidAt > 300);
      assert.match((await probe('err-4006-garbage.mkv')).stderr, /invalid as first byte of an EBML number/);
    });

    test('err-4004-timecode-backwards.mkv: the second Cluster starts before the first', async () => {
      const o = outline('err-4004-timecode-backwards.mkv');
      assert.deepEqual(clusterTimecodes(o), [10_000, 4000, 14_000]);
      const pts = (await probe('err-4004-timecode-backwards.mkv')).packets.map((pkt) => pkt.pts);
      assert.ok(pts.includes(4000) && pts.indexOf(4000) > pts.indexOf(10_000));
    });

    test('err-4010-track-mismatch.mkv: Tracks declares 1 and 2, audio blocks say track 3', async () => {
      const o = outline('err-4010-track-mismatch.mkv');
      assert.deepEqual(o.tracks.map((t) => t.number), [1, 2]);
      const used = new Set(o.clusters.flatMap((c) => c.blocks.map((b) => b.track)));
      assert.deepEqual([...used].sort(), [1, 3]);
      assert.match((await probe('err-4010-track-mismatch.mkv')).stderr, /Invalid track number 3/);
    });

    test('err-4011-frames-missing.mkv: audio declared, but absent from the first Clusters', async () => {
      const p = await probe('err-4011-frames-missing.mkv');
      assert.deepEqual(codecs(p), ['video:h264', 'audio:aac']);
      assert.ok(packetsOf(p, 1)[0]!.pts > 4900, 'first audio frame near 5 s');
      const o = outline('err-4011-frames-missing.mkv');
      assert.deepEqual(o.clusters.map((c) => c.blocks.some((b) => b.track === 2)), [false, false, true]);
    });

    test('err-4012-four-tracks.mkv: four tracks (the limit is 3)', async () => {
      assert.deepEqual(codecs(await probe('err-4012-four-tracks.mkv')), ['video:h264', 'audio:aac', 'audio:aac', 'audio:aac']);
      assert.equal(outline('err-4012-four-tracks.mkv').tracks.length, 4);
    });

    test('err-4002-long-fragment.mkv: one key frame, one Cluster, 25 s (the limit is 20 s)', async () => {
      const p = await probe('err-4002-long-fragment.mkv');
      assert.equal(p.packets.filter((pkt) => pkt.flags.startsWith('K')).length, 1);
      assert.ok(Number(p.format?.duration) > 20);
      const o = outline('err-4002-long-fragment.mkv');
      assert.equal(o.clusters.length, 1);
      assert.ok(Math.max(...o.clusters[0]!.blocks.map((b) => b.timecode)) > 20_000);
    });

    test('err-4009-too-many-tags.mkv: 11 metadata items after the first Cluster (the limit is 10)', () => {
      const tags = outline('err-4009-too-many-tags.mkv').clusters[0]?.tagsAfter ?? [];
      assert.equal(tags.length, 11);
    });

    test('err-4009-aws-prefix-tag.mkv: a metadata name with the reserved AWS prefix', () => {
      assert.deepEqual(outline('err-4009-aws-prefix-tag.mkv').clusters[0]?.tagsAfter, [{ name: 'AWS_SECRET', value: 'value' }]);
    });

    test('err-4009-long-tag.mkv: a 300-byte metadata value (the limit is 256)', () => {
      const tags = outline('err-4009-long-tag.mkv').clusters[0]?.tagsAfter ?? [];
      assert.equal(tags.length, 1);
      assert.equal(tags[0]?.value.length, 300);
    });

    test('the Tags-edited files keep their media intact', async () => {
      const reference = (await probe('h264.mkv')).packets;
      for (const name of ['err-4009-too-many-tags.mkv', 'err-4009-aws-prefix-tag.mkv', 'err-4009-long-tag.mkv']) {
        assert.deepEqual((await probe(name)).packets, reference, name);
        assertCameraLikeClusters(outline(name));
      }
    });
  });
});
