import type { Database } from 'better-sqlite3';

/**
 * Schema migrations for the index database, applied in order and tracked by PRAGMA user_version.
 *
 * The SQL is kept to what SQLite and PostgreSQL both accept, so that the PostgreSQL adapter can
 * share it; the SQLite-only spellings, which a shared runner would have to rewrite, are
 * `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL: `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`)
 * and `BLOB` (PostgreSQL: `BYTEA`).
 * Never edit a migration that has shipped: append a new one.
 */
export interface Migration {
  /** 1, 2, 3, ...: the user_version the database has once this migration is applied. */
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'streams and resource tags',
    statements: [
      // AUTOINCREMENT, not a plain rowid: a plain rowid hands the highest id out again once its
      // stream is deleted, and a re-created stream must never be mistaken for the old one.
      `CREATE TABLE streams (
        stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        arn TEXT NOT NULL UNIQUE,
        device_name TEXT,
        media_type TEXT,
        kms_key_id TEXT NOT NULL,
        version TEXT NOT NULL,
        status TEXT NOT NULL,
        creation_time_ms BIGINT NOT NULL,
        data_retention_hours INTEGER NOT NULL,
        storage_tier TEXT NOT NULL,
        image_generation_json TEXT,
        notification_json TEXT
      )`,
      // No foreign key to streams: tags belong to any resource ARN (streams, later channels).
      `CREATE TABLE resource_tags (
        resource_arn TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        tag_value TEXT NOT NULL,
        PRIMARY KEY (resource_arn, tag_key)
      )`,
    ],
  },
  {
    version: 2,
    description: 'fragments, track headers and the fragment sequence',
    statements: [
      // One row per distinct track header (Info + Tracks as received); fragments point at it.
      `CREATE TABLE track_headers (
        header_id INTEGER PRIMARY KEY AUTOINCREMENT,
        hash TEXT NOT NULL UNIQUE,
        bytes BLOB NOT NULL
      )`,
      // fragment_number is fixed-width decimal text (domain/fragment.ts), so text order is
      // numeric order. Times are integer milliseconds; cluster_timecode is in TimecodeScale ticks.
      // No ON DELETE CASCADE: deleteStream removes a stream's fragments itself, in its transaction.
      `CREATE TABLE fragments (
        stream_id BIGINT NOT NULL REFERENCES streams (stream_id),
        fragment_number TEXT NOT NULL,
        cluster_timecode BIGINT NOT NULL,
        producer_ts_ms BIGINT NOT NULL,
        server_ts_ms BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        size BIGINT NOT NULL,
        header_id BIGINT NOT NULL REFERENCES track_headers (header_id),
        blob_key TEXT NOT NULL,
        blob_offset BIGINT NOT NULL,
        frame_index BLOB NOT NULL,
        tags_json TEXT NOT NULL,
        PRIMARY KEY (stream_id, fragment_number)
      )`,
      // Archive reads: fragments of a stream by producer time and by server time.
      'CREATE INDEX fragments_by_producer_ts ON fragments (stream_id, producer_ts_ms)',
      'CREATE INDEX fragments_by_server_ts ON fragments (stream_id, server_ts_ms)',
      // Recovery: the end of the last referenced byte per blob key is the first entry of this
      // index for the key, read backwards, so referencedBlobExtents never scans the table.
      'CREATE INDEX fragments_by_blob_end ON fragments (blob_key, (blob_offset + size))',
      // The fragment sequence high-water mark: the last number handed out, in one row.
      `CREATE TABLE fragment_sequence (
        singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
        last_reserved BIGINT NOT NULL
      )`,
      'INSERT INTO fragment_sequence (singleton, last_reserved) VALUES (1, 0)',
    ],
  },
  {
    version: 3,
    description: 'listing indexes: fragment summaries and timestamp indexes that carry the fragment number',
    statements: [
      // Everything a listing shows (ListFragments), in number order, without reading the rows:
      // the rows hold the frame index, so a page of 1000 would otherwise read ~1.3 MB of them.
      `CREATE INDEX fragments_listing ON fragments
        (stream_id, fragment_number, producer_ts_ms, server_ts_ms, duration_ms, size)`,
      // With the number in the index, a time range's fragment numbers (the span ListFragments
      // pages through) and (timestamp, number) orders are read from the index alone.
      'CREATE INDEX fragments_by_producer_ts_number ON fragments (stream_id, producer_ts_ms, fragment_number)',
      'CREATE INDEX fragments_by_server_ts_number ON fragments (stream_id, server_ts_ms, fragment_number)',
      // Their prefixes: the new indexes serve every query these did.
      'DROP INDEX fragments_by_producer_ts',
      'DROP INDEX fragments_by_server_ts',
    ],
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to the newest migration in `migrations`. Each migration commits on its
 * own, together with its user_version bump, so a failure leaves the database at the last good
 * version. Throws without touching anything when the database is newer than the code.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): void {
  assertConsecutive(migrations);
  refuseNewerSchema(schemaVersion(db), migrations.length);
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock before re-reading the version, so two processes opening
    // the same file at once cannot both apply the same migration.
    db.transaction(() => {
      const current = schemaVersion(db);
      refuseNewerSchema(current, migrations.length);
      if (current >= migration.version) return;
      for (const statement of migration.statements) db.exec(statement);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

function refuseNewerSchema(current: number, known: number): void {
  if (current > known) {
    throw new Error(
      `index database schema version ${current} is newer than this openkvs supports (${known}); ` +
        'upgrade openkvs, or point it at another database',
    );
  }
}

function assertConsecutive(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration #${index} has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
