import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractHarness, type Harness as ContractHarness, type StoreFixture } from './harness.js';
import type {
  ImageGenerationConfiguration,
  NewStream,
  NotificationConfiguration,
  StreamRecord,
} from '../../src/domain/stream.js';
import { formatFragmentNumber, type FragmentRecord, type FragmentSummary, type NewFragment } from '../../src/domain/fragment.js';
import { encodeFrameIndex } from '../../src/domain/frame-index.js';
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
    sequenceTests(h);
    trackHeaderTests(h);
    commitFragmentsTests(h);
    listFragmentsTests(h);
    timeQueryTests(h);
    retentionTests(h);
    referencedBlobExtentsTests(h);
    fragmentRestartTest(h);
    periodicTaskTests(h);
  });
}

function periodicTaskTests(h: Harness): void {
  describe('claimPeriodicTask', () => {
    test('a task is taken once per interval; tasks are independent; the turn survives a restart', async () => {
      assert.equal(await h.store.claimPeriodicTask('sweep', 60_000), true, 'never taken: taken now');
      assert.equal(await h.store.claimPeriodicTask('sweep', 60_000), false, 'taken a moment ago');
      assert.equal(await h.store.claimPeriodicTask('other', 60_000), true);
      await h.restart();
      assert.equal(await h.store.claimPeriodicTask('sweep', 60_000), false);
      // Due as soon as the interval has passed: with 0, at once.
      assert.equal(await h.store.claimPeriodicTask('sweep', 0), true);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(await h.store.claimPeriodicTask('other', 20), true);
      for (const everyMs of [-1, 1.5, Number.NaN]) await assert.rejects(h.store.claimPeriodicTask('sweep', everyMs), RangeError);
    });
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

/** A frame index of `frames` entries (20 bytes each: 75 frames is the ~1.5 KB of a 2 s fragment). */
export function sampleFrameIndex(frames: number, seed = 0): Uint8Array {
  return encodeFrameIndex(
    Array.from({ length: frames }, (_, i) => ({
      track: 1 + ((i + seed) % 2),
      timecode: i * 33 - 5,
      duration: 33,
      key: i === 0,
      offset: 100 + i * 4000,
      size: 3990 + seed,
    })),
  );
}

/** A fragment of `streamId` with sequence `seq`, its bytes at `offset` of the stream's first segment. */
export function sampleFragment(
  streamId: number,
  headerId: number,
  seq: number,
  overrides: Partial<NewFragment> = {},
): NewFragment {
  return {
    streamId,
    fragmentNumber: formatFragmentNumber(BigInt(seq)),
    clusterTimecode: 1_700_000_000_000 + seq * 2000,
    producerTimestampMs: 1_700_000_000_000 + seq * 2000,
    serverTimestampMs: 1_700_000_000_250 + seq * 2000,
    durationMs: 2000 - seq,
    size: 300_000 + seq,
    headerId,
    location: { key: `streams/${streamId}/0000000001.seg`, offset: seq * 400_000 },
    frameIndex: sampleFrameIndex(3, seq),
    tags: [{ name: 'AWS_KINESISVIDEO_FOO', value: `v${seq}` }],
    ...overrides,
  };
}

const HEADER_BYTES = Uint8Array.from([0x15, 0x49, 0xa9, 0x66, 0x16, 0x54, 0xae, 0x6b, 0x01, 0x02]);

/** Two streams and one track header: what most fragment tests start from. */
async function twoStreams(store: IndexStore) {
  const a = await createOrFail(store, newStream('stream-a'));
  const b = await createOrFail(store, newStream('stream-b'));
  const headerId = await store.putTrackHeader('sha256:aaaa', HEADER_BYTES);
  return { a: a.streamId, b: b.streamId, headerId };
}

async function numbersOf(store: IndexStore, streamId: number, query: { afterNumber?: string; limit: number }) {
  return (await store.listFragments(streamId, query)).map((f) => f.fragmentNumber);
}

function sequenceTests(h: Harness): void {
  describe('reserveFragmentSequence', () => {
    test('starts at 1 and hands out increasing, disjoint ranges', async () => {
      const first = await h.store.reserveFragmentSequence(3);
      assert.equal(first, 1n);
      const second = await h.store.reserveFragmentSequence(1);
      const third = await h.store.reserveFragmentSequence(10);
      assert.equal(typeof second, 'bigint');
      assert.ok(second >= first + 3n, `second ${second} overlaps [1, 4)`);
      assert.ok(third >= second + 1n, `third ${third} overlaps the second`);
    });

    test('concurrent reservations do not overlap', async () => {
      const starts = await Promise.all(Array.from({ length: 20 }, () => h.store.reserveFragmentSequence(5)));
      const sorted = [...starts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (let i = 1; i < sorted.length; i++) {
        assert.ok(sorted[i]! >= sorted[i - 1]! + 5n, `ranges at ${sorted[i - 1]} and ${sorted[i]} overlap`);
      }
    });

    test('a count that is not a positive integer is refused', async () => {
      for (const count of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(h.store.reserveFragmentSequence(count), RangeError, String(count));
      }
      assert.equal(await h.store.reserveFragmentSequence(1), 1n);
    });

    test('reservations never repeat after a restart', async () => {
      const before = await h.store.reserveFragmentSequence(100);
      await h.restart();
      const after = await h.store.reserveFragmentSequence(1);
      assert.ok(after >= before + 100n, `${after} was already reserved before the restart`);
      await h.restart();
      assert.ok((await h.store.reserveFragmentSequence(1)) > after);
    });
  });
}

function trackHeaderTests(h: Harness): void {
  describe('track headers', () => {
    test('are stored once per hash and read back by id', async () => {
      const id = await h.store.putTrackHeader('sha256:one', HEADER_BYTES);
      assert.ok(Number.isSafeInteger(id), `header id ${id}`);
      assert.equal(await h.store.putTrackHeader('sha256:one', Uint8Array.from([9, 9, 9])), id);
      assert.deepEqual(await h.store.getTrackHeader(id), HEADER_BYTES);
      const other = await h.store.putTrackHeader('sha256:two', Uint8Array.from([1]));
      assert.notEqual(other, id);
      assert.deepEqual(await h.store.getTrackHeader(other), Uint8Array.from([1]));
      assert.equal(await h.store.getTrackHeader(Math.max(id, other) + 1000), undefined);
    });

    test('a view into a larger buffer stores only its own bytes', async () => {
      const backing = Uint8Array.from([7, 7, 1, 2, 3, 7]);
      const id = await h.store.putTrackHeader('sha256:view', backing.subarray(2, 5));
      assert.deepEqual(await h.store.getTrackHeader(id), Uint8Array.from([1, 2, 3]));
    });
  });
}

function commitFragmentsTests(h: Harness): void {
  describe('commitFragments', () => {
    test('indexes a batch and returns every fragment as given', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const batch = [sampleFragment(a, headerId, 1), sampleFragment(b, headerId, 2), sampleFragment(a, headerId, 3)];
      assert.deepEqual(await h.store.commitFragments(batch), [true, true, true]);
      assert.deepEqual(await h.store.listFragments(a, { limit: 10 }), [batch[0], batch[2]]);
      assert.deepEqual(await h.store.listFragments(b, { limit: 10 }), [batch[1]]);
      assert.deepEqual(await h.store.getFragment(b, batch[1]!.fragmentNumber), batch[1]);
    });

    test('an empty batch indexes nothing', async () => {
      assert.deepEqual(await h.store.commitFragments([]), []);
    });

    test('keeps every field, including extremes', async () => {
      const { a, headerId } = await twoStreams(h.store);
      const odd = sampleFragment(a, headerId, 1, {
        clusterTimecode: 0,
        durationMs: 0,
        size: 1,
        location: { key: 'streams/x/0000000009.seg', offset: 5_000_000_000 },
        frameIndex: new Uint8Array(0),
        tags: [],
      });
      const big = sampleFragment(a, headerId, 2, {
        frameIndex: sampleFrameIndex(75),
        tags: [
          { name: 'AWS_KINESISVIDEO_EMPTY', value: '' },
          { name: 'café', value: 'crème ✓ "quoted" \\ back' },
          { name: 'AWS_KINESISVIDEO_EMPTY', value: 'same name again' },
        ],
      });
      assert.deepEqual(await h.store.commitFragments([odd, big]), [true, true]);
      assert.deepEqual(await h.store.getFragment(a, odd.fragmentNumber), odd);
      assert.deepEqual(await h.store.getFragment(a, big.fragmentNumber), big);
      assert.equal((await h.store.getFragment(a, big.fragmentNumber))?.frameIndex.byteLength, 1500);
    });

    test('returns false for streams that no longer exist and indexes nothing for them', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      assert.equal(await h.store.deleteStream(b, 'v1'), true);
      const never = Math.max(a, b) + 1000;
      const batch = [
        sampleFragment(a, headerId, 1),
        sampleFragment(b, headerId, 2, { location: { key: 'streams/b/0000000001.seg', offset: 0 } }),
        sampleFragment(a, headerId, 3),
        sampleFragment(never, headerId, 4, { location: { key: 'streams/never/0000000001.seg', offset: 0 } }),
      ];
      assert.deepEqual(await h.store.commitFragments(batch), [true, false, true, false]);
      assert.deepEqual(await numbersOf(h.store, a, { limit: 10 }), [batch[0]!.fragmentNumber, batch[2]!.fragmentNumber]);
      assert.deepEqual(await h.store.listFragments(b, { limit: 10 }), []);
      assert.equal(await h.store.getFragment(b, batch[1]!.fragmentNumber), undefined);
      assert.equal(await h.store.getFragment(never, batch[3]!.fragmentNumber), undefined);
      const keys = [...(await h.store.referencedBlobExtents()).keys()];
      assert.deepEqual(keys, [`streams/${a}/0000000001.seg`]);
    });

    test('a fragment number the stream already has rejects the whole batch', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const first = sampleFragment(a, headerId, 1);
      await h.store.commitFragments([first]);
      const again = sampleFragment(a, headerId, 1, { size: 5 });
      await assert.rejects(h.store.commitFragments([sampleFragment(b, headerId, 2), again]));
      await assert.rejects(h.store.commitFragments([sampleFragment(a, headerId, 3), sampleFragment(a, headerId, 3)]));
      assert.deepEqual(await h.store.listFragments(a, { limit: 10 }), [first]);
      assert.deepEqual(await h.store.listFragments(b, { limit: 10 }), []);
    });

    test('one fragment number may exist in two streams', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const inA = sampleFragment(a, headerId, 7);
      const inB = sampleFragment(b, headerId, 7, { size: 1 });
      assert.deepEqual(await h.store.commitFragments([inA, inB]), [true, true]);
      assert.deepEqual(await h.store.getFragment(a, inA.fragmentNumber), inA);
      assert.deepEqual(await h.store.getFragment(b, inB.fragmentNumber), inB);
    });

    test('deleteStream removes the stream\'s fragments, and a re-created stream starts empty', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await h.store.commitFragments([1, 2].map((seq) => sampleFragment(a, headerId, seq)).concat(sampleFragment(b, headerId, 3)));
      assert.equal(await h.store.deleteStream(a, 'v1'), true);
      assert.deepEqual(await h.store.listFragments(a, { limit: 10 }), []);
      assert.equal(await h.store.getFragment(a, formatFragmentNumber(1n)), undefined);
      assert.deepEqual(await numbersOf(h.store, b, { limit: 10 }), [formatFragmentNumber(3n)]);
      assert.deepEqual([...(await h.store.referencedBlobExtents()).keys()], [`streams/${b}/0000000001.seg`]);
      const again = await createOrFail(h.store, newStream('stream-a', { arn: streamArn('stream-a', 2) }));
      assert.deepEqual(await h.store.listFragments(again.streamId, { limit: 10 }), []);
    });
  });
}

