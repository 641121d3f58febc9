import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseCorsOrigins, type CorsOrigins } from './http/cors.js';
import { S3_CHECKSUM_MODES, type S3ChecksumMode, type S3Options } from './storage/s3/s3-options.js';
import type { LogLevel } from './util/logger.js';

/** Everything the server needs, validated once at start-up (cli.ts and tests build this). */
export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** What GetDataEndpoint returns; undefined means the URL the server listens on. */
  readonly publicUrl: string | undefined;
  readonly region: string;
  readonly accountId: string;
  /** AWS shared-credentials file; undefined means open mode (every request accepted). */
  readonly credentialsFile: string | undefined;
  readonly indexUrl: string;
  readonly storageUrl: string;
  /** How to reach the object store of an s3:// storage URL (credentials: the AWS default chain). */
  readonly s3: S3Options;
  /**
   * Signs HLS/DASH session tokens (64+ hex digits or base64 of 32+ bytes); undefined: a secret
   * kept in the data dir. Nodes of a cluster must share one, so each verifies the others' tokens.
   */
  readonly sessionSecret: string | undefined;
  /**
   * Origins whose pages may read answers (CORS): `*` (default: requests are authorized by SigV4
   * or session tokens, not cookies) or a list of `scheme://host[:port]`.
   */
  readonly corsOrigins: CorsOrigins;
  /**
   * Bearer token `/metrics` requires; undefined: in secured mode only loopback clients may read
   * it, in open mode anyone who reaches the port.
   */
  readonly metricsToken: string | undefined;
  /**
   * Most bytes PutMedia holds for fragments not yet durable; past it the sockets of the sessions
   * holding the most are not read (ingest/memory-budget.ts).
   */
  readonly ingestMemoryBudgetBytes: number;
  /**
   * Processes serving requests: 1 serves in this process; more fork workers that share the port
   * (workers/primary.ts), this process then writing the embedded backend for all of them.
   */
  readonly workers: number;
  /** Allows a non-loopback bind without credentials. */
  readonly insecure: boolean;
  readonly logLevel: LogLevel;
}

/** The S3 options arrive as flat flags: --s3-endpoint, --s3-region, --s3-force-path-style, --s3-checksum, --s3-request-timeout. */
type RawOptionName =
  | Exclude<keyof ServerOptions, 's3' | 'ingestMemoryBudgetBytes'>
  | 's3Endpoint'
  | 's3Region'
  | 's3ForcePathStyle'
  | 's3Checksum'
  | 's3RequestTimeout'
  | 'ingestMemoryBudgetMb';

export type RawOptions = Partial<Record<RawOptionName, string | boolean | number | undefined>>;

export class ConfigError extends Error {}

export const DEFAULT_PORT = 4570;
/**
 * Sized for a 2-core box: each 2 Mbit/s camera holds its 2-s fragment while it arrives (~250 KB on
 * average, 500 KB at the end, plus part of a 64-KiB slab at either end), so 1000 cameras hold
 * ~330 MB, which stays under 7/8 of 384 MiB; this box runs out of CPU long before (~600 cameras,
 * bench/README.md). The process itself takes ~300 MB more at 1000 connections.
 */
