import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ClusterTimecodeScanner, paceByClusterTimecodes, type ScanEvent } from '../../../src/client/pacing.js';
import { REPO_ROOT } from '../../helpers/process.js';
import { outlineMkv } from '../../helpers/mkv-outline.js';

const fixture = (name: string) => readFileSync(path.join(REPO_ROOT, 'test/fixtures', name));

function scan(bytes: Uint8Array, pieceSize: number): { events: ScanEvent[]; gaveUp: boolean } {
  const scanner = new ClusterTimecodeScanner();
  const events: ScanEvent[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) events.push(...scanner.push(bytes.subarray(i, i + pieceSize)));
  return { events, gaveUp: scanner.gaveUp };
}

const clusterTimecodes = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'cluster-timecode' ? [e.timecode] : []));
const clusterOffsets = (events: ScanEvent[]) => events.flatMap((e) => (e.kind === 'cluster' ? [e.offset] : []));

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('ClusterTimecodeScanner', () => {
  const files = ['h264-aac.mkv', 'h264-unknown-size.mkv', 'h264.mkv', 'h264-with-tags.mkv', 'h264-absolute-timecodes.mkv', 'h265.mkv'];
  for (const name of files) {
    test(`${name}: every Cluster and its timecode, in pieces of 1, 13 and 16384 bytes`, () => {
      const bytes = fixture(name);
      const outline = outlineMkv(bytes);
      for (const size of [1, 13, 16384]) {
        const { events, gaveUp } = scan(bytes, size);
        assert.equal(gaveUp, false);
        assert.deepEqual(clusterTimecodes(events), outline.clusters.map((c) => c.timecode));
        assert.deepEqual(clusterOffsets(events), outline.clusters.map((c) => c.offset));
        const scale = events.find((e) => e.kind === 'timestamp-scale');
        assert.equal(scale?.kind === 'timestamp-scale' && scale.scaleNs, 1_000_000);
      }
    });
  }

  test('gives up on bytes that are not EBML, without throwing', () => {
    const { events, gaveUp } = scan(fixture('err-4006-garbage.mkv'), 100);
    assert.equal(gaveUp, true);
    assert.deepEqual(clusterOffsets(events), []);
  });
});

describe('paceByClusterTimecodes', () => {
  /** A fake clock that only moves when the pacer sleeps. */
  function fakeTime() {
    let now = 1_000_000;
    const sleeps: number[] = [];
    return {
      sleeps,
      nowMs: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      advance: (ms: number) => (now += ms),
    };
  }

  test('each Cluster waits for its timecode relative to the first; the bytes pass unchanged', async () => {
    const bytes = fixture('h264-aac.mkv');
    const time = fakeTime();
    const out: Uint8Array[] = [];
    for await (const chunk of paceByClusterTimecodes(chunksOf(bytes, 16384), time)) out.push(chunk);
    assert.deepEqual(time.sleeps, [2000, 2000]);
    assert.deepEqual(Buffer.concat(out), bytes);
  });

  test('time spent sending counts: only the remainder is waited for', async () => {
    const time = fakeTime();
    const pacer = paceByClusterTimecodes(chunksOf(fixture('h264.mkv'), 16384), time);
    for await (const _chunk of pacer) time.advance(150);
    assert.ok(time.sleeps.length === 2 && time.sleeps.every((ms) => ms > 0 && ms < 2000), `${time.sleeps}`);
  });

  test("a Cluster's first byte is held back until its time has come", async () => {
    const bytes = fixture('h264.mkv');
    const secondCluster = outlineMkv(bytes).clusters[1]!.offset;
    const time = fakeTime();
    let sent = 0;
    for await (const chunk of paceByClusterTimecodes(chunksOf(bytes, 1000), time)) {
      if (sent + chunk.length > secondCluster) assert.ok(time.sleeps.length >= 1, 'the second Cluster left before the pause');
      if (sent + chunk.length <= secondCluster) assert.equal(time.sleeps.length, 0, 'a pause before the first Cluster ended');
      sent += chunk.length;
    }
    assert.equal(sent, bytes.length);
  });

  test('garbage passes through unpaced', async () => {
    const bytes = fixture('err-4006-garbage.mkv');
    const time = fakeTime();
    const out: Uint8Array[] = [];
    for await (const chunk of paceByClusterTimecodes(chunksOf(bytes, 512), time)) out.push(chunk);
    assert.deepEqual(Buffer.concat(out), bytes);
    assert.deepEqual(time.sleeps, []);
  });
});
