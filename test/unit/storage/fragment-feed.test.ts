import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalFragmentFeed, type FeedEvent } from '../../../src/storage/fragment-feed.js';

const indexed = (streamId: number, n: string): FeedEvent => ({ type: 'fragments-indexed', streamId, lastFragmentNumber: n });

test('a subscriber hears only its stream, until it unsubscribes', () => {
  const feed = new LocalFragmentFeed();
  const heard: FeedEvent[] = [];
  const stop = feed.subscribe(1, (e) => heard.push(e));
  feed.publish(indexed(1, 'a'));
  feed.publish(indexed(2, 'b'));
  feed.publish({ type: 'stream-deleted', streamId: 1 });
  stop();
  feed.publish(indexed(1, 'c'));
  assert.deepEqual(heard, [indexed(1, 'a'), { type: 'stream-deleted', streamId: 1 }]);
  assert.equal(feed.subscriberCount, 0);
});

test('one function subscribed twice is called twice; a listener may unsubscribe another mid-publish', () => {
  const feed = new LocalFragmentFeed();
  let calls = 0;
  const listener = () => calls++;
  const first = feed.subscribe(3, listener);
  feed.subscribe(3, listener);
  feed.subscribe(3, () => first());
  feed.publish(indexed(3, 'x'));
  assert.equal(calls, 2);
  feed.publish(indexed(3, 'y'));
  assert.equal(calls, 3);
  assert.equal(feed.subscriberCount, 2);
});
