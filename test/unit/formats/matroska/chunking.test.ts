/**
 * Property-style: random streams (seeded), fed whole, in random chunk sizes and byte by byte,
 * must give deep-equal events, and every frame range must hold the frame written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import { binaryElement, element, uintElement } from '../../../../src/formats/matroska/writer.js';
import {
  audioTrack,
  blockGroup,
  body,
  cluster,
  frameBytes,
  frames,
  info,
  lacedSimpleBlock,
  parseBytewise,
  parseChunked,
  parseWhole,
  prng,
  simpleTag,
  tags,
  timestamp,
  tracks,
  videoTrack,
} from './streams.js';

interface RandomStream {
  readonly bytes: Uint8Array;
  readonly frames: Uint8Array[];
}

function randomStream(seed: number, clusters: number): RandomStream {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const written: Uint8Array[] = [];
  const frameSet = (count: number, sameSize: boolean) => {
    const size = int(600);
    const set = Array.from({ length: count }, () => frameBytes(sameSize ? size : int(random() < 0.1 ? 70000 : 2000), int(256)));
    written.push(...set);
    return set;
  };
  const lacings = ['xiph', 'ebml', 'fixed-size'] as const;
  const children: Uint8Array[] = [info(random() < 0.5 ? undefined : 1_000_000), tracks(videoTrack(1), audioTrack(2))];
  for (let c = 0; c < clusters; c++) {
    const inner: Uint8Array[] = [timestamp(c * 1000 + int(1000)), uintElement(Id.Position, 0)];
    for (let b = int(12); b > 0; b--) {
      const roll = random();
      const track = 1 + int(2);
      const timecode = int(2000) - 1000;
      if (roll < 0.5) {
        inner.push(lacedSimpleBlock({ track, timecode, key: random() < 0.3, frames: frameSet(1, false) }));
      } else if (roll < 0.7) {
        const lacing = lacings[int(3)] ?? 'xiph';
        inner.push(lacedSimpleBlock({ track, timecode, key: true, frames: frameSet(2 + int(8), lacing === 'fixed-size'), lacing }));
      } else if (roll < 0.9) {
        const laced = random() < 0.3;
        const set = frameSet(laced ? 3 : 1, false);
        inner.push(blockGroup({ track, timecode, frames: set, lacing: laced ? 'ebml' : 'none', duration: random() < 0.5 ? int(100) : undefined, reference: random() < 0.5 ? -int(100) : undefined, blockFirst: random() < 0.5 }));
      } else {
        inner.push(binaryElement(Id.Void, new Uint8Array(int(20))));
      }
    }
    children.push(cluster(inner, random() < 0.5));
    if (random() < 0.5) children.push(tags(simpleTag(`t${c}`, String(int(1e6))), simpleTag('AWS_KINESISVIDEO_END_OF_FRAGMENT')));
    if (random() < 0.2) children.push(element(Id.Cues, [binaryElement(0xbb, new Uint8Array(int(30)))]));
  }
  return { bytes: body(children, random() < 0.5), frames: written };
}

describe('MkvParser: chunking does not change the events', () => {
  for (let seed = 1; seed <= 40; seed++) {
    test(`random stream #${seed}`, () => {
      const stream = randomStream(seed, 1 + (seed % 6));
      const whole = parseWhole(stream.bytes);
      assert.equal(whole.error, undefined, whole.error?.message);
      const got = frames(whole.events).map((f) => stream.bytes.subarray(f.offset, f.offset + f.size));
      assert.deepEqual(got, stream.frames);

      const random = prng(seed * 7919);
      const maxChunk = [2, 17, 300, 5000, 70000][seed % 5] ?? 100;
      assert.deepEqual(parseChunked(stream.bytes, () => 1 + Math.floor(random() * maxChunk)), whole, 'random chunks');
      if (stream.bytes.length < 400_000) assert.deepEqual(parseBytewise(stream.bytes), whole, 'byte by byte');
    });
  }

  test('a truncated random stream fails the same way at every chunking', () => {
    for (let seed = 100; seed < 120; seed++) {
      const { bytes } = randomStream(seed, 2);
      const random = prng(seed);
      const cut = bytes.subarray(0, Math.floor(random() * bytes.length));
      const whole = parseWhole(cut);
      assert.deepEqual(parseChunked(cut, () => 1 + Math.floor(random() * 1000)), whole);
      assert.deepEqual(parseChunked(cut, () => 3), whole);
    }
  });

  test('a corrupted random stream fails (or not) the same way at every chunking', () => {
    for (let seed = 200; seed < 260; seed++) {
      const { bytes } = randomStream(seed, 2);
      const random = prng(seed);
      const corrupt = bytes.slice();
      for (let k = 0; k < 3; k++) corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
      const whole = parseWhole(corrupt);
      assert.deepEqual(parseChunked(corrupt, () => 1 + Math.floor(random() * 500)), whole);
      assert.deepEqual(parseChunked(corrupt, () => 1), whole);
    }
  });
});
