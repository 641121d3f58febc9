/**
 * The KVS document writer, judged by mkvtoolnix's mkvinfo and ffprobe (not by our parser): the
 * pieces around a Cluster form one valid Matroska document in the layout of kvs-api.md §3.1.
 */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatBytes } from '../../../../src/formats/bytes/read.js';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import {
  KvsTagName,
  kvsDocumentPrefix,
  kvsDocumentSuffix,
  kvsErrorDocument,
  kvsTimestampText,
} from '../../../../src/formats/matroska/kvs-document.js';
import { FFPROBE, mediaToolsSkip, mkvinfoTags, withTempFile } from '../../../helpers/kvs-readers.js';
import { MKVINFO } from '../../../helpers/mkvinfo.js';
import { cluster, prng, randomBytes, streamHeader } from '../../../helpers/synthetic-mkv.js';

/** Info + Tracks of a synthetic stream header (what the ingest stores as the track header). */
function trackHeader(): Uint8Array {
  const header = streamHeader({ audio: true });
  // EBML header and the 12-byte unknown-size Segment header come first; Info starts after them.
  const info = Buffer.from(header).indexOf(Buffer.from([0x15, 0x49, 0xa9, 0x66]));
  return header.subarray(info);
}

const FRAGMENT = { fragmentNumber: '91343852333181531502161607852955530730504675150', serverTimestampMs: 1726677687758, producerTimestampMs: 1726677688724 };

function sampleCluster(): Uint8Array {
  const rng = prng(3);
  return cluster({ timecode: 1726677688724, frames: [randomBytes(rng, 300), randomBytes(rng, 200)], frameMs: 33, knownSize: false, audio: [randomBytes(rng, 40), randomBytes(rng, 40)] });
}

describe('kvsTimestampText', () => {
  test('epoch seconds with exactly three decimals, without float rounding', () => {
    assert.equal(kvsTimestampText(1726677687758), '1726677687.758');
    assert.equal(kvsTimestampText(1700000000000), '1700000000.000');
    assert.equal(kvsTimestampText(1700000000001), '1700000000.001');
    assert.equal(kvsTimestampText(5), '0.005');
    assert.equal(kvsTimestampText(0), '0.000');
  });

  test('refuses what is not a non-negative integer of milliseconds', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) assert.throws(() => kvsTimestampText(bad), RangeError);
  });
});

describe('KVS documents', { skip: mediaToolsSkip() }, () => {
  test('prefix + Cluster + suffix: the layout of kvs-api.md §3.1, as mkvinfo reads it', () => {
    const metadata = [
      { name: 'camera', value: 'front' },
      { name: 'note', value: '' },
    ];
    const position = { millisBehindNow: 78569, continuationToken: 'token_1.2-3' };
    const document = Buffer.from(concatBytes([kvsDocumentPrefix(trackHeader(), FRAGMENT), sampleCluster(), kvsDocumentSuffix(metadata, position)]));
    const outline = withTempFile(document, (file) => execFileSync(MKVINFO!, ['-v', file], { encoding: 'utf8' }));
    const lines = outline.split('\n');
    const segment = lines.findIndex((line) => line.startsWith('+ Segment'));
    const topLevel = lines.filter((line) => line.startsWith('+ ')).map((line) => line.replace(/:.*$/, ''));
    const inSegment = lines
      .slice(segment)
      .filter((line) => line.startsWith('|+ '))
      .map((line) => line.replace(/ at \d+.*|:.*$/, ''));
    assert.deepEqual(topLevel, ['+ EBML head', '+ Segment']);
    assert.deepEqual(inSegment, ['|+ Segment information', '|+ Tracks', '|+ Tags', '|+ Cluster', '|+ Tags', '|+ Tags', '|+ Tags']);
    assert.match(outline, /Segment: size unknown/);
    assert.doesNotMatch(outline, /Error|Warning/i);
    const tags = mkvinfoTags(document);
    assert.deepEqual(
      tags.map((t) => [t.tagsIndex, t.afterClusters, t.name, t.value]),
      [
        [0, 0, KvsTagName.fragmentNumber, FRAGMENT.fragmentNumber],
        [0, 0, KvsTagName.serverTimestamp, '1726677687.758'],
        [0, 0, KvsTagName.producerTimestamp, '1726677688.724'],
        [1, 1, 'camera', 'front'],
        [2, 1, 'note', ''],
        [3, 1, KvsTagName.millisBehindNow, '78569'],
        [3, 1, KvsTagName.continuationToken, 'token_1.2-3'],
      ],
    );
  });

  test('ffprobe opens the document: both tracks, the cluster\'s packets, the KVS tags as format tags', () => {
    const document = Buffer.from(concatBytes([kvsDocumentPrefix(trackHeader(), FRAGMENT), sampleCluster(), kvsDocumentSuffix([])]));
    const probe = withTempFile(document, (file) =>
      JSON.parse(execFileSync(FFPROBE!, ['-v', 'error', '-show_streams', '-show_packets', '-show_format', '-of', 'json', file], { encoding: 'utf8' })),
    ) as { streams: { codec_name: string }[]; packets: { pts: number }[]; format: { tags: Record<string, string> } };
    assert.deepEqual(probe.streams.map((s) => s.codec_name), ['h264', 'aac']);
    assert.deepEqual(probe.packets.map((p) => p.pts), [1726677688724, 1726677688724, 1726677688757, 1726677688757]);
    assert.equal(probe.format.tags[KvsTagName.fragmentNumber], FRAGMENT.fragmentNumber);
    assert.equal(probe.format.tags[KvsTagName.producerTimestamp], '1726677688.724');
  });

  test('without a reader position the suffix holds only the metadata', () => {
    assert.equal(kvsDocumentSuffix([]).length, 0);
    const suffix = kvsDocumentSuffix([{ name: 'a', value: 'b' }]);
    assert.equal(Buffer.from(suffix.subarray(0, 4)).toString('hex'), Id.Tags.toString(16));
  });

  test('an error document: EBML header, Segment, one Tags', () => {
    const document = Buffer.from(
      kvsErrorDocument([
        { name: KvsTagName.errorCode, value: 'FRAGMENT_NOT_FOUND' },
        { name: KvsTagName.errorId, value: '3000' },
      ]),
    );
    assert.deepEqual(
      mkvinfoTags(document).map((t) => [t.name, t.value]),
      [
        [KvsTagName.errorCode, 'FRAGMENT_NOT_FOUND'],
        [KvsTagName.errorId, '3000'],
      ],
    );
  });

  test('refuses a negative MILLIS_BEHIND_NOW', () => {
    assert.throws(() => kvsDocumentSuffix([], { millisBehindNow: -1, continuationToken: 'x' }), RangeError);
  });
});
