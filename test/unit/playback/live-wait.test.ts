import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentWaiter } from '../../../src/playback/live-wait.js';
import { LocalFragmentFeed } from '../../../src/storage/fragment-feed.js';

test('FragmentWaiter wakes on the next event of its stream, remembers one that came early, times out, unsubscribes', async () => {
  const feed = new LocalFragmentFeed();
  const waiter = new FragmentWaiter(feed, 7);
  const waiting = waiter.next(5000);
  feed.publish({ type: 'fragments-indexed', streamId: 8, lastFragmentNumber: '' }); // another stream: ignored
  feed.publish({ type: 'fragments-indexed', streamId: 7, lastFragmentNumber: '' });
  assert.equal(await waiting, 'fragments');
  // An event between two waits is not lost, and a deletion outranks it.
  feed.publish({ type: 'fragments-indexed', streamId: 7, lastFragmentNumber: '' });
  feed.publish({ type: 'stream-deleted', streamId: 7 });
  assert.equal(await waiter.next(5000), 'deleted');
  const started = Date.now();
  assert.equal(await waiter.next(30), 'timeout');
  assert.ok(Date.now() - started >= 25);
  waiter.close();
  assert.equal(feed.subscriberCount, 0);
});