/** The summary listings give of a fragment record. */
function summaryOf(f: FragmentRecord): FragmentSummary {
  return { fragmentNumber: f.fragmentNumber, producerTimestampMs: f.producerTimestampMs, serverTimestampMs: f.serverTimestampMs, durationMs: f.durationMs, size: f.size };
}

function listFragmentsTests(h: Harness): void {
  describe('listFragments and getFragment', () => {
    // 9, 10, 99, 100, ...: fixed width keeps string order numeric across digit counts.
    const SEQS = [1, 2, 9, 10, 99, 100, 1000, 123_456_789];

    async function shuffledCommits(streamId: number, headerId: number): Promise<string[]> {
      const order = [100, 2, 123_456_789, 9, 1, 1000, 10, 99];
      await h.store.commitFragments(order.slice(0, 3).map((seq) => sampleFragment(streamId, headerId, seq)));
      await h.store.commitFragments(order.slice(3).map((seq) => sampleFragment(streamId, headerId, seq)));
      return SEQS.map((seq) => formatFragmentNumber(BigInt(seq)));
    }

    test('orders by fragment number, whatever the commit order', async () => {
      const { a, headerId } = await twoStreams(h.store);
      const expected = await shuffledCommits(a, headerId);
      assert.deepEqual(await numbersOf(h.store, a, { limit: 100 }), expected);
    });

    test('afterNumber is exclusive, need not exist, and pages with limit', async () => {
      const { a, headerId } = await twoStreams(h.store);
      const all = await shuffledCommits(a, headerId);
      assert.deepEqual(await numbersOf(h.store, a, { afterNumber: all[2]!, limit: 100 }), all.slice(3));
      assert.deepEqual(await numbersOf(h.store, a, { afterNumber: formatFragmentNumber(50n), limit: 100 }), all.slice(4));
      assert.deepEqual(await numbersOf(h.store, a, { afterNumber: all.at(-1)!, limit: 100 }), []);
      assert.deepEqual(await numbersOf(h.store, a, { limit: 3 }), all.slice(0, 3));
      const pages: string[][] = [];
      let afterNumber: string | undefined;
      for (;;) {
        const page = await numbersOf(h.store, a, { limit: 3, ...(afterNumber === undefined ? {} : { afterNumber }) });
        if (page.length === 0) break;
        pages.push(page);
        afterNumber = page.at(-1);
      }
      assert.deepEqual(pages, [all.slice(0, 3), all.slice(3, 6), all.slice(6)]);
    });

    test('limit 0 lists nothing; a negative or fractional limit is refused', async () => {
      const { a, headerId } = await twoStreams(h.store);
      await shuffledCommits(a, headerId);
      assert.deepEqual(await h.store.listFragments(a, { limit: 0 }), []);
      for (const limit of [-1, 2.5]) await assert.rejects(h.store.listFragments(a, { limit }), RangeError);
    });

    test('listFragmentSummaries lists the same fragments as listFragments, without index, tags or location', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const all = await shuffledCommits(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 5)]);
      const queries = [{ limit: 100 }, { limit: 3 }, { afterNumber: all[2]!, limit: 4 }, { limit: 0 }];
      for (const query of queries) {
        const records = await h.store.listFragments(a, query);
        assert.deepEqual(await h.store.listFragmentSummaries(a, query), records.map(summaryOf), JSON.stringify(query));
      }
      for (const limit of [-1, 2.5]) await assert.rejects(h.store.listFragmentSummaries(a, { limit }), RangeError);
    });

    test('streams do not see each other\'s fragments', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await shuffledCommits(a, headerId);
      const onlyB = sampleFragment(b, headerId, 5);
      await h.store.commitFragments([onlyB]);
      assert.deepEqual(await h.store.listFragments(b, { limit: 100 }), [onlyB]);
      assert.deepEqual(await h.store.listFragments(Math.max(a, b) + 1, { limit: 100 }), []);
      assert.equal(await h.store.getFragment(a, onlyB.fragmentNumber), undefined);
      assert.equal(await h.store.getFragment(b, formatFragmentNumber(1n)), undefined);
      assert.equal(await h.store.getFragment(b, 'not-a-number'), undefined);
    });
  });
}

