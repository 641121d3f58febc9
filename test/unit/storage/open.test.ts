import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../../src/storage/fs/fs-blob-store.js';
import { openBlobStore, openIndexStore, redactStorageUrl } from '../../../src/storage/open.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';

async function isFile(path: string): Promise<boolean> {
  return (await stat(path)).isFile();
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

describe('storage URLs', () => {
  let dir: string;
  let originalCwd: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openkvs-open-'));
    originalCwd = process.cwd();
    // Relative paths resolve against the working directory; this test file runs in its own process.
    process.chdir(dir);
  });
  after(async () => {
    process.chdir(originalCwd);
    await rm(dir, { recursive: true, force: true });
  });

  test('sqlite:// with an absolute path opens a SqliteIndexStore there', async () => {
    const store = await openIndexStore(`sqlite://${join(dir, 'abs', 'index.sqlite')}`);
    try {
      assert.ok(store instanceof SqliteIndexStore);
      assert.equal(await isFile(join(dir, 'abs', 'index.sqlite')), true);
    } finally {
      await store.close();
    }
  });

  test('sqlite:// with a relative path resolves against the working directory', async () => {
    const store = await openIndexStore('sqlite://data/index.sqlite');
    try {
      assert.ok(store instanceof SqliteIndexStore);
      assert.equal(await isFile(join(dir, 'data', 'index.sqlite')), true);
    } finally {
      await store.close();
    }
  });

  test('the scheme is case-insensitive', async () => {
    const store = await openIndexStore('SQLite://upper/index.sqlite');
    await store.close();
    assert.equal(await isFile(join(dir, 'upper', 'index.sqlite')), true);
  });

  test('file:// opens an FsBlobStore, absolute or relative', async () => {
    const absolute = await openBlobStore(`file://${join(dir, 'abs-blobs')}`);
    const relative = await openBlobStore('file://rel/blobs');
    try {
      assert.ok(absolute instanceof FsBlobStore);
      assert.ok(relative instanceof FsBlobStore);
      assert.equal(await isDirectory(join(dir, 'abs-blobs')), true);
      assert.equal(await isDirectory(join(dir, 'rel', 'blobs')), true);
    } finally {
      await absolute.close();
      await relative.close();
    }
  });

  test('postgres:// and s3:// failures name the server, never the password', async () => {
    await assert.rejects(
      openIndexStore('postgres://admin:s3cret@127.0.0.1:1/openkvs'),
      (err: unknown) =>
        err instanceof Error &&
        err.message.startsWith('cannot open the PostgreSQL index at postgres://admin:***@127.0.0.1:1/openkvs') &&
        !err.message.includes('s3cret'),
    );
    await assert.rejects(openBlobStore('s3://'), /s3:\/\/ URL needs a bucket name/);
    await assert.rejects(openBlobStore('s3://bucket/bad prefix'), /key prefix/);
  });

  test('storage URLs in logs have their password masked', () => {
    assert.equal(redactStorageUrl('postgres://admin:s3cret@db:5432/openkvs?sslmode=require'), 'postgres://admin:***@db:5432/openkvs?sslmode=require');
    assert.equal(redactStorageUrl('postgres://admin@db/openkvs'), 'postgres://admin@db/openkvs');
    assert.equal(redactStorageUrl('s3://bucket/prefix'), 's3://bucket/prefix');
    assert.equal(redactStorageUrl('sqlite:///var/lib/openkvs/index.sqlite'), 'sqlite:///var/lib/openkvs/index.sqlite');
  });

  test('unknown schemes name the supported ones', async () => {
    await assert.rejects(openIndexStore('mysql://db/openkvs'), {
      message: 'unknown index store scheme mysql:// (supported: sqlite://, postgres://)',
    });
    await assert.rejects(openBlobStore('gs://bucket'), {
      message: 'unknown blob store scheme gs:// (supported: file://, s3://)',
    });
    // Each store's scheme belongs to it alone.
    await assert.rejects(openIndexStore('file://x.sqlite'), /unknown index store scheme file:\/\//);
    await assert.rejects(openBlobStore('sqlite://x'), /unknown blob store scheme sqlite:\/\//);
  });

  test('a URL without a scheme or without a path is refused', async () => {
    await assert.rejects(
      openIndexStore('/var/lib/openkvs/index.sqlite'),
      /must start with a scheme \(supported: sqlite:\/\/, postgres:\/\/\)/,
    );
    await assert.rejects(openIndexStore('sqlite:data.db'), /must start with a scheme/);
    await assert.rejects(openIndexStore('sqlite://'), /sqlite:\/\/ URL has no path/);
    await assert.rejects(openBlobStore('file://'), /file:\/\/ URL has no path/);
  });
});
