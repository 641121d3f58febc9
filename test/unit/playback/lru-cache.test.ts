import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from '../../../src/playback/lru-cache.js';

test('LruCache evicts the least recently used entries once over its weight', () => {
  const cache = new LruCache<string, string>(10, (value) => value.length);
  cache.set('a', 'aaaa');
  cache.set('b', 'bbbb');
  assert.equal(cache.get('a'), 'aaaa'); // a is now the most recent
  cache.set('c', 'cccc'); // 12 > 10: b goes
  assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c')], ['aaaa', undefined, 'cccc']);
  cache.set('huge', 'x'.repeat(11)); // heavier than the whole cache: not kept, nothing evicted
  assert.deepEqual([cache.get('huge'), cache.size], [undefined, 2]);
  cache.set('a', 'a'); // replacing re-weighs
  cache.set('d', 'ddddd');
  assert.deepEqual([cache.get('a'), cache.get('c'), cache.get('d')], ['a', 'cccc', 'ddddd']);
});

test('LruCache.getOrCompute caches what resolves, not what rejects; an explicit weight counts', async () => {
  const cache = new LruCache<string, number>(100);
  let calls = 0;
  const compute = async () => ++calls;
  assert.equal(await cache.getOrCompute('k', compute), 1);
  assert.equal(await cache.getOrCompute('k', compute), 1);
  await assert.rejects(cache.getOrCompute('bad', async () => Promise.reject(new Error('no'))));
  assert.equal(cache.get('bad'), undefined);
  cache.set('big', 1, 100);
  assert.equal(cache.get('k'), undefined, 'k was evicted by the heavy entry');
});
