/**
 * The relay's hot path copies a GOP as few times as it can (bench/README.md, relay.js): a Cluster
 * that is already one GOP is not rebuilt, and the ABSOLUTE Timestamp rewrite produces the same
 * bytes as before with the fragment's Tags in the same buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatroskaId } from '../../src/formats/matroska/ids.js';
import { binaryElement, element, uintElement } from '../../src/formats/matroska/writer.js';
import { cutAtKeyFrames } from '../../src/relay/cluster-cut.js';
import { rewriteClusterTimestamp } from '../../src/relay/timeline.js';

/** A SimpleBlock on track 1 (video) or 2, `rel` ms into its Cluster. */
function simpleBlock(track: number, rel: number, key: boolean, payload = 100): Uint8Array {
  return binaryElement(MatroskaId.SimpleBlock, Uint8Array.from([0x80 | track, (rel >> 8) & 0xff, rel & 0xff, key ? 0x80 : 0, ...new Uint8Array(payload).fill(7)]));
}

function cluster(timestamp: number, blocks: Uint8Array[]): Uint8Array {
  return element(MatroskaId.Cluster, [uintElement(MatroskaId.Timestamp, timestamp), ...blocks]);
}

test('a Cluster that is one GOP is passed on as it is, not copied', () => {
  const gop = cluster(5000, [simpleBlock(1, 0, true), simpleBlock(2, 10, true), simpleBlock(1, 33, false), simpleBlock(1, 66, false)]);
  const out = cutAtKeyFrames(gop, 1);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.bytes, gop, 'the Cluster was rebuilt');
  const { bytes: _bytes, keyFrame, ...summary } = out[0]!;
  assert.deepEqual(summary, { timecode: 5000, maxBlockTc: 66, videoStartTc: 0, frames: 4, videoFrames: 3, startsWithKey: true });
  assert.deepEqual(keyFrame, new Uint8Array(100).fill(7), 'the key frame is the first video block\'s data');
});

test('a one-GOP Cluster whose key picture is tidied, or whose last picture is dropped, is rebuilt', () => {
  const gop = cluster(5000, [simpleBlock(1, 0, true), simpleBlock(1, 33, false), simpleBlock(1, 66, false)]);
  const tidied = cutAtKeyFrames(gop, 1, 1, false, () => Uint8Array.of(1, 2, 3));
  assert.deepEqual(tidied[0]!.keyFrame, Uint8Array.of(1, 2, 3));
  assert.deepEqual(tidied[0]!.bytes, cluster(5000, [binaryElement(MatroskaId.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x80, 1, 2, 3)), simpleBlock(1, 33, false), simpleBlock(1, 66, false)]));
  const cut = cutAtKeyFrames(gop, 1, 1, true);
  assert.equal(cut[0]!.frames, 2);
  assert.deepEqual(cut[0]!.bytes, cluster(5000, [simpleBlock(1, 0, true), simpleBlock(1, 33, false)]));
});

test('a Cluster of two GOPs is still cut in two', () => {
  const two = cluster(5000, [simpleBlock(1, 0, true), simpleBlock(1, 33, false), simpleBlock(1, 66, true), simpleBlock(1, 99, false)]);
  const out = cutAtKeyFrames(two, 1);
  assert.deepEqual(out.map((c) => [c.timecode, c.frames, c.startsWithKey]), [[5000, 2, true], [5066, 2, true]]);
  assert.deepEqual(out[1]!.bytes, cluster(5066, [simpleBlock(1, 0, true), simpleBlock(1, 33, false)]));
});

test('the Timestamp rewrite keeps the blocks and appends the Tags', () => {
  const blocks = [simpleBlock(1, 0, true), simpleBlock(1, 33, false)];
  const tags = binaryElement(MatroskaId.Tags, new Uint8Array([1, 2, 3]));
  const out = rewriteClusterTimestamp(cluster(5000, blocks), 1_796_616_071_445, tags);
  assert.deepEqual(out, Uint8Array.from([...cluster(1_796_616_071_445, blocks), ...tags]));
});
