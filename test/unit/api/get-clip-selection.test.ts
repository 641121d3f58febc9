/** Which fragments a GetClip takes: de-duplication, the 200-fragment and 100 MiB caps, the order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseClipFragments, MAX_CLIP_BYTES, MAX_CLIP_FRAGMENTS } from '../../../src/api/archived/get-clip.js';
import { formatFragmentNumber, type FragmentRecord } from '../../../src/domain/fragment.js';

function fragment(sequence: number, producerTimestampMs: number, size = 1000, serverTimestampMs = sequence): FragmentRecord {
  return { fragmentNumber: formatFragmentNumber(BigInt(sequence)), producerTimestampMs, serverTimestampMs, size } as FragmentRecord;
}

test('duplicate producer timestamps: the earliest-ingested fragment wins, wherever it sits in the input', () => {
  const chosen = chooseClipFragments([fragment(5, 2000), fragment(2, 1000), fragment(9, 1000), fragment(1, 2000), fragment(3, 3000)]);
  assert.deepEqual(chosen.map((f) => f.fragmentNumber), [2, 1, 3].map((n) => formatFragmentNumber(BigInt(n))));
});

test('at most 200 fragments, counted after de-duplication, in the selector order given', () => {
  const found = Array.from({ length: 250 }, (_, i) => fragment(i + 1, 1000 * i));
  found.splice(10, 0, fragment(500, 0)); // a duplicate of the first: does not count
  const chosen = chooseClipFragments(found);
  assert.equal(chosen.length, MAX_CLIP_FRAGMENTS);
  assert.equal(chosen[chosen.length - 1]!.producerTimestampMs, 199_000);
});

test('at most 100 MiB: the fragment that would pass it ends the clip; a huge first one still counts', () => {
  const big = MAX_CLIP_BYTES / 4;
  const chosen = chooseClipFragments([fragment(1, 0, big), fragment(2, 1, big), fragment(3, 2, big), fragment(4, 3, big), fragment(5, 4, 1)]);
  assert.equal(chosen.length, 4);
  assert.equal(chooseClipFragments([fragment(1, 0, big + 1), fragment(2, 1, big), fragment(3, 2, big), fragment(4, 3, big)]).length, 3);
  assert.equal(chooseClipFragments([fragment(1, 0, MAX_CLIP_BYTES + 1), fragment(2, 1, 1)]).length, 1);
});

test('chosen by server time, played in producer time', () => {
  const chosen = chooseClipFragments([fragment(1, 5000), fragment(2, 1000), fragment(3, 3000)]);
  assert.deepEqual(chosen.map((f) => f.producerTimestampMs), [1000, 3000, 5000]);
});
