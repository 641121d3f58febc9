import type pg from 'pg';
import { MIGRATIONS, type Migration } from '../sqlite/migrations.js';
import { toPostgresMigrations } from './dialect.js';
import { toSafeInteger } from './rows.js';

/**
 * Schema migrations for the PostgreSQL index: the shared migration list, translated
 * (postgres/dialect.ts), tracked in a `schema_version` table (one row per applied migration).
 *
 * Several nodes may start at once against one database: a session-level advisory lock makes them
 * migrate one after another, and each re-reads the version once it holds the lock. Each migration
 * commits on its own together with its schema_version row (PostgreSQL DDL is transactional), so
 * a failure leaves the database at the last good version.
 */

/** pg_advisory_lock key of the migration lock: "okvs" + "mig1" as one bigint. */
const MIGRATION_LOCK_KEY = '8028074786622301489';

const CREATE_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ present: boolean }>("SELECT to_regclass('schema_version') IS NOT NULL AS present");
  if (exists.rows[0]?.present !== true) return 0;
  const result = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_version');
  return toSafeInteger(result.rows[0]?.version ?? 0, 'schema_version.version');
}

export async function migrate(client: pg.ClientBase, shared: readonly Migration[] = MIGRATIONS): Promise<void> {
  const migrations = toPostgresMigrations(shared);
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(CREATE_VERSION_TABLE);
    const current = await schemaVersion(client);
    refuseNewerSchema(current, migrations.length);
    for (const migration of migrations) {
      if (migration.version > current) await applyOne(client, migration);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

async function applyOne(client: pg.ClientBase, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const statement of migration.statements) await client.query(statement);
    await client.query('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [
      migration.version,
      migration.description,
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw new Error(`index database migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`, {
      cause: err,
    });
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
