import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractHarness, type Harness as ContractHarness, type StoreFixture } from './harness.js';
import type {
  ImageGenerationConfiguration,
  NewStream,
  NotificationConfiguration,
  StreamRecord,
} from '../../src/domain/stream.js';
import type { IndexStore } from '../../src/storage/index-store.js';

export type IndexStoreFixture = StoreFixture<IndexStore>;

const MAX_TAGS = 50;

export function streamArn(name: string, createdMs = 1_700_000_000_000): string {
  return `arn:aws:kinesisvideo:us-east-1:123456789012:stream/${name}/${createdMs}`;
}

export function newStream(name: string, overrides: Partial<NewStream> = {}): NewStream {
  return {
    name,
    arn: streamArn(name),
    deviceName: 'camera-7',
    mediaType: 'video/h264',
    kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:alias/aws/kinesisvideo',
    version: 'v1',
    status: 'ACTIVE',
    creationTimeMs: 1_700_000_000_123,
    dataRetentionInHours: 24,
    storageTier: 'HOT',
    imageGenerationConfiguration: null,
    notificationConfiguration: null,
    ...overrides,
  };
}

const IMAGE_GENERATION: ImageGenerationConfiguration = {
  Status: 'ENABLED',
  ImageSelectorType: 'PRODUCER_TIMESTAMP',
  DestinationConfig: { Uri: 'https://images.example.com/upload', DestinationRegion: 'eu-west-1' },
  SamplingInterval: 3000,
  Format: 'JPEG',
  FormatConfig: { JPEGQuality: '80' },
  WidthPixels: 1280,
  HeightPixels: 720,
};

const NOTIFICATION: NotificationConfiguration = {
  Status: 'ENABLED',
  DestinationConfig: { Uri: 'arn:aws:sns:us-east-1:123456789012:frames' },
};

function numberedTags(count: number, prefix = 'key'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, `value${i}`]));
}

/** A record as createStream should return it: the input plus the assigned id. */
function withId(stream: NewStream, streamId: number): StreamRecord {
  return { ...stream, streamId };
}

async function createOrFail(store: IndexStore, stream: NewStream, tags: Record<string, string> = {}) {
  const created = await store.createStream(stream, tags);
  assert.ok(created, `createStream(${stream.name}) returned undefined`);
  return created;
}

async function names(store: IndexStore, query: Parameters<IndexStore['listStreams']>[0]): Promise<string[]> {
  return (await store.listStreams(query)).map((s) => s.name);
}

type Harness = ContractHarness<IndexStore>;

export function indexStoreContract(name: string, open: () => Promise<IndexStoreFixture>): void {
  describe(`IndexStore contract: ${name}`, () => {
    const h = contractHarness(open);

    streamTests(h);
    listStreamsTests(h);
    updateStreamTests(h);
    deleteStreamTests(h);
    tagTests(h);
    restartTest(h);
  });
}

