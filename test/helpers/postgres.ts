import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { REPO_ROOT } from './process.js';
import { freePort, serviceUnavailable } from './services.js';

/**
 * A throwaway PostgreSQL cluster for the tests, started by scripts/postgres-local.sh (the same
 * script the local cluster example uses): initdb into a temporary directory, listening on
 * 127.0.0.1 at a free port, stopped and deleted by stop() (or, failing that, when the test process
 * exits). Durability is switched off (fsync=off) unless asked for: the cluster lives for one test
 * file and speed matters.
 */
export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Runs one statement as the superuser against `database` (default: postgres). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  /** Outage: a clean server shutdown (connections are terminated, new ones refused); data is kept. */
  shutdown(): Promise<void>;
  /** Starts the server again after shutdown(), on the same port with the same data. */
  restart(): Promise<void>;
  /** Outage of the worst kind: every server process SIGSTOPped, so connections open but nothing answers. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'postgres-local.sh');
const run = promisify(execFile);

/** Where Debian installs the server binaries, newest version first; else PATH. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = path.join(root, version, 'bin');
      if (existsSync(path.join(bin, 'initdb'))) return bin;
    }
  }
  const onPath = (process.env['PATH'] ?? '').split(path.delimiter).find((dir) => existsSync(path.join(dir, 'initdb')));
  return onPath;
}

/**
 * Why the PostgreSQL tests cannot run here, or false when they can. In CI (CI=true) a missing
 * PostgreSQL throws instead: .ci/run installs it, so its absence is a failure, not a skip.
 */
export function postgresUnavailable(): string | false {
  return serviceUnavailable(findPostgresBin() !== undefined, 'PostgreSQL server binaries (apt-get install postgresql)');
}

export interface PostgresStartOptions {
  /** Keep fsync and synchronous commits on (benchmarks); tests default to off, for speed. */
  readonly durable?: boolean;
}

async function script(action: string, dir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, action, dir], { env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout;
}

export async function startPostgres(options: PostgresStartOptions = {}): Promise<PostgresServer> {
  if (findPostgresBin() === undefined) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const parent = await mkdtemp(path.join(tmpdir(), 'openkvs-pg-'));
  // As root the server runs as `postgres`, which must be able to reach its directory inside.
  await chmod(parent, 0o711);
  let lastError: unknown;
  // Another process may take the free port before the server binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = path.join(parent, `cluster-${attempt}`);
    const port = await freePort();
    try {
      await script('start', dir, { PG_PORT: String(port), PG_DURABLE: options.durable ? '1' : '0' });
      return serverHandle(parent, dir, port);
    } catch (err) {
      lastError = new Error(`PostgreSQL did not start: ${(err as Error).message}\n${(err as { stderr?: string }).stderr ?? ''}`);
    }
  }
  await rm(parent, { recursive: true, force: true });
  throw lastError;
}

function serverHandle(parent: string, dir: string, port: number): PostgresServer {
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  // If the test process dies without stop(), do not leave a server running.
  const onExit = () => {
    spawnSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
    spawnSync('rm', ['-rf', parent]);
  };
  process.once('exit', onExit);
  let databases = 0;
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database?: string) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    url,
    query,
    async createDatabase() {
      databases += 1;
      const name = `openkvs_test_${databases}`;
      // A linguistic (ICU) collation, unlike the C cluster default: the adapter must not depend
      // on the database's collation for byte-order results.
      await query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
      return url(name);
    },
    shutdown: () => script('shutdown', dir).then(() => {}),
    restart: () => script('restart', dir).then(() => {}),
    pause: () => script('pause', dir).then(() => {}),
    resume: () => script('resume', dir).then(() => {}),
    async stop() {
      process.off('exit', onExit);
      await script('stop', dir);
      await rm(parent, { recursive: true, force: true });
    },
  };
}
