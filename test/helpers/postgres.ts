import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, serviceUnavailable } from './services.js';

/**
 * A throwaway PostgreSQL cluster for the tests: initdb into a temporary directory, listening on
 * 127.0.0.1 at a free port, stopped and deleted by stop() (or, failing that, when the test
 * process exits). As root, initdb and the server run as the `postgres` user (both refuse root).
 * Durability is switched off (fsync=off) unless asked for: the cluster lives for one test file
 * and speed matters.
 */
export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Runs one statement as the superuser against `database` (default: postgres). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  stop(): Promise<void>;
}

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

/** As root, commands run as `postgres` through runuser; otherwise as the current user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function runAsServerUser(command: string, args: string[]): Promise<void> {
  const [file, argv] = asServerUser(command, args);
  await run(file, argv, { timeout: 60_000 });
}

export interface PostgresStartOptions {
  /** Keep fsync and synchronous commits on (benchmarks); tests default to off, for speed. */
  readonly durable?: boolean;
}

export async function startPostgres(options: PostgresStartOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = await mkdtemp(path.join(tmpdir(), 'openkvs-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    await chown(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  try {
    await runAsServerUser(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8']);
    const port = await startServerOnFreePort(bin, dir, data, options.durable === true);
    return serverHandle(bin, dir, data, port);
  } catch (err) {
    const log = await readFile(path.join(dir, 'log'), 'utf8').catch(() => '');
    await stopCluster(bin, dir, data);
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, but there is no postgres user to run initdb as');
  return { uid, gid };
}

/** Another process may take the free port first: try a few. */
async function startServerOnFreePort(bin: string, dir: string, data: string, durable: boolean): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const serverOptions = [
      `-k ${dir}`, '-c listen_addresses=127.0.0.1', `-p ${port}`, '-c max_connections=200',
      ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    try {
      await runAsServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '30', '-o', serverOptions, 'start']);
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function stopCluster(bin: string, dir: string, data: string): Promise<void> {
  if (existsSync(path.join(data, 'postmaster.pid'))) {
    await runAsServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
  }
  await rm(dir, { recursive: true, force: true });
}

function serverHandle(bin: string, dir: string, data: string, port: number): PostgresServer {
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  // If the test process dies without stop(), do not leave a server running.
  const onExit = () => {
    const [file, argv] = asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(file, argv, { stdio: 'ignore' });
    spawnSync('rm', ['-rf', dir]);
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
    async stop() {
      process.off('exit', onExit);
      await stopCluster(bin, dir, data);
    },
  };
}