/** The sequence numbers of fragments (sampleFragment's `seq`), in the order given. */
const seqs = (list: readonly { fragmentNumber: string }[]) => list.map((f) => Number(f.fragmentNumber.slice(1)));

function timeQueryTests(h: Harness): void {
  /** Fragments 1..6 with producer times 100,300,200,200,500,400 and server times 1000+seq*10. */
  async function mixedTimes(streamId: number, headerId: number): Promise<void> {
    const producer = [100, 300, 200, 200, 500, 400];
    await h.store.commitFragments(
      producer.map((ms, i) =>
        sampleFragment(streamId, headerId, i + 1, { producerTimestampMs: ms, serverTimestampMs: 1000 + (i + 1) * 10 }),
      ),
    );
  }
  describe('time ranges', () => {
    test('listFragments filters on either timestamp, both ends inclusive, still in number order', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 7, { producerTimestampMs: 200 })]);
      const producer = { by: 'producer', startMs: 200, endMs: 400 } as const;
      assert.deepEqual(seqs(await h.store.listFragments(a, { range: producer, limit: 10 })), [2, 3, 4, 6]);
      assert.deepEqual(seqs(await h.store.listFragments(a, { range: producer, limit: 2 })), [2, 3]);
      const after3 = formatFragmentNumber(3n);
      assert.deepEqual(seqs(await h.store.listFragments(a, { range: producer, afterNumber: after3, limit: 10 })), [4, 6]);
      const server = { by: 'server', startMs: 1020, endMs: 1040 } as const;
      assert.deepEqual(seqs(await h.store.listFragments(a, { range: server, limit: 10 })), [2, 3, 4]);
      assert.deepEqual(await h.store.listFragments(a, { range: { by: 'producer', startMs: 501, endMs: 900 }, limit: 10 }), []);
      for (const query of [{ range: producer, limit: 10 }, { range: producer, afterNumber: after3, limit: 1 }, { range: server, limit: 10 }]) {
        const records = await h.store.listFragments(a, query);
        assert.deepEqual(await h.store.listFragmentSummaries(a, query), records.map(summaryOf), JSON.stringify(query));
      }
    });

    test('fragmentsByTime orders by the timestamp, then by number; newestFirst reverses both', async () => {
      const { a, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      const all = { by: 'producer', startMs: 0, endMs: 1000 } as const;
      assert.deepEqual(seqs(await h.store.fragmentsByTime(a, { range: all, limit: 10 })), [1, 3, 4, 2, 6, 5]);
      assert.deepEqual(seqs(await h.store.fragmentsByTime(a, { range: all, limit: 3, newestFirst: true })), [5, 6, 2]);
      const narrow = { by: 'producer', startMs: 200, endMs: 300 } as const;
      assert.deepEqual(seqs(await h.store.fragmentsByTime(a, { range: narrow, limit: 10 })), [3, 4, 2]);
      const server = { by: 'server', startMs: 1035, endMs: 2000 } as const;
      assert.deepEqual(seqs(await h.store.fragmentsByTime(a, { range: server, limit: 10 })), [4, 5, 6]);
      const [whole] = await h.store.fragmentsByTime(a, { range: narrow, limit: 1 });
      assert.deepEqual(whole, await h.store.getFragment(a, formatFragmentNumber(3n)));
      await assert.rejects(h.store.fragmentsByTime(a, { range: all, limit: -1 }), RangeError);
    });

    test('countFragmentsBefore counts in (timestamp, number) order from fromMs', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 7, { producerTimestampMs: 150 })]);
      const count = (fromMs: number, beforeMs: number, seq: number) =>
        h.store.countFragmentsBefore(a, { by: 'producer', fromMs, beforeMs, beforeNumber: formatFragmentNumber(BigInt(seq)) });
      // Order: 1@100, 3@200, 4@200, 2@300, 6@400, 5@500.
      assert.equal(await count(0, 100, 1), 0);
      assert.equal(await count(0, 200, 3), 1);
      assert.equal(await count(0, 200, 4), 2);
      assert.equal(await count(0, 300, 2), 3);
      assert.equal(await count(0, 500, 5), 5);
      assert.equal(await count(150, 500, 5), 4);
      assert.equal(await count(0, 1000, 99), 6);
      const server = { by: 'server', fromMs: 1025, beforeMs: 1060, beforeNumber: formatFragmentNumber(6n) } as const;
      assert.equal(await h.store.countFragmentsBefore(a, server), 3);
    });

    test('countTimestampsBefore counts distinct timestamps in [fromMs, beforeMs)', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 7, { producerTimestampMs: 150 })]);
      const count = (fromMs: number, beforeMs: number) => h.store.countTimestampsBefore(a, { by: 'producer', fromMs, beforeMs });
      // Producer timestamps 100, 200 (twice), 300, 400, 500.
      assert.equal(await count(0, 100), 0);
      assert.equal(await count(0, 200), 1);
      assert.equal(await count(0, 300), 2);
      assert.equal(await count(0, 500), 4);
      assert.equal(await count(150, 500), 3);
      assert.equal(await count(0, 1000), 5);
      assert.equal(await count(99.5, 200.5), 2);
      assert.equal(await h.store.countTimestampsBefore(a, { by: 'server', fromMs: 1025, beforeMs: 1060 }), 3);
    });

    test('sumDurationsBefore sums what a session lists before a fragment, one per timestamp when asked', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 7, { producerTimestampMs: 150 })]);
      const sum = (fromMs: number, beforeMs: number, seq: number, onePerTimestamp: boolean) =>
        h.store.sumDurationsBefore(a, { by: 'producer', fromMs, beforeMs, beforeNumber: formatFragmentNumber(BigInt(seq)), onePerTimestamp });
      // Order: 1@100, 3@200, 4@200, 2@300, 6@400, 5@500; fragment n lasts 2000 - n ms.
      assert.equal(await sum(0, 100, 1, false), 0);
      assert.equal(await sum(0, 200, 4, false), 1999 + 1997);
      assert.equal(await sum(0, 500, 5, false), 1999 + 1997 + 1996 + 1998 + 1994);
      // One per timestamp: 4 (the larger number) stands for 200.
      assert.equal(await sum(0, 500, 5, true), 1999 + 1996 + 1998 + 1994);
      assert.equal(await sum(150, 400, 6, true), 1996 + 1998);
      const server = { by: 'server', fromMs: 1020, beforeMs: 1040, beforeNumber: formatFragmentNumber(4n), onePerTimestamp: false } as const;
      assert.equal(await h.store.sumDurationsBefore(a, server), 1998 + 1997);
    });

    test('countDiscontinuitiesThrough counts gaps past the threshold and track header changes up to a fragment', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const other = await h.store.putTrackHeader('sha256:bbbb', Uint8Array.of(1, 2, 3));
      // 0, 2000, 4000 (2 s each), a gap to 10000, then 12000 with another header; 16 repeats 4000 with that header.
      const layout: Array<[number, number, number]> = [[11, 0, headerId], [12, 2000, headerId], [13, 4000, headerId], [14, 10_000, headerId], [15, 12_000, other], [16, 4000, other]];
      await h.store.commitFragments(layout.map(([seq, ms, header]) => sampleFragment(a, header, seq, { producerTimestampMs: ms, serverTimestampMs: 5000 + seq, durationMs: 2000 })));
      await h.store.commitFragments([sampleFragment(b, headerId, 17, { producerTimestampMs: 11_000 })]);
      const count = (throughMs: number, seq: number, options: { fromMs?: number; onePerTimestamp?: boolean; gapThresholdMs?: number | undefined; headerChanges?: boolean }) =>
        h.store.countDiscontinuitiesThrough(a, {
          by: 'producer',
          fromMs: options.fromMs ?? 0,
          throughMs,
          throughNumber: formatFragmentNumber(BigInt(seq)),
          onePerTimestamp: options.onePerTimestamp ?? true,
          gapThresholdMs: 'gapThresholdMs' in options ? options.gapThresholdMs : 50,
          headerChanges: options.headerChanges ?? true,
        });
      // One per timestamp: 0, 2000, 4000 (16, other header), 10000, 12000 (other header).
      assert.equal(await count(2000, 12, {}), 0);
      assert.equal(await count(4000, 16, {}), 1); // header change into 16
      assert.equal(await count(10_000, 14, {}), 2); // 16 → 14: a 4 s gap (and a header change: one discontinuity)
      assert.equal(await count(12_000, 15, {}), 3);
      assert.equal(await count(12_000, 15, { headerChanges: false }), 1);
      assert.equal(await count(12_000, 15, { gapThresholdMs: undefined }), 3);
      assert.equal(await count(12_000, 15, { gapThresholdMs: undefined, headerChanges: false }), 0);
      assert.equal(await count(12_000, 15, { fromMs: 10_000 }), 1);
      // Every fragment: 13 and 16 both at 4000; 16 starts 2 s before 13 ends.
      assert.equal(await count(4000, 13, { onePerTimestamp: false }), 0);
      assert.equal(await count(12_000, 15, { onePerTimestamp: false, headerChanges: false }), 2);
      // By server time: 11 … 16 arrive 1 ms apart, 2 s long each: every pair overlaps.
      const server = { by: 'server', fromMs: 0, throughMs: 5016, throughNumber: formatFragmentNumber(16n), onePerTimestamp: false, gapThresholdMs: 50, headerChanges: false } as const;
      assert.equal(await h.store.countDiscontinuitiesThrough(a, server), 5);
    });

    test('deleteFragmentsBefore removes by server time, strictly before, only in that stream', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      await h.store.commitFragments([sampleFragment(b, headerId, 7, { serverTimestampMs: 0 })]);
      assert.equal((await h.store.deleteFragmentsBefore(a, 1030)).count, 2);
      assert.deepEqual(seqs(await h.store.listFragments(a, { limit: 10 })), [3, 4, 5, 6]);
      assert.deepEqual(await h.store.deleteFragmentsBefore(a, 1030), { count: 0, blobEnds: new Map() });
      assert.deepEqual(seqs(await h.store.listFragments(b, { limit: 10 })), [7]);
    });

    // Times parsed from seconds (1700000000.123 * 1000) need not be whole milliseconds.
    test('bounds with a fraction of a millisecond compare as the numbers they are', async () => {
      const { a, headerId } = await twoStreams(h.store);
      await mixedTimes(a, headerId);
      const range = { by: 'producer', startMs: 199.5, endMs: 300.5 } as const;
      assert.deepEqual(seqs(await h.store.listFragments(a, { range, limit: 10 })), [2, 3, 4]);
      assert.deepEqual(seqs(await h.store.fragmentsByTime(a, { range: { by: 'producer', startMs: 100.2, endMs: 400 }, limit: 10 })), [3, 4, 2, 6]);
      const count = await h.store.countFragmentsBefore(a, { by: 'producer', fromMs: 99.9, beforeMs: 200.5, beforeNumber: formatFragmentNumber(1n) });
      assert.equal(count, 3);
      assert.equal((await h.store.deleteFragmentsBefore(a, 1020.5)).count, 2);
      assert.deepEqual(seqs(await h.store.listFragments(a, { limit: 10 })), [3, 4, 5, 6]);
    });
  });
}