function streamTests(h: Harness): void {
  describe('streams', () => {
    test('createStream assigns an id and returns the stream as given', async () => {
      const input = newStream('front-door', { deviceName: null, mediaType: null });
      const created = await createOrFail(h.store, input, { team: 'ops' });
      assert.ok(Number.isSafeInteger(created.streamId) && created.streamId > 0, `streamId ${created.streamId}`);
      assert.deepEqual(created, withId(input, created.streamId));
      assert.deepEqual(await h.store.getStreamByName('front-door'), created);
      assert.deepEqual(await h.store.getStreamByArn(input.arn), created);
      assert.deepEqual(await h.store.listTags(input.arn), { team: 'ops' });
    });

    test('unknown names and ARNs give undefined', async () => {
      await createOrFail(h.store, newStream('a'));
      assert.equal(await h.store.getStreamByName('A'), undefined);
      assert.equal(await h.store.getStreamByName('b'), undefined);
      assert.equal(await h.store.getStreamByArn(streamArn('a', 1)), undefined);
    });

    test('a taken name gives undefined and changes nothing', async () => {
      const original = await createOrFail(h.store, newStream('cam', { deviceName: 'first' }), { owner: 'first' });
      const duplicate = newStream('cam', { arn: streamArn('cam', 42), deviceName: 'second' });
      assert.equal(await h.store.createStream(duplicate, { owner: 'second' }), undefined);
      assert.deepEqual(await h.store.getStreamByName('cam'), original);
      assert.equal(await h.store.getStreamByArn(duplicate.arn), undefined);
      assert.deepEqual(await h.store.listTags(original.arn), { owner: 'first' });
      assert.deepEqual(await h.store.listTags(duplicate.arn), {});
      assert.deepEqual(await names(h.store, { limit: 10 }), ['cam']);
    });

    test('image generation and notification configurations round-trip', async () => {
      const input = newStream('with-config', {
        imageGenerationConfiguration: IMAGE_GENERATION,
        notificationConfiguration: NOTIFICATION,
      });
      const created = await createOrFail(h.store, input);
      assert.deepEqual(created.imageGenerationConfiguration, IMAGE_GENERATION);
      assert.deepEqual(created.notificationConfiguration, NOTIFICATION);
      assert.deepEqual(await h.store.getStreamByName('with-config'), withId(input, created.streamId));
      const plain = await createOrFail(h.store, newStream('without-config'));
      assert.equal(plain.imageGenerationConfiguration, null);
      assert.equal(plain.notificationConfiguration, null);
    });
  });
}

function listStreamsTests(h: Harness): void {
  describe('listStreams', () => {
    // Byte order: '-' < '.' < digits < upper case < '_' < lower case.
    const SORTED = ['0', 'A', 'B', 'a', 'a-1', 'a.1', 'a_1', 'ab', 'b'];
    const SHUFFLED = ['ab', 'a_1', 'B', '0', 'b', 'a.1', 'a', 'A', 'a-1'];

    test('orders by name in byte order', async () => {
      for (const n of SHUFFLED) await createOrFail(h.store, newStream(n));
      assert.deepEqual(await names(h.store, { limit: 100 }), SORTED);
    });

    test('limit caps the page at the first names', async () => {
      for (const n of SHUFFLED) await createOrFail(h.store, newStream(n));
      assert.deepEqual(await names(h.store, { limit: 1 }), ['0']);
      assert.deepEqual(await names(h.store, { limit: 3 }), ['0', 'A', 'B']);
    });

    test('afterName pages through every stream once', async () => {
      for (const n of SHUFFLED) await createOrFail(h.store, newStream(n));
      const pages: string[][] = [];
      let afterName: string | undefined;
      for (;;) {
        const page = await names(h.store, { limit: 2, ...(afterName === undefined ? {} : { afterName }) });
        if (page.length === 0) break;
        pages.push(page);
        afterName = page.at(-1);
      }
      assert.deepEqual(pages, [['0', 'A'], ['B', 'a'], ['a-1', 'a.1'], ['a_1', 'ab'], ['b']]);
    });

    test('afterName need not be an existing name and is exclusive', async () => {
      for (const n of SHUFFLED) await createOrFail(h.store, newStream(n));
      assert.deepEqual(await names(h.store, { afterName: 'a', limit: 100 }), ['a-1', 'a.1', 'a_1', 'ab', 'b']);
      assert.deepEqual(await names(h.store, { afterName: 'a0', limit: 100 }), ['a_1', 'ab', 'b']);
      assert.deepEqual(await names(h.store, { afterName: 'b', limit: 100 }), []);
    });

    test('namePrefix matches literally and case-sensitively', async () => {
      const all = ['ca', 'cam', 'cam%1', 'cam.1', 'cam1', 'camA', 'camX1', 'cam_1', 'cam_2', 'Cam_3', 'other'];
      for (const n of all) await createOrFail(h.store, newStream(n));
      assert.deepEqual(await names(h.store, { namePrefix: 'cam_', limit: 100 }), ['cam_1', 'cam_2']);
      assert.deepEqual(await names(h.store, { namePrefix: 'cam%', limit: 100 }), ['cam%1']);
      assert.deepEqual(await names(h.store, { namePrefix: 'cam.', limit: 100 }), ['cam.1']);
      assert.deepEqual(await names(h.store, { namePrefix: 'CAM', limit: 100 }), []);
      assert.deepEqual(await names(h.store, { namePrefix: 'cam', limit: 100 }), [
        'cam', 'cam%1', 'cam.1', 'cam1', 'camA', 'camX1', 'cam_1', 'cam_2',
      ]);
    });

    test('namePrefix combines with afterName and limit', async () => {
      for (const n of ['cam_1', 'cam_2', 'cam_3', 'cam_4', 'camera', 'dog_1']) {
        await createOrFail(h.store, newStream(n));
      }
      assert.deepEqual(await names(h.store, { namePrefix: 'cam_', afterName: 'cam_1', limit: 2 }), ['cam_2', 'cam_3']);
      assert.deepEqual(await names(h.store, { namePrefix: 'cam_', afterName: 'cam_3', limit: 2 }), ['cam_4']);
      assert.deepEqual(await names(h.store, { namePrefix: 'cam_', afterName: 'a', limit: 10 }), [
        'cam_1', 'cam_2', 'cam_3', 'cam_4',
      ]);
    });

    test('returns full records', async () => {
      const created = await createOrFail(h.store, newStream('only', { notificationConfiguration: NOTIFICATION }));
      assert.deepEqual(await h.store.listStreams({ limit: 10 }), [created]);
    });
  });
}

