/**
 * The console's archive model (console/src/fragments.ts), in Node: per-pixel-column coverage with
 * gaps, the fragment holding an instant, and clip plans that keep every GetClip call within its
 * limits (200 fragments, 100 MiB, 24 h), never truncating a range. The module is a browser
 * module (bundled by esbuild for the console); esbuild bundles it here for Node the same way.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { REPO_ROOT } from '../helpers/process.js';

interface Fragment {
  ProducerTimestamp: Date;
  ServerTimestamp: Date;
  FragmentLengthInMilliseconds: number;
  FragmentSizeInBytes: number;
  FragmentNumber: string;
}
interface FragmentSetApi {
  count: number;
  add(windowStartMs: number, fragments: Fragment[], dedupe?: boolean): void;
  columns(t0: number, t1: number, width: number): Uint8Array;
  containing(t: number): number | undefined;
  arrays(): { starts: Float64Array };
  newest: { serverMs: number } | undefined;
  dedupeFromMs: number;
}
interface Module {
  FragmentSet: new () => FragmentSetApi;
  planClip(set: FragmentSetApi, a: number, b: number): { a: number; b: number; fragments: number; bytes: number }[];
  CLIP_MAX_FRAGMENTS: number;
}

let mod: Module;

const T0 = 1_700_000_000_000;
function fragments(count: number, opts: { startMs?: number; durationMs?: number; size?: number; skip?: (i: number) => boolean } = {}): Fragment[] {
  const out: Fragment[] = [];
  const d = opts.durationMs ?? 1000;
  for (let i = 0; i < count; i++) {
    if (opts.skip?.(i)) continue;
    const t = (opts.startMs ?? T0) + i * d;
    out.push({ ProducerTimestamp: new Date(t), ServerTimestamp: new Date(t + 100), FragmentLengthInMilliseconds: d, FragmentSizeInBytes: opts.size ?? 1000, FragmentNumber: String(i) });
  }
  return out;
}

describe('console archive model', () => {
  before(async () => {
    const outdir = path.join(REPO_ROOT, 'dist', 'test-console');
    await mkdir(outdir, { recursive: true });
    const outfile = path.join(outdir, 'fragments.mjs');
    // The SDK stays external: Node resolves it from node_modules like the rest of the tests.
    await build({ entryPoints: [path.join(REPO_ROOT, 'console/src/fragments.ts')], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
    mod = (await import(pathToFileURL(outfile).href)) as Module;
  });

  test('columns: recorded, partly and gaps per pixel; pages arriving out of order are sorted', () => {
    const set = new mod.FragmentSet();
    // 0–10 s recorded, 10–20 s gap, 20–30 s recorded; the later page first.
    set.add(T0 + 20_000, fragments(10, { startMs: T0 + 20_000 }));
    set.add(T0, fragments(10));
    assert.equal(set.count, 20);
    assert.deepEqual([...set.columns(T0, T0 + 30_000, 3)], [2, 0, 2]);
    assert.deepEqual([...set.columns(T0, T0 + 30_000, 6)], [2, 2, 0, 0, 2, 2]);
    // A column half covered.
    assert.deepEqual([...set.columns(T0 + 5_000, T0 + 15_000, 2)], [2, 0]);
    assert.deepEqual([...set.columns(T0 + 8_000, T0 + 12_000, 1)], [1]);
    assert.equal(set.containing(T0 + 3_500), 3);
    assert.equal(set.containing(T0 + 15_000), undefined);
    assert.equal(set.newest?.serverMs, T0 + 29_100);
  });

  test('a fragment both the archive load and a recent poll bring (it started before the page opened) counts once', () => {
    const set = new mod.FragmentSet();
    set.dedupeFromMs = T0 + 5_000;
    // The archive load up to the page's opening sees fragments 0-6; the poll reaching back sees 5-9.
    set.add(T0, fragments(7));
    set.add(T0 + 10_000, fragments(10).slice(5), true);
    assert.equal(set.count, 10);
    assert.equal(set.arrays().starts.length, 10);
    assert.equal(set.containing(T0 + 6_500), 6);
  });

  test('the live edge is de-duplicated by fragment number', () => {
    const set = new mod.FragmentSet();
    set.add(1, fragments(5), true);
    set.add(1, fragments(7), true);
    assert.equal(set.count, 7);
  });

  test('a clip within the limits is one GetClip call, starting at the fragment holding its start', () => {
    const set = new mod.FragmentSet();
    set.add(T0, fragments(60));
    const parts = mod.planClip(set, T0 + 5_400, T0 + 24_500);
    assert.deepEqual(parts, [{ a: T0 + 5_000, b: T0 + 24_001, fragments: 20, bytes: 20_000 }]);
  });

  test('over 200 fragments: split, every fragment in exactly one part', () => {
    const set = new mod.FragmentSet();
    set.add(T0, fragments(450));
    const parts = mod.planClip(set, T0, T0 + 449_000);
    assert.deepEqual(
      parts.map((p) => p.fragments),
      [200, 200, 50],
    );
    assert.deepEqual(
      parts.map((p) => [p.a - T0, p.b - T0]),
      [
        [0, 199_001],
        [200_000, 399_001],
        [400_000, 449_001],
      ],
    );
  });

  test('over 100 MiB: split by bytes', () => {
    const set = new mod.FragmentSet();
    set.add(T0, fragments(100, { size: 4 * 1024 * 1024 }));
    const parts = mod.planClip(set, T0, T0 + 99_000);
    assert.ok(parts.every((p) => p.bytes <= 100 * 1024 * 1024));
    assert.equal(parts.reduce((n, p) => n + p.fragments, 0), 100);
    assert.deepEqual(
      parts.map((p) => p.fragments),
      [23, 23, 23, 23, 8],
    );
  });

  test('over 24 hours: split by time; gaps cost nothing', () => {
    const set = new mod.FragmentSet();
    // 60 one-hour fragments.
    set.add(T0, fragments(60, { durationMs: 3_600_000 }));
    const parts = mod.planClip(set, T0, T0 + 59 * 3_600_000);
    assert.deepEqual(
      parts.map((p) => p.fragments),
      [24, 24, 12],
    );
    assert.deepEqual(mod.planClip(set, T0 + 10, T0 + 20), [{ a: T0, b: T0 + 1, fragments: 1, bytes: 1000 }]);
    const none = new mod.FragmentSet();
    assert.deepEqual(mod.planClip(none, T0, T0 + 1000), []);
  });
});
