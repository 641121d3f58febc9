import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BlobLocation, NewFragment } from '../../../src/domain/fragment.js';
import { GroupCommitter, seriesOf, type CommitOutcome, type FragmentToCommit } from '../../../src/ingest/group-commit.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import type { IndexStore } from '../../../src/storage/index-store.js';
import { createLogger } from '../../../src/util/logger.js';

/** A promise with its resolve/reject outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * Storage fakes whose appends and index commits finish only when the test says so, recording
 * the order of events: `append:<series>:<sizes>`, `durable:<series>`, `index:<fragment numbers>`.
 */
function controlledStorage() {
  const events: string[] = [];
  const appends: { series: string; bytes: number; done: ReturnType<typeof deferred<BlobLocation>> }[] = [];
  const prepares: { series: string; done: ReturnType<typeof deferred<void>> }[] = [];
  const ends = new Map<string, number>();
  const blobs = {
    append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
      const bytes = data.reduce((sum, d) => sum + d.byteLength, 0);
      events.push(`append:${series}:${bytes}`);
      const done = deferred<BlobLocation>();
      appends.push({ series, bytes, done });
      return done.promise.then((location) => {
        events.push(`durable:${series}`);
        return location;
      });
    },
    prepareAppend(series: string): Promise<void> {
      events.push(`prepare:${series}`);
      const done = deferred<void>();
      prepares.push({ series, done });
      return done.promise.then(() => {
        events.push(`prepared:${series}`);
      });
    },
  } as unknown as BlobStore;
  const commits: { rows: readonly NewFragment[]; done: ReturnType<typeof deferred<boolean[]>> }[] = [];
  const index = {
    commitFragments(rows: readonly NewFragment[]): Promise<boolean[]> {
      events.push(`index:${rows.map((r) => r.fragmentNumber).join(',')}`);
      const done = deferred<boolean[]>();
      commits.push({ rows, done });
      return done.promise;
    },
  } as unknown as IndexStore;
  /** Finishes the oldest unfinished append of `series`, placing it after what the series holds. */
  const finishAppend = (series: string) => {
    const at = appends.findIndex((a) => a.series === series);
    assert.ok(at >= 0, `an append of ${series} is running`);
    const [append] = appends.splice(at, 1);
    const offset = ends.get(series) ?? 0;
    ends.set(series, offset + append!.bytes);
    append!.done.resolve({ key: `${series}/0000000001.seg`, offset });
  };
  const failAppend = (series: string) => {
    const at = appends.findIndex((a) => a.series === series);
    appends.splice(at, 1)[0]!.done.reject(new Error('disk full'));
  };
  const finishIndex = () => {
    const commit = commits.shift();
    assert.ok(commit, 'an index commit is running');
    commit.done.resolve(commit.rows.map(() => true));
    return commit.rows;
  };
  return { blobs, index, events, appends, prepares, commits, finishAppend, failAppend, finishIndex };
}

function fragment(streamId: number, fragmentNumber: string, size: number): FragmentToCommit {
  return {
    row: {
      streamId, fragmentNumber, clusterTimecode: 0, producerTimestampMs: 0, serverTimestampMs: 0, durationMs: 0, size,
      headerId: 1, frameIndex: new Uint8Array(0), tags: [],
    },
    bytes: [new Uint8Array(size)],
  };
}

