import pg from 'pg';
import { connectionSettings, KEEPALIVE_INITIAL_DELAY_MS } from './connection.js';

/**
 * The connection pool behind the PostgreSQL index, and the one transaction helper every
 * multi-statement call goes through.
 */

/** Anything that runs a query: the pool (autocommit) or a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * A pool over `url` (postgres://user:password@host:port/database?...). Query parameters of the
 * URL are passed to `pg` as connection options (e.g. `sslmode`, `options=-c search_path=openkvs`,
 * `application_name`, `statement_timeout`), except `max`, `connect_timeout` and `query_timeout`,
 * which openkvs reads itself (postgres/connection.ts): every wait on the server is bounded.
 */
export function createPool(url: string): pg.Pool {
  const settings = connectionSettings(url);
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    query_timeout: settings.queryTimeoutMs || undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
    application_name: 'openkvs',
    ...(settings.max === undefined ? {} : { max: settings.max }),
  });
  // An idle connection that the server drops (restart, failover) emits 'error' on the pool; the
  // pool discards it and the next call connects anew. Without a listener it would crash the process.
  pool.on('error', () => {});
  return pool;
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