function retentionTests(h: Harness): void {
  /** Fragment `seq` of `streamId` at server time `serverMs`, `size` bytes at `offset` of `key`. */
  const placed = (streamId: number, headerId: number, seq: number, serverMs: number, key: string, offset: number, size: number) =>
    sampleFragment(streamId, headerId, seq, { serverTimestampMs: serverMs, location: { key, offset }, size });

  describe('retention', () => {
    test('deleteFragmentsBefore names every blob key it freed, with the furthest end of what it removed there', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await h.store.commitFragments([
        placed(a, headerId, 1, 100, 'k1', 0, 50),
        // Commit order is not server-time order: a later fragment may sit before an earlier one.
        placed(a, headerId, 2, 90, 'k1', 50, 30),
        placed(a, headerId, 3, 200, 'k2', 0, 40),
        placed(a, headerId, 4, 300, 'k2', 40, 10),
        placed(b, headerId, 5, 100, 'k3', 0, 10),
      ]);
      const first = await h.store.deleteFragmentsBefore(a, 250);
      assert.equal(first.count, 3);
      assert.deepEqual(first.blobEnds, new Map([['k1', 80], ['k2', 40]]));
      assert.deepEqual(seqs(await h.store.listFragments(a, { limit: 10 })), [4]);
      assert.deepEqual(seqs(await h.store.listFragments(b, { limit: 10 })), [5]);
    });

    test('deleteFragmentsBefore with a limit removes the oldest by server time first', async () => {
      const { a, headerId } = await twoStreams(h.store);
      const serverTimes = [500, 100, 400, 200, 300];
      await h.store.commitFragments(serverTimes.map((ms, i) => placed(a, headerId, i + 1, ms, `k${i + 1}`, 0, 10)));
      const first = await h.store.deleteFragmentsBefore(a, 450, 2);
      assert.deepEqual(first, { count: 2, blobEnds: new Map([['k2', 10], ['k4', 10]]) });
      assert.deepEqual((await h.store.deleteFragmentsBefore(a, 450, 2)).blobEnds, new Map([['k5', 10], ['k3', 10]]));
      assert.equal((await h.store.deleteFragmentsBefore(a, 450, 2)).count, 0);
      assert.deepEqual(seqs(await h.store.listFragments(a, { limit: 10 })), [1]);
      for (const limit of [0, -1, 1.5]) await assert.rejects(h.store.deleteFragmentsBefore(a, 1000, limit), RangeError);
      assert.deepEqual(seqs(await h.store.listFragments(a, { limit: 10 })), [1]);
    });

    test('isBlobReferenced answers for exactly that key, across streams', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      await h.store.commitFragments([placed(a, headerId, 1, 100, 'k1', 0, 10), placed(b, headerId, 2, 100, 'k10', 0, 10)]);
      assert.equal(await h.store.isBlobReferenced('k1'), true);
      assert.equal(await h.store.isBlobReferenced('k10'), true);
      assert.equal(await h.store.isBlobReferenced('k'), false);
      await h.store.deleteFragmentsBefore(a, 101);
      assert.equal(await h.store.isBlobReferenced('k1'), false);
      assert.equal(await h.store.isBlobReferenced('k10'), true);
      assert.equal(await h.store.deleteStream(b, 'v1'), true);
      assert.equal(await h.store.isBlobReferenced('k10'), false);
    });

    test('streamExists is true from createStream until deleteStream, and never again for that id', async () => {
      const { a, b } = await twoStreams(h.store);
      assert.equal(await h.store.streamExists(a), true);
      assert.equal(await h.store.streamExists(Math.max(a, b) + 1), false);
      assert.equal(await h.store.deleteStream(a, 'v1'), true);
      assert.equal(await h.store.streamExists(a), false);
      const again = await createOrFail(h.store, newStream('stream-a', { arn: streamArn('stream-a', 2) }));
      assert.notEqual(again.streamId, a);
      assert.equal(await h.store.streamExists(a), false);
      assert.equal(await h.store.streamExists(b), true);
    });
  });
}