function updateStreamTests(h: Harness): void {
  describe('updateStream', () => {
    test('with the current version installs the new version and only the patched fields', async () => {
      const created = await createOrFail(h.store, newStream('cam'));
      const updated = await h.store.updateStream(created.streamId, 'v1', {
        version: 'v2',
        status: 'UPDATING',
        dataRetentionInHours: 48,
        imageGenerationConfiguration: IMAGE_GENERATION,
      });
      const expected: StreamRecord = {
        ...created,
        version: 'v2',
        status: 'UPDATING',
        dataRetentionInHours: 48,
        imageGenerationConfiguration: IMAGE_GENERATION,
      };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await h.store.getStreamByName('cam'), expected);
    });

    test('sets nullable fields to null and changes only them', async () => {
      const created = await createOrFail(
        h.store,
        newStream('cam', { imageGenerationConfiguration: IMAGE_GENERATION, notificationConfiguration: NOTIFICATION }),
      );
      const updated = await h.store.updateStream(created.streamId, 'v1', {
        version: 'v2',
        deviceName: null,
        notificationConfiguration: null,
      });
      const expected: StreamRecord = { ...created, version: 'v2', deviceName: null, notificationConfiguration: null };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await h.store.getStreamByArn(created.arn), expected);
    });

    test('ignores fields that are absent, undefined or not patchable', async () => {
      const created = await createOrFail(h.store, newStream('cam'));
      const sneaky = {
        version: 'v2',
        mediaType: undefined,
        name: 'renamed',
        arn: 'arn:other',
        kmsKeyId: 'other',
        creationTimeMs: 1,
      };
      const updated = await h.store.updateStream(created.streamId, 'v1', sneaky);
      assert.deepEqual(updated, { ...created, version: 'v2' });
      assert.equal(await h.store.getStreamByName('renamed'), undefined);
    });

    test('with a stale version gives undefined and changes nothing', async () => {
      const created = await createOrFail(h.store, newStream('cam'));
      const afterFirst = await h.store.updateStream(created.streamId, 'v1', { version: 'v2', mediaType: 'video/h265' });
      assert.ok(afterFirst);
      const stale = await h.store.updateStream(created.streamId, 'v1', { version: 'v3', mediaType: 'audio/aac' });
      assert.equal(stale, undefined);
      assert.deepEqual(await h.store.getStreamByName('cam'), afterFirst);
    });

    test('on a deleted or unknown stream gives undefined', async () => {
      const created = await createOrFail(h.store, newStream('cam'));
      assert.equal(await h.store.deleteStream(created.streamId, 'v1'), true);
      assert.equal(await h.store.updateStream(created.streamId, 'v1', { version: 'v2' }), undefined);
      assert.equal(await h.store.updateStream(created.streamId + 1000, 'v1', { version: 'v2' }), undefined);
      assert.deepEqual(await h.store.listStreams({ limit: 10 }), []);
    });
  });
}