export const DEFAULT_INGEST_MEMORY_BUDGET_MB = 384;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Applies defaults and checks every option; throws ConfigError naming the bad option. */
export function resolveOptions(raw: RawOptions): ServerOptions {
  const host = str(raw.host) ?? '127.0.0.1';
  const dataDir = path.resolve(str(raw.dataDir) ?? 'data');
  const options: ServerOptions = {
    host,
    port: parsePort(raw.port),
    dataDir,
    publicUrl: parsePublicUrl(str(raw.publicUrl)),
    region: match('region', str(raw.region) ?? 'us-east-1', /^[a-z]{2}(-[a-z]+)+-\d+$/),
    accountId: match('account-id', str(raw.accountId) ?? '000000000000', /^\d{12}$/),
    credentialsFile: str(raw.credentialsFile),
    indexUrl: str(raw.indexUrl) ?? `sqlite://${path.join(dataDir, 'index.sqlite')}`,
    storageUrl: str(raw.storageUrl) ?? `file://${path.join(dataDir, 'fragments')}`,
    s3: parseS3Options(raw),
    sessionSecret: str(raw.sessionSecret),
    corsOrigins: parseCors(str(raw.corsOrigins) ?? '*'),
    metricsToken: parseMetricsToken(str(raw.metricsToken)),
    ingestMemoryBudgetBytes: parseMemoryBudget(str(raw.ingestMemoryBudgetMb)),
    workers: parseWorkers(str(raw.workers)),
    insecure: flag(raw.insecure),
    logLevel: parseLogLevel(str(raw.logLevel) ?? 'info'),
  };
  if (!/^s3:\/\//i.test(options.storageUrl) && Object.values(options.s3).some((v) => v !== undefined)) {
    throw new ConfigError('--s3-* options need an s3:// --storage URL');
  }
  if (!isLoopbackHost(host) && options.credentialsFile === undefined && !options.insecure) {
    throw new ConfigError(
      `refusing to listen on ${host} without credentials: anyone who can reach it could read and write ` +
        'every stream. Pass --credentials FILE, bind 127.0.0.1, or pass --insecure.',
    );
  }
  return options;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The URL clients reach the server at, once the port is known. */
export function listenUrl(host: string, port: number): string {
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${isIP(shownHost) === 6 ? `[${shownHost}]` : shownHost}:${port}`;
}

function str(value: string | boolean | number | undefined): string | undefined {
  if (value === undefined || value === '' || typeof value === 'boolean') return undefined;
  return String(value);
}

function flag(value: string | boolean | number | undefined): boolean {
  return value === true || value === 'true' || value === '1';
}

function parseS3Options(raw: RawOptions): S3Options {
  const endpoint = str(raw.s3Endpoint);
  if (endpoint !== undefined) parseHttpUrl('s3-endpoint', endpoint);
  const region = str(raw.s3Region);
  const checksum = str(raw.s3Checksum);
  if (checksum !== undefined && !(S3_CHECKSUM_MODES as readonly string[]).includes(checksum)) {
    throw new ConfigError(`--s3-checksum must be one of ${S3_CHECKSUM_MODES.join(', ')}`);
  }
  const requestTimeout = str(raw.s3RequestTimeout);
  return {
    endpoint,
    region: region === undefined ? undefined : match('s3-region', region, /^[a-z0-9-]{1,64}$/),
    forcePathStyle: raw.s3ForcePathStyle === undefined || raw.s3ForcePathStyle === '' ? undefined : flag(raw.s3ForcePathStyle),
    checksum: checksum as S3ChecksumMode | undefined,
    requestTimeoutMs: requestTimeout === undefined ? undefined : Number(match('s3-request-timeout', requestTimeout, /^[1-9]\d{0,6}$/)),
  };
}

function parseHttpUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`--${option} is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--${option} must be http(s)`);
  return url;
}

function parsePort(value: RawOptions['port']): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0-65535, got ${value}`);
  return port;
}

function parsePublicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`--public-url is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('--public-url must be http(s)');
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError('--public-url must have no path or query: clients append /putMedia, /getMedia, ...');
  }
  return url.origin;
}

function parseCors(value: string): CorsOrigins {
  try {
    return parseCorsOrigins(value);
  } catch (err) {
    throw new ConfigError(`--cors-origins: ${(err as Error).message}`);
  }
}

function parseMetricsToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{16,}$/.test(value)) throw new ConfigError('--metrics-token must be 16 or more printable characters without spaces');
  return value;
}

function parseMemoryBudget(value: string | undefined): number {
  if (value === undefined) return DEFAULT_INGEST_MEMORY_BUDGET_MB * 1024 * 1024;
  // Below a few MiB a single camera's fragment no longer fits and every session would be shed.
  const mb = Number(value);
  if (!/^\d{1,6}$/.test(value) || mb < 8) throw new ConfigError(`--ingest-memory-budget must be a whole number of MiB, at least 8, got ${value}`);
  return mb * 1024 * 1024;
}

/** `auto`: one per core the process may use. */
function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const workers = Number(value);
  if (!/^\d{1,2}$/.test(value) || workers < 1 || workers > 64) throw new ConfigError(`--workers must be auto or a whole number from 1 to 64, got ${value}`);
  return workers;
}

function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

function match(option: string, value: string, re: RegExp): string {
  if (!re.test(value)) throw new ConfigError(`--${option} is invalid: ${value}`);
  return value;
}