function referencedBlobExtentsTests(h: Harness): void {
  describe('referencedBlobExtents', () => {
    test('is empty without fragments', async () => {
      await twoStreams(h.store);
      assert.deepEqual(await h.store.referencedBlobExtents(), new Map());
    });

    test('gives the largest end of a referenced byte per key, whatever the commit order', async () => {
      const { a, b, headerId } = await twoStreams(h.store);
      const at = (seq: number, streamId: number, key: string, offset: number, size: number) =>
        sampleFragment(streamId, headerId, seq, { location: { key, offset }, size });
      await h.store.commitFragments([at(3, a, 'k1', 250, 10), at(2, a, 'k1', 100, 50)]);
      await h.store.commitFragments([at(1, a, 'k1', 0, 100), at(4, b, 'k2', 0, 10)]);
      // A large early fragment ends after a later, smaller one: the extent is the furthest end.
      await h.store.commitFragments([at(5, b, 'k3', 0, 1000), at(6, b, 'k3', 500, 10)]);
      await h.store.commitFragments([at(7, b, 'streams/9/0000000002.seg', 5_000_000_000, 7)]);
      assert.deepEqual(
        await h.store.referencedBlobExtents(),
        new Map([['k1', 260], ['k2', 10], ['k3', 1000], ['streams/9/0000000002.seg', 5_000_000_007]]),
      );
    });
  });
}

function fragmentRestartTest(h: Harness): void {
  test('fragments, track headers and the sequence survive a restart', async () => {
    const { a, b, headerId } = await twoStreams(h.store);
    const reserved = await h.store.reserveFragmentSequence(10);
    const batch = [sampleFragment(a, headerId, 1), sampleFragment(a, headerId, 2), sampleFragment(b, headerId, 3)];
    await h.store.commitFragments(batch);
    const extents = await h.store.referencedBlobExtents();

    await h.restart();

    assert.deepEqual(await h.store.listFragments(a, { limit: 10 }), [batch[0], batch[1]]);
    assert.deepEqual(await h.store.getFragment(b, batch[2]!.fragmentNumber), batch[2]);
    assert.deepEqual(await h.store.getTrackHeader(headerId), HEADER_BYTES);
    assert.equal(await h.store.putTrackHeader('sha256:aaaa', HEADER_BYTES), headerId);
    assert.deepEqual(await h.store.referencedBlobExtents(), extents);
    assert.ok((await h.store.reserveFragmentSequence(1)) >= reserved + 10n);
    assert.deepEqual(await h.store.commitFragments([sampleFragment(b, headerId, 4)]), [true]);
  });
}
