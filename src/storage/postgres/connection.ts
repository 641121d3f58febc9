import { isNetworkError } from '../unavailable.js';

/**
 * How openkvs connects to PostgreSQL: the URL the user gives, minus the parameters openkvs reads
 * itself, plus bounded waits. Without bounds a stopped or unreachable server would hang an ingest
 * forever (pg's default is to wait indefinitely for a connection and for every answer).
 *
 * URL parameters read here (everything else goes to `pg` as a connection option, e.g. sslmode,
 * application_name, `options=-c search_path=openkvs`, statement_timeout):
 * - `max`: pool size (default 10);
 * - `connect_timeout`: seconds to establish a connection, libpq's name (default 5);
 * - `query_timeout`: milliseconds to wait for any answer before the connection is given up
 *   (default 30000; 0 waits forever). It fires on a server that stopped answering; a slow but
 *   live server is better bounded by `statement_timeout`, which PostgreSQL enforces itself.
 */
export interface PgConnectionSettings {
  /** The URL without openkvs's own parameters. */
  readonly connectionString: string;
  readonly max: number | undefined;
  readonly connectTimeoutMs: number;
  /** 0: none. */
  readonly queryTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** TCP keepalive probes start after this much silence, so a vanished peer is noticed. */
export const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

export function connectionSettings(url: string): PgConnectionSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // pg reports an unparseable URL better than we could; use the defaults.
    return { connectionString: url, max: undefined, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS };
  }
  let taken = false;
  const take = (name: string): string | null => {
    const value = parsed.searchParams.get(name);
    if (value !== null) taken = true;
    parsed.searchParams.delete(name);
    return value;
  };
  const max = take('max');
  const connectTimeoutS = take('connect_timeout');
  const queryTimeoutMs = take('query_timeout');
  return {
    // Re-serialised only when something was taken out: the user's URL otherwise reaches pg untouched.
    connectionString: taken ? parsed.toString() : url,
    max: max === null ? undefined : integerParameter('max', max, 1),
    connectTimeoutMs: connectTimeoutS === null ? DEFAULT_CONNECT_TIMEOUT_MS : integerParameter('connect_timeout', connectTimeoutS, 1) * 1000,
    queryTimeoutMs: queryTimeoutMs === null ? DEFAULT_QUERY_TIMEOUT_MS : integerParameter('query_timeout', queryTimeoutMs, 0),
  };
}

function integerParameter(name: string, value: string, min: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    throw new Error(`postgres:// URL parameter ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return number;
}

/**
 * SQLSTATE classes and codes that mean "the database cannot serve now" rather than "this request
 * is wrong" (PostgreSQL manual, Appendix A): 08 connection exception, 53 insufficient resources
 * (disk full, too many connections), 57P01-57P05 shutdown / cannot connect now / idle session
 * timeout, 57014 query canceled (statement_timeout), 58 system error (I/O). Serialization failures
 * and deadlocks (40001, 40P01) are left out: they are conflicts between calls, not an outage.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0|58)|^57014$/;

/** pg's and pg-pool's own messages for a connection that failed, dropped or timed out. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout expired',
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

export function isPostgresUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (isNetworkError(err)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_SQLSTATE.test(code);
  return DRIVER_MESSAGES.some((message) => err.message.startsWith(message));
}
