import {
  CreateStreamCommand,
  DescribeStreamCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  TagStreamCommand,
  TagsPerResourceExceededLimitException,
  UntagResourceCommand,
  UntagStreamCommand,
  type KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

const manyTags = (count: number, prefix = 'k') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, `v${i}`]));

describe('stream and resource tags', () => {
  let t: TestServer;
  let kv: KinesisVideoClient;
  let arn: string;
  before(async () => {
    t = await startTestServer();
    kv = t.control();
    arn = (await kv.send(new CreateStreamCommand({ StreamName: 'tagged', Tags: { owner: 'ops', 'site:door': 'north' } }))).StreamARN!;
  });
  after(() => t.dispose());

  const tagsOf = async () => (await kv.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }))).Tags;

  test('CreateStream tags are listed by ListTagsForStream and ListTagsForResource', async () => {
    assert.deepEqual(await tagsOf(), { owner: 'ops', 'site:door': 'north' });
    assert.deepEqual((await kv.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, { owner: 'ops', 'site:door': 'north' });
  });

  test('TagStream adds and overwrites; UntagStream removes and ignores unknown keys', async () => {
    await kv.send(new TagStreamCommand({ StreamARN: arn, Tags: { owner: 'dev', env: 'test' } }));
    assert.deepEqual(await tagsOf(), { owner: 'dev', 'site:door': 'north', env: 'test' });
    await kv.send(new UntagStreamCommand({ StreamName: 'tagged', TagKeyList: ['env', 'never-set'] }));
    assert.deepEqual(await tagsOf(), { owner: 'dev', 'site:door': 'north' });
  });

  test('TagResource / UntagResource work on stream ARNs with Key/Value lists', async () => {
    await kv.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '' }] }));
    assert.deepEqual(await tagsOf(), { owner: 'dev', 'site:door': 'north', a: '1', b: '' });
    await kv.send(new UntagResourceCommand({ ResourceARN: arn, TagKeyList: ['a', 'b'] }));
    assert.deepEqual(await tagsOf(), { owner: 'dev', 'site:door': 'north' });
  });

  test('the 50-tag limit counts existing tags; over it is TagsPerResourceExceededLimitException and nothing changes', async () => {
    await kv.send(new TagStreamCommand({ StreamName: 'tagged', Tags: manyTags(48) })); // 2 + 48 = 50
    assert.equal(Object.keys((await tagsOf())!).length, 50);
    await kv.send(new TagStreamCommand({ StreamName: 'tagged', Tags: { owner: 'x' } })); // overwrite: still 50
    const err = await rejection(() => kv.send(new TagStreamCommand({ StreamName: 'tagged', Tags: { extra: '1', owner: 'y' } })));
    assert.ok(err instanceof TagsPerResourceExceededLimitException, err.name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    const tags = (await tagsOf())!;
    assert.equal(Object.keys(tags).length, 50);
    assert.equal(tags['owner'], 'x');
    const viaResource = await rejection(() => kv.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'z', Value: '1' }] })));
    assert.ok(viaResource instanceof TagsPerResourceExceededLimitException, viaResource.name);
    await kv.send(new UntagStreamCommand({ StreamName: 'tagged', TagKeyList: Object.keys(manyTags(48)) }));
  });

  test('CreateStream with 51 tags is refused by validation and creates nothing', async () => {
    const err = await rejection(() => kv.send(new CreateStreamCommand({ StreamName: 'too-many', Tags: manyTags(51) })));
    assert.equal(err.name, 'InvalidArgumentException');
    assert.match(err.message, /Tags/);
    const gone = await rejection(() => kv.send(new DescribeStreamCommand({ StreamName: 'too-many' })));
    assert.ok(gone instanceof ResourceNotFoundException);
  });

  test('tag keys with the reserved aws: prefix are refused', async () => {
    const err = await rejection(() => kv.send(new TagStreamCommand({ StreamName: 'tagged', Tags: { 'aws:owner': 'me' } })));
    assert.equal(err.name, 'InvalidArgumentException');
  });

  test('tags of an unknown resource are ResourceNotFoundException', async () => {
    const ResourceARN = 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/ghost/1';
    for (const call of [
      () => kv.send(new ListTagsForResourceCommand({ ResourceARN })),
      () => kv.send(new TagResourceCommand({ ResourceARN, Tags: [{ Key: 'a', Value: 'b' }] })),
      () => kv.send(new UntagResourceCommand({ ResourceARN, TagKeyList: ['a'] })),
      () => kv.send(new TagStreamCommand({ StreamName: 'ghost', Tags: { a: 'b' } })),
    ]) {
      const err = await rejection(call);
      assert.ok(err instanceof ResourceNotFoundException, err.name);
    }
  });
});
