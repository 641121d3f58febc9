import pg from 'pg';

/**
 * The connection pool behind the PostgreSQL index, and the one transaction helper every
 * multi-statement call goes through.
 */

/** Anything that runs a query: the pool (autocommit) or a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Waiting longer than this for a connection fails the call instead of hanging an ingest. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A pool over `url` (postgres://user:password@host:port/database?...). Query parameters of the
 * URL are passed to `pg` as connection options (e.g. `sslmode`, `options=-c search_path=openkvs`,
 * `application_name`); `max` sets the pool size (default 10).
 */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'openkvs',
    ...poolSize(url),
  });
  // An idle connection that the server drops (restart, failover) emits 'error' on the pool; the
  // pool discards it and the next call connects anew. Without a listener it would crash the process.
  pool.on('error', () => {});
  return pool;
}

function poolSize(url: string): { max?: number } {
  let max: string | null = null;
  try {
    max = new URL(url).searchParams.get('max');
  } catch {
    return {};
  }
  if (max === null) return {};
  const size = Number(max);
  if (!Number.isSafeInteger(size) || size < 1) throw new Error(`postgres:// URL parameter max must be a positive integer, got ${max}`);
  return { max: size };
}

/**
 * Runs `work` inside BEGIN/COMMIT on one pooled connection; rolls back and rethrows if it
 * throws. A connection whose rollback fails too is broken and is destroyed, not reused.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError as Error;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A URL safe to log or put in an error message: the password replaced. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