/** Lets pending promise reactions and setImmediate callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve)).then(() => new Promise((resolve) => setImmediate(resolve)));

function track(promise: Promise<CommitOutcome>) {
  const state: { outcome?: CommitOutcome; error?: unknown } = {};
  promise.then((outcome) => (state.outcome = outcome), (error) => (state.error = error));
  return state;
}

test('a fragment is indexed only after its bytes are durable, and acked only after its index commit', async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  const a = track(committer.commit(fragment(1, 'n1', 10)));
  await settle();
  assert.deepEqual(s.events, [`append:${seriesOf(1)}:10`]);
  assert.equal(s.commits.length, 0, 'no index row before the bytes are durable');
  s.finishAppend(seriesOf(1));
  await settle();
  assert.deepEqual(s.events.slice(1), [`durable:${seriesOf(1)}`, 'index:n1']);
  assert.equal(a.outcome, undefined, 'not acked before the index commit is durable');
  assert.deepEqual(s.finishIndex().map((r) => r.location), [{ key: `${seriesOf(1)}/0000000001.seg`, offset: 0 }]);
  await settle();
  assert.equal(a.outcome, 'indexed');
});

test("a slow append of one stream does not hold back another stream's fragment", async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  const slow = track(committer.commit(fragment(1, 'slow', 10)));
  await settle();
  const fast = track(committer.commit(fragment(2, 'fast', 10)));
  await settle();
  assert.equal(s.appends.length, 2, 'both streams append at once');
  s.finishAppend(seriesOf(2));
  await settle();
  s.finishIndex();
  await settle();
  assert.equal(fast.outcome, 'indexed');
  assert.equal(slow.outcome, undefined);
  s.finishAppend(seriesOf(1));
  await settle();
  s.finishIndex();
  await committer.idle();
  assert.equal(slow.outcome, 'indexed');
});

test("a stream's fragments completed during its append go together in its next append, in order", async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  const outcomes = [track(committer.commit(fragment(7, 'a', 5)))];
  await settle();
  outcomes.push(track(committer.commit(fragment(7, 'b', 6))), track(committer.commit(fragment(7, 'c', 7))));
  await settle();
  assert.equal(s.appends.length, 1, "a stream's appends never overlap");
  s.finishAppend(seriesOf(7));
  await settle();
  assert.equal(s.appends.length, 1);
  assert.equal(s.appends[0]!.bytes, 13, 'b and c in one append');
  s.finishAppend(seriesOf(7));
  await settle();
  const rows = [...s.finishIndex()];
  await settle();
  if (s.commits.length > 0) rows.push(...s.finishIndex());
  await committer.idle();
  assert.deepEqual(rows.map((r) => [r.fragmentNumber, r.location.offset]), [['a', 0], ['b', 5], ['c', 11]]);
  assert.deepEqual(outcomes.map((o) => o.outcome), ['indexed', 'indexed', 'indexed']);
});

test('fragments that become durable while an index commit runs share the next one', async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  for (let stream = 1; stream <= 4; stream++) void committer.commit(fragment(stream, `f${stream}`, 1));
  await settle();
  s.finishAppend(seriesOf(1));
  await settle();
  assert.deepEqual(s.events.filter((e) => e.startsWith('index:')), ['index:f1']);
  for (let stream = 2; stream <= 4; stream++) s.finishAppend(seriesOf(stream));
  await settle();
  assert.equal(s.commits.length, 1, 'one index commit at a time');
  s.finishIndex();
  await settle();
  assert.deepEqual(s.events.filter((e) => e.startsWith('index:')), ['index:f1', 'index:f2,f3,f4']);
  s.finishIndex();
  await committer.idle();
});

test("a failed append fails that stream's fragments only; the stream appends again afterwards", async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  const lost = track(committer.commit(fragment(1, 'lost', 3)));
  const other = track(committer.commit(fragment(2, 'other', 3)));
  await settle();
  s.failAppend(seriesOf(1));
  s.finishAppend(seriesOf(2));
  await settle();
  s.finishIndex();
  await settle();
  assert.match(String(lost.error), /disk full/);
  assert.equal(other.outcome, 'indexed');
  const again = track(committer.commit(fragment(1, 'again', 3)));
  await settle();
  s.finishAppend(seriesOf(1));
  await settle();
  s.finishIndex();
  await committer.idle();
  assert.equal(again.outcome, 'indexed');
  assert.equal(s.appends.length + s.commits.length, 0);
});

test('at most maxAppends appends run at once; waiting streams go oldest first, with what they collected meanwhile', async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'), () => {}, 2);
  for (let stream = 1; stream <= 4; stream++) void committer.commit(fragment(stream, `f${stream}`, 1));
  void committer.commit(fragment(4, 'g4', 2));
  await settle();
  assert.deepEqual(s.appends.map((a) => a.series), [seriesOf(1), seriesOf(2)], 'two slots');
  s.finishAppend(seriesOf(2));
  await settle();
  assert.deepEqual(s.appends.map((a) => a.series), [seriesOf(1), seriesOf(3)], 'the oldest waiting stream gets the slot');
  s.finishAppend(seriesOf(1));
  await settle();
  assert.deepEqual(s.appends.map((a) => [a.series, a.bytes]), [[seriesOf(3), 1], [seriesOf(4), 3]], "stream 4's two fragments in one append");
  s.finishAppend(seriesOf(3));
  s.finishAppend(seriesOf(4));
  while (s.commits.length > 0 || s.appends.length > 0) {
    if (s.commits.length > 0) s.finishIndex();
    await settle();
  }
  await committer.idle();
});

test("prepare readies a stream's storage in its turn, and its first fragment appends after it", async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  committer.prepare(3);
  committer.prepare(3); // a second session on the stream: already under way
  await settle();
  assert.deepEqual(s.events, [`prepare:${seriesOf(3)}`]);
  const first = track(committer.commit(fragment(3, 'first', 4)));
  await settle();
  assert.equal(s.appends.length, 0, 'never an append while the prepare runs');
  s.prepares.shift()!.done.resolve();
  await settle();
  assert.deepEqual(s.events.slice(1), [`prepared:${seriesOf(3)}`, `append:${seriesOf(3)}:4`]);
  s.finishAppend(seriesOf(3));
  await settle();
  s.finishIndex();
  await committer.idle();
  assert.equal(first.outcome, 'indexed');
});

test('a fragment completed before its stream\'s prepare got a slot is appended in its place', async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'), () => {}, 1);
  void committer.commit(fragment(1, 'busy', 1));
  committer.prepare(2);
  const waiting = track(committer.commit(fragment(2, 'early', 5)));
  await settle();
  s.finishAppend(seriesOf(1));
  await settle();
  assert.deepEqual(s.prepares, [], 'no prepare: the append readies the storage itself');
  assert.deepEqual(s.appends.map((a) => [a.series, a.bytes]), [[seriesOf(2), 5]]);
  s.finishAppend(seriesOf(2));
  while (s.commits.length > 0) {
    s.finishIndex();
    await settle();
  }
  await committer.idle();
  assert.equal(waiting.outcome, 'indexed');
});

test('a failed prepare is only logged: the next append of the stream runs as usual', async () => {
  const s = controlledStorage();
  const committer = new GroupCommitter(s.index, s.blobs, createLogger('silent'));
  committer.prepare(5);
  await settle();
  s.prepares.shift()!.done.reject(new Error('EACCES'));
  await settle();
  const later = track(committer.commit(fragment(5, 'later', 2)));
  await settle();
  s.finishAppend(seriesOf(5));
  await settle();
  s.finishIndex();
  await committer.idle();
  assert.equal(later.outcome, 'indexed');
});
