import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  migrate,
  schemaVersion,
  type Migration,
} from '../../../src/storage/sqlite/migrations.js';
import { SqliteIndexStore } from '../../../src/storage/sqlite/sqlite-index-store.js';

function columnsOf(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
}

function tablesOf(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((row) => row.name);
}

const COUNTER_V1: Migration = {
  version: 1,
  description: 'counter',
  statements: ['CREATE TABLE runs (migration INTEGER NOT NULL)', 'INSERT INTO runs VALUES (1)'],
};
const COUNTER_V2: Migration = { version: 2, description: 'second run', statements: ['INSERT INTO runs VALUES (2)'] };

describe('index database migrations', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openkvs-migrations-'));
    path = join(dir, 'index.sqlite');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('migration versions run 1, 2, 3, ... and the latest is the last one', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1),
    );
    assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
    assert.ok(LATEST_SCHEMA_VERSION >= 1);
  });

  test('an empty database is migrated to the latest schema', async () => {
    await SqliteIndexStore.open(path).close();
    const db = new Database(path);
    try {
      assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
      assert.deepEqual(tablesOf(db), ['fragment_sequence', 'fragments', 'periodic_tasks', 'resource_tags', 'streams', 'track_headers']);
      assert.deepEqual(columnsOf(db, 'streams'), [
        'stream_id', 'name', 'arn', 'device_name', 'media_type', 'kms_key_id', 'version', 'status',
        'creation_time_ms', 'data_retention_hours', 'storage_tier', 'image_generation_json', 'notification_json',
      ]);
      assert.deepEqual(columnsOf(db, 'resource_tags'), ['resource_arn', 'tag_key', 'tag_value']);
      assert.deepEqual(columnsOf(db, 'fragments'), [
        'stream_id', 'fragment_number', 'cluster_timecode', 'producer_ts_ms', 'server_ts_ms', 'duration_ms', 'size',
        'header_id', 'blob_key', 'blob_offset', 'frame_index', 'tags_json',
      ]);
      assert.deepEqual(columnsOf(db, 'track_headers'), ['header_id', 'hash', 'bytes']);
      assert.deepEqual(columnsOf(db, 'periodic_tasks'), ['task', 'last_claimed_ms']);
      assert.deepEqual(columnsOf(db, 'fragment_sequence'), ['singleton', 'last_reserved']);
      const indexes = db
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fragments' AND sql IS NOT NULL ORDER BY name")
        .pluck()
        .all();
      assert.deepEqual(indexes, ['fragments_by_blob_end', 'fragments_by_producer_ts_number', 'fragments_by_server_ts_number', 'fragments_listing']);
    } finally {
      db.close();
    }
  });

  test('re-opening a migrated database keeps its data and applies nothing again', async () => {
    const first = SqliteIndexStore.open(path);
    await first.putTags('arn:x', { k: 'v' }, 50);
    await first.close();
    const second = SqliteIndexStore.open(path);
    try {
      assert.deepEqual(await second.listTags('arn:x'), { k: 'v' });
    } finally {
      await second.close();
    }
  });

  test('a database at schema version 1 is upgraded and keeps its streams', async () => {
    const v1 = new Database(path);
    migrate(v1, MIGRATIONS.slice(0, 1));
    v1.prepare(
      `INSERT INTO streams (name, arn, kms_key_id, version, status, creation_time_ms, data_retention_hours, storage_tier)
       VALUES ('old', 'arn:old', 'kms', 'v1', 'ACTIVE', 1, 24, 'HOT')`,
    ).run();
    v1.close();
    const store = SqliteIndexStore.open(path);
    try {
      const old = await store.getStreamByName('old');
      assert.equal(old?.arn, 'arn:old');
      assert.equal(await store.reserveFragmentSequence(1), 1n);
      assert.deepEqual(await store.listFragments(old.streamId, { limit: 10 }), []);
    } finally {
      await store.close();
    }
  });

  test('migrate applies each migration once, and only the new ones later', () => {
    const db = new Database(path);
    try {
      migrate(db, [COUNTER_V1]);
      migrate(db, [COUNTER_V1]);
      assert.deepEqual(db.prepare('SELECT migration FROM runs').pluck().all(), [1]);
      assert.equal(schemaVersion(db), 1);
      migrate(db, [COUNTER_V1, COUNTER_V2]);
      migrate(db, [COUNTER_V1, COUNTER_V2]);
      assert.deepEqual(db.prepare('SELECT migration FROM runs ORDER BY migration').pluck().all(), [1, 2]);
      assert.equal(schemaVersion(db), 2);
    } finally {
      db.close();
    }
  });

  test('a failing migration rolls back whole and leaves the previous version', () => {
    const broken: Migration = {
      version: 2,
      description: 'broken',
      statements: ['CREATE TABLE half_done (x INTEGER)', 'INSERT INTO no_such_table VALUES (1)'],
    };
    const db = new Database(path);
    try {
      assert.throws(() => migrate(db, [COUNTER_V1, broken]), /no_such_table/);
      assert.equal(schemaVersion(db), 1);
      assert.deepEqual(tablesOf(db), ['runs']);
    } finally {
      db.close();
    }
  });

  test('a migration list with a gap is refused before anything runs', () => {
    const db = new Database(path);
    try {
      assert.throws(() => migrate(db, [COUNTER_V1, { ...COUNTER_V2, version: 3 }]), /expected 2/);
      assert.equal(schemaVersion(db), 0);
      assert.deepEqual(tablesOf(db), []);
    } finally {
      db.close();
    }
  });

  test('a database newer than the code refuses to open and is left untouched', () => {
    const newer = LATEST_SCHEMA_VERSION + 1;
    const setup = new Database(path);
    setup.pragma(`user_version = ${newer}`);
    setup.close();

    assert.throws(
      () => SqliteIndexStore.open(path),
      (err: unknown) =>
        err instanceof Error &&
        err.message.includes(`schema version ${newer} is newer`) &&
        err.message.includes(`(${LATEST_SCHEMA_VERSION})`),
    );
    const db = new Database(path);
    try {
      assert.equal(schemaVersion(db), newer);
      assert.deepEqual(tablesOf(db), []);
    } finally {
      db.close();
    }
  });
});
