import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { S3BlobStore, type S3BlobStoreTuning } from '../../src/storage/s3/s3-blob-store.js';
import type { S3Options } from '../../src/storage/s3/s3-options.js';
import { appendChunks, blobStoreContract, patternBytes, readAll } from './blob-store.contract.js';
import { cephUnavailable, startCeph, type CephS3 } from '../helpers/ceph.js';

const skip = cephUnavailable();

describe('S3 blob store on Ceph RGW', { skip }, () => {
  let ceph: CephS3;
  before(async () => {
    ceph = await startCeph();
    // The store takes its credentials from the AWS default chain, as in production.
    process.env['AWS_ACCESS_KEY_ID'] = ceph.credentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = ceph.credentials.secretAccessKey;
  });
  after(async () => {
    await ceph?.stop();
  });

  const options = (): S3Options => ({ endpoint: ceph.endpoint, region: ceph.region, forcePathStyle: true, checksum: 'when-required' });
  const tuning: S3BlobStoreTuning = { recoveryGraceMs: 0 };

  const fixture = (prefix: string, storeOptions: () => S3Options) => async () => {
    const bucket = await ceph.createBucket();
    const url = `s3://${bucket}${prefix}`;
    let current: BlobStore = await S3BlobStore.open(url, storeOptions(), tuning);
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await S3BlobStore.open(url, storeOptions(), tuning);
        return current;
      },
      cleanup: async () => {
        await current.close();
      },
    };
  };

  blobStoreContract('S3BlobStore (key prefix, checksums when required)', fixture('/openkvs/node-data', options));
  blobStoreContract('S3BlobStore (whole bucket, SDK default checksums)', fixture('', () => ({ ...options(), checksum: 'when-supported' })));

  s3OnlyTests(() => ceph, options);
});

function s3OnlyTests(ceph: () => CephS3, options: () => S3Options): void {
  test('objects live under the key prefix; each append is one object named like a segment', async () => {
    const bucket = await ceph().createBucket();
    const store = await S3BlobStore.open(`s3://${bucket}/deploy/a`, options(), { recoveryGraceMs: 0 });
    try {
      await store.put('streams/1/notes', patternBytes(5));
      const first = await appendChunks(store, 'streams/1', patternBytes(100, 1), patternBytes(50, 2));
      const second = await appendChunks(store, 'streams/1', patternBytes(10, 3));
      assert.match(first.location.key, /^streams\/1\/\d{28}\.seg$/);
      assert.ok(second.location.key > first.location.key, 'keys sort in append order');
      const s3 = ceph().client();
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      assert.deepEqual(
        (listed.Contents ?? []).map((o) => o.Key).sort(),
        ['deploy/a/streams/1/notes', `deploy/a/${first.location.key}`, `deploy/a/${second.location.key}`].sort(),
      );
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `deploy/a/${first.location.key}` }));
      assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), first.bytes);
    } finally {
      await store.close();
    }
  });

  test('a streamed put longer than a part goes up in parts and comes back whole; a failing one leaves nothing', async () => {
    const bucket = await ceph().createBucket();
    const partBytes = 5 * 1024 * 1024;
    const store = await S3BlobStore.open(`s3://${bucket}`, options(), { partBytes });
    try {
      const chunks = Array.from({ length: 11 }, (_, i) => patternBytes(1024 * 1024 + i, i));
      async function* body() {
        for (const chunk of chunks) yield chunk;
      }
      await store.put('big/object', body());
      const expected = Buffer.concat(chunks);
      assert.equal(await store.size('big/object'), expected.length);
      assert.deepEqual(await readAll(await store.get('big/object')), expected);
      const middle = { start: partBytes - 10, end: partBytes + 10 };
      assert.deepEqual(await readAll(await store.get('big/object', middle)), expected.subarray(middle.start, middle.end));
      async function* failing() {
        yield* body();
        throw new Error('camera went away');
      }
      await assert.rejects(store.put('big/object', failing()), /camera went away/);
      await assert.rejects(store.put('big/other', failing()), /camera went away/);
      assert.equal(await store.size('big/object'), expected.length);
      assert.equal(await store.size('big/other'), undefined);
      const uploads = await ceph().client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      assert.deepEqual(uploads.Uploads ?? [], [], 'failed multipart uploads are aborted');
    } finally {
      await store.close();
    }
    await assert.rejects(S3BlobStore.open(`s3://${bucket}`, options(), { partBytes: 1024 }), RangeError);
  });

  test('two stores appending to one series at once never share an object', async () => {
    const bucket = await ceph().createBucket();
    const [a, b] = await Promise.all([1, 2].map(() => S3BlobStore.open(`s3://${bucket}`, options())));
    try {
      const appends = await Promise.all(
        Array.from({ length: 20 }, (_, i) => appendChunks(i % 2 === 0 ? a! : b!, 'streams/9', patternBytes(200, i))),
      );
      assert.equal(new Set(appends.map((x) => x.location.key)).size, 20);
      for (const x of appends) assert.deepEqual(await readAll(await a!.get(x.location.key)), x.bytes);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  test('trimAppended leaves appended objects younger than the grace period alone', async () => {
    const bucket = await ceph().createBucket();
    const store = await S3BlobStore.open(`s3://${bucket}`, options(), { recoveryGraceMs: 60_000 });
    try {
      const inFlight = await appendChunks(store, 'streams/1', patternBytes(100));
      // What another node could be about to commit: not referenced yet, but not garbage.
      assert.deepEqual(await store.trimAppended(new Map()), { trimmedBytes: 0, deletedObjects: 0 });
      assert.equal(await store.size(inFlight.location.key), 100);
    } finally {
      await store.close();
    }
  });

  test('trimAppended rewrites an object referenced only in part', async () => {
    const bucket = await ceph().createBucket();
    const store = await S3BlobStore.open(`s3://${bucket}`, options(), { recoveryGraceMs: 0 });
    try {
      const appended = await appendChunks(store, 's', patternBytes(1000));
      assert.deepEqual(await store.trimAppended(new Map([[appended.location.key, 600]])), { trimmedBytes: 400, deletedObjects: 0 });
      assert.deepEqual(await readAll(await store.get(appended.location.key)), patternBytes(1000).subarray(0, 600));
    } finally {
      await store.close();
    }
  });

  test('objects under the prefix that the store could not have written are not listed', async () => {
    const bucket = await ceph().createBucket();
    await ceph().client().send(new PutObjectCommand({ Bucket: bucket, Key: 'p/has space', Body: 'x' }));
    const store = await S3BlobStore.open(`s3://${bucket}/p`, options());
    try {
      const keys: string[] = [];
      for await (const key of store.list('')) keys.push(key);
      assert.deepEqual(keys, []);
    } finally {
      await store.close();
    }
  });

  test('a missing bucket fails open with its name', async () => {
    await assert.rejects(S3BlobStore.open('s3://no-such-bucket/x', options()), /cannot use S3 bucket no-such-bucket at http:\/\/127\.0\.0\.1:\d+: it does not exist/);
  });
}
