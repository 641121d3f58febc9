import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailFragments, type TailItem } from '../../../src/archive/fragment-tail.js';
import { formatFragmentNumber, type NewFragment } from '../../../src/domain/fragment.js';
import { LocalFragmentFeed } from '../../../src/storage/fragment-feed.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';
import { newStream } from '../../contract/index-store.contract.js';

/**
 * The GetMedia tail over a real SQLite index and the in-process feed: archived fragments first,
 * then each new one when the feed wakes it, never one skipped or repeated.
 */
describe('tailFragments', () => {
  let dir: string;
  let index: SqliteIndexStore;
  let headerId: number;
  let sequence = 0n;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openkvs-tail-'));
    index = SqliteIndexStore.open(join(dir, 'index.sqlite'));
    headerId = await index.putTrackHeader('h', Uint8Array.of(1, 2, 3));
  });
  after(async () => {
    await index.close();
    await rm(dir, { recursive: true, force: true });
  });

  let streamCount = 0;
  async function stream() {
    const created = await index.createStream(newStream(`tail-${++streamCount}`, { arn: `arn:aws:kinesisvideo:us-east-1:1:stream/tail-${streamCount}/1` }), {});
    return created!;
  }

  function fragment(streamId: number): NewFragment {
    sequence++;
    return {
      streamId,
      fragmentNumber: formatFragmentNumber(sequence),
      clusterTimecode: Number(sequence) * 1000,
      producerTimestampMs: 1_700_000_000_000 + Number(sequence) * 1000,
      serverTimestampMs: 1_700_000_000_000 + Number(sequence) * 1000,
      durationMs: 1000,
      size: 10,
      headerId,
      location: { key: 'streams/1/0000000001.seg', offset: 0 },
      frameIndex: new Uint8Array(0),
      tags: [],
    };
  }

  async function commit(streamId: number, count: number): Promise<string[]> {
    const fragments = Array.from({ length: count }, () => fragment(streamId));
    await index.commitFragments(fragments);
    return fragments.map((f) => f.fragmentNumber);
  }

  /** Pulls up to `count` items (fewer if the tail ends), failing if one takes longer than `ms`. */
  async function take(tail: AsyncGenerator<TailItem>, count: number, ms = 1000): Promise<TailItem[]> {
    const items: TailItem[] = [];
    for (let i = 0; i < count; i++) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
      const next = await Promise.race([tail.next(), late]);
      clearTimeout(timer);
      if (next === 'late') throw new Error(`item ${i + 1} of ${count} did not come within ${ms} ms`);
      if (next.done) break;
      items.push(next.value);
    }
    return items;
  }

  const numbers = (items: TailItem[]) => items.map((i) => (i.kind === 'fragment' ? i.fragment.fragmentNumber : i.kind));

  test('archived fragments, then new ones as the feed announces them; a first fragment goes out first', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const archived = await commit(s.streamId, 3);
    const stop = new AbortController();
    const first = (await index.getFragment(s.streamId, archived[1]!))!;
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { first }, signal: stop.signal, batchSize: 2 });
    assert.deepEqual(numbers(await take(tail, 2)), archived.slice(1));
    const pending = take(tail, 3);
    const fresh = await commit(s.streamId, 3);
    feed.publish({ type: 'fragments-indexed', streamId: s.streamId, lastFragmentNumber: fresh[2]! });
    assert.deepEqual(numbers(await pending), fresh);
    stop.abort();
    assert.deepEqual(await tail.next(), { done: true, value: undefined });
    assert.equal(feed.subscriberCount, 0, 'unsubscribed when it ended');
  });

  test('an event is only a wake-up: fragments committed without one come with the next', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const stop = new AbortController();
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: '' }, signal: stop.signal });
    const pending = take(tail, 4);
    const quiet = await commit(s.streamId, 2);
    await new Promise((r) => setTimeout(r, 30));
    const announced = await commit(s.streamId, 2);
    // Announced twice (e.g. two nodes): still each fragment once.
    feed.publish({ type: 'fragments-indexed', streamId: s.streamId, lastFragmentNumber: announced[1]! });
    feed.publish({ type: 'fragments-indexed', streamId: s.streamId, lastFragmentNumber: announced[1]! });
    assert.deepEqual(numbers(await pending), [...quiet, ...announced]);
    stop.abort();
    await tail.return(undefined);
  });

  test('fragments announced one by one as fast as they commit come once each, in order', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const stop = new AbortController();
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: '' }, signal: stop.signal, batchSize: 1 });
    const expected: string[] = [];
    const pending = take(tail, 10, 2000);
    for (let i = 0; i < 10; i++) {
      const [n] = await commit(s.streamId, 1);
      expected.push(n!);
      feed.publish({ type: 'fragments-indexed', streamId: s.streamId, lastFragmentNumber: n! });
    }
    assert.deepEqual(numbers(await pending), expected);
    stop.abort();
    await tail.return(undefined);
  });

  test('AfterFragmentNumber semantics: strictly after, whether or not that fragment still exists', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const committed = await commit(s.streamId, 4);
    const stop = new AbortController();
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: committed[1]! }, signal: stop.signal });
    assert.deepEqual(numbers(await take(tail, 2)), committed.slice(2));
    stop.abort();
    await tail.return(undefined);
  });

  test('a deleted stream ends the tail with a stream-deleted item, also when deleted before it began', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const stop = new AbortController();
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: '' }, signal: stop.signal });
    const pending = take(tail, 2);
    await new Promise((r) => setTimeout(r, 20));
    await index.deleteStream(s.streamId, s.version);
    feed.publish({ type: 'stream-deleted', streamId: s.streamId });
    assert.deepEqual(numbers(await pending), ['stream-deleted']);
    assert.equal(feed.subscriberCount, 0);

    const gone = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: '' }, signal: stop.signal });
    assert.deepEqual(numbers(await take(gone, 2)), ['stream-deleted']);
  });

  test('aborting wakes a waiting tail, which ends without another item', async () => {
    const s = await stream();
    const feed = new LocalFragmentFeed();
    const stop = new AbortController();
    const tail = tailFragments({ index, feed, streamId: s.streamId, streamArn: s.arn, start: { after: '' }, signal: stop.signal });
    const next = tail.next();
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    assert.deepEqual(await next, { done: true, value: undefined });
    assert.equal(feed.subscriberCount, 0);
  });
});