function deleteStreamTests(h: Harness): void {
  describe('deleteStream', () => {
    test('with the current version removes the stream and its tags only', async () => {
      const doomed = await createOrFail(h.store, newStream('doomed'), { a: '1', b: '2' });
      const kept = await createOrFail(h.store, newStream('kept'), { a: 'kept' });
      await h.store.putTags('arn:aws:kinesisvideo:us-east-1:123456789012:channel/x/1', { c: '3' }, MAX_TAGS);
      assert.equal(await h.store.deleteStream(doomed.streamId, 'v1'), true);
      assert.equal(await h.store.getStreamByName('doomed'), undefined);
      assert.equal(await h.store.getStreamByArn(doomed.arn), undefined);
      assert.deepEqual(await h.store.listTags(doomed.arn), {});
      assert.deepEqual(await h.store.listStreams({ limit: 10 }), [kept]);
      assert.deepEqual(await h.store.listTags(kept.arn), { a: 'kept' });
      assert.deepEqual(await h.store.listTags('arn:aws:kinesisvideo:us-east-1:123456789012:channel/x/1'), { c: '3' });
    });

    test('with a stale version returns false and keeps the stream and its tags', async () => {
      const created = await createOrFail(h.store, newStream('cam'), { a: '1' });
      assert.equal(await h.store.deleteStream(created.streamId, 'v0'), false);
      assert.deepEqual(await h.store.getStreamByName('cam'), created);
      assert.deepEqual(await h.store.listTags(created.arn), { a: '1' });
    });

    test('a second delete returns false', async () => {
      const created = await createOrFail(h.store, newStream('cam'));
      assert.equal(await h.store.deleteStream(created.streamId, 'v1'), true);
      assert.equal(await h.store.deleteStream(created.streamId, 'v1'), false);
    });

    test('stream ids are never reused, even for the same name or the highest id', async () => {
      const first = await createOrFail(h.store, newStream('cam'));
      const other = await createOrFail(h.store, newStream('other'));
      assert.equal(await h.store.deleteStream(other.streamId, 'v1'), true);
      assert.equal(await h.store.deleteStream(first.streamId, 'v1'), true);
      const again = await createOrFail(h.store, newStream('cam', { arn: streamArn('cam', 2), version: 'w1' }));
      assert.ok(again.streamId > other.streamId, `re-created id ${again.streamId} <= deleted ${other.streamId}`);
      assert.deepEqual(await h.store.getStreamByName('cam'), again);
      assert.equal(await h.store.getStreamByArn(first.arn), undefined);
    });
  });
}

