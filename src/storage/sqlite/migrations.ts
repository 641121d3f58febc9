import type { Database } from 'better-sqlite3';

/**
 * Schema migrations for the index database, applied in order and tracked by PRAGMA user_version.
 *
 * The SQL is kept to what SQLite and PostgreSQL both accept, so that the PostgreSQL adapter can
 * share it; the one SQLite-only spelling is `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL:
 * `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`), which a shared runner would have to rewrite.
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