function tagTests(h: Harness): void {
  describe('tags', () => {
    const ARN = streamArn('tagged');

    test('put adds and overwrites, remove ignores unknown keys', async () => {
      assert.deepEqual(await h.store.listTags(ARN), {});
      assert.equal(await h.store.putTags(ARN, { a: '1', empty: '' }, MAX_TAGS), true);
      assert.equal(await h.store.putTags(ARN, { a: '2', b: '3' }, MAX_TAGS), true);
      assert.deepEqual(await h.store.listTags(ARN), { a: '2', b: '3', empty: '' });
      await h.store.removeTags(ARN, ['a', 'no-such-key']);
      assert.deepEqual(await h.store.listTags(ARN), { b: '3', empty: '' });
      await h.store.removeTags('arn:unknown', ['b']);
      await h.store.removeTags(ARN, []);
      assert.deepEqual(await h.store.listTags(ARN), { b: '3', empty: '' });
    });

    test('keys and values keep case, spaces and non-ASCII characters', async () => {
      const tags = { Key: 'Upper', key: 'lower', 'with space': 'a b', 'café': 'crème ✓' };
      assert.equal(await h.store.putTags(ARN, tags, MAX_TAGS), true);
      assert.deepEqual(await h.store.listTags(ARN), tags);
    });

    test('the limit counts tags after overwrites', async () => {
      assert.equal(await h.store.putTags(ARN, numberedTags(49), MAX_TAGS), true);
      assert.equal(await h.store.putTags(ARN, { key0: 'overwritten', extra: 'x' }, MAX_TAGS), true);
      const fifty = { ...numberedTags(49), key0: 'overwritten', extra: 'x' };
      assert.deepEqual(await h.store.listTags(ARN), fifty);
      assert.equal(await h.store.putTags(ARN, { key1: 'overwrite-only', extra: 'y' }, MAX_TAGS), true);
      assert.deepEqual(await h.store.listTags(ARN), { ...fifty, key1: 'overwrite-only', extra: 'y' });
    });

    test('a put that would exceed the limit is refused whole', async () => {
      assert.equal(await h.store.putTags(ARN, numberedTags(49), MAX_TAGS), true);
      assert.equal(await h.store.putTags(ARN, { key0: 'overwritten', extra1: 'x', extra2: 'y' }, MAX_TAGS), false);
      assert.deepEqual(await h.store.listTags(ARN), numberedTags(49));
      assert.equal(await h.store.putTags(ARN, { extra1: 'x' }, 49), false);
      assert.deepEqual(await h.store.listTags(ARN), numberedTags(49));
    });

    test('exactly the limit from empty is allowed, one more is not', async () => {
      assert.equal(await h.store.putTags(ARN, numberedTags(MAX_TAGS + 1), MAX_TAGS), false);
      assert.deepEqual(await h.store.listTags(ARN), {});
      assert.equal(await h.store.putTags(ARN, numberedTags(MAX_TAGS), MAX_TAGS), true);
      assert.equal(Object.keys(await h.store.listTags(ARN)).length, MAX_TAGS);
    });

    test('tags are kept per resource ARN', async () => {
      const other = streamArn('other');
      await h.store.putTags(ARN, { shared: 'mine', only: 'here' }, MAX_TAGS);
      await h.store.putTags(other, { shared: 'theirs' }, MAX_TAGS);
      await h.store.removeTags(other, ['only']);
      assert.deepEqual(await h.store.listTags(ARN), { shared: 'mine', only: 'here' });
      assert.deepEqual(await h.store.listTags(other), { shared: 'theirs' });
      assert.equal(await h.store.putTags(other, numberedTags(49), MAX_TAGS), true);
      assert.equal(await h.store.putTags(ARN, numberedTags(48), MAX_TAGS), true);
    });
  });
}

function restartTest(h: Harness): void {
  test('everything survives a restart', async () => {
    const kept = await createOrFail(
      h.store,
      newStream('kept', { imageGenerationConfiguration: IMAGE_GENERATION, notificationConfiguration: NOTIFICATION }),
      { a: '1' },
    );
    const updated = await h.store.updateStream(kept.streamId, 'v1', {
      version: 'v2',
      storageTier: 'WARM',
      deviceName: null,
    });
    assert.ok(updated);
    const plain = await createOrFail(h.store, newStream('plain', { mediaType: null }), {});
    const deleted = await createOrFail(h.store, newStream('zz-deleted'), { gone: 'yes' });
    assert.equal(await h.store.deleteStream(deleted.streamId, 'v1'), true);
    const channelArn = 'arn:aws:kinesisvideo:us-east-1:123456789012:channel/ch/1';
    await h.store.putTags(channelArn, { c: '3' }, MAX_TAGS);
    await h.store.putTags(kept.arn, { b: '2' }, MAX_TAGS);

    await h.restart();

    assert.deepEqual(await h.store.listStreams({ limit: 10 }), [updated, plain]);
    assert.deepEqual(await h.store.getStreamByName('kept'), updated);
    assert.deepEqual(await h.store.getStreamByArn(plain.arn), plain);
    assert.deepEqual(await h.store.listTags(kept.arn), { a: '1', b: '2' });
    assert.deepEqual(await h.store.listTags(deleted.arn), {});
    assert.deepEqual(await h.store.listTags(channelArn), { c: '3' });
    const next = await createOrFail(h.store, newStream('next'));
    assert.ok(next.streamId > deleted.streamId, `id ${next.streamId} reused after restart`);
    assert.equal(await h.store.updateStream(kept.streamId, 'v1', { version: 'v3' }), undefined);
    assert.ok(await h.store.updateStream(kept.streamId, 'v2', { version: 'v3' }));
  });
}
