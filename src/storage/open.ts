import { resolve } from 'node:path';
import type { Logger } from '../util/logger.js';
import { LocalFragmentFeed, type FragmentFeed } from './fragment-feed.js';
import { PgFragmentFeed } from './postgres/pg-fragment-feed.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs/fs-blob-store.js';
import type { IndexStore } from './index-store.js';
import { PostgresIndexStore } from './postgres/postgres-index-store.js';
import { S3BlobStore } from './s3/s3-blob-store.js';
import type { S3Options } from './s3/s3-options.js';
import { SqliteIndexStore } from './sqlite/sqlite-index-store.js';

/**
 * Storage URLs from configuration.
 * - Embedded: everything after `scheme://` is a filesystem path: `sqlite:///var/lib/openkvs/index.sqlite`
 *   is absolute, `sqlite://data/index.sqlite` is relative to the working directory; `file://PATH` likewise.
 * - Cluster: `postgres://user:password@host:port/database?...` (or `postgresql://`), passed to `pg`
 *   as is; `s3://bucket/prefix` with the S3 options (endpoint, region, path style, checksums).
 */

const INDEX_SCHEMES = ['sqlite://', 'postgres://'];
const BLOB_SCHEMES = ['file://', 's3://'];

export async function openIndexStore(url: string): Promise<IndexStore> {
  const scheme = schemeOf(url);
  if (scheme === 'sqlite') return SqliteIndexStore.open(pathAfterScheme(url, scheme));
  if (isPostgresScheme(scheme)) return PostgresIndexStore.open(url);
  throw unsupported('index store', scheme, INDEX_SCHEMES);
}

/** Whether the index is PostgreSQL (shared by the nodes of a cluster) rather than an embedded SQLite file. */
export function isSharedIndex(indexUrl: string): boolean {
  return isPostgresScheme(schemeOf(indexUrl));
}

function isPostgresScheme(scheme: string | undefined): boolean {
  return scheme === 'postgres' || scheme === 'postgresql';
}

/**
 * The fragment feed that goes with an index: across nodes through PostgreSQL LISTEN/NOTIFY when
 * the index is shared, in memory otherwise.
 */
export async function openFragmentFeed(indexUrl: string, log: Logger): Promise<FragmentFeed> {
  if (isSharedIndex(indexUrl)) return PgFragmentFeed.open(indexUrl, log);
  return new LocalFragmentFeed();
}

export interface BlobStoreOptions {
  /** Used by s3:// URLs only. */
  readonly s3?: S3Options;
}

export async function openBlobStore(url: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
  const scheme = schemeOf(url);
  if (scheme === 'file') return FsBlobStore.open(pathAfterScheme(url, scheme));
  if (scheme === 's3') return S3BlobStore.open(url, options.s3);
  throw unsupported('blob store', scheme, BLOB_SCHEMES);
}

/** A storage URL fit for logs: a password in it (postgres://user:password@...) is masked. */
export function redactStorageUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/, '$1***@');
}

/** The lower-cased scheme, or undefined when `url` does not start with `scheme://`. */
function schemeOf(url: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
}

function pathAfterScheme(url: string, scheme: string): string {
  const path = url.slice(scheme.length + '://'.length);
  if (path === '') throw new Error(`${scheme}:// URL has no path; e.g. ${scheme}://data/openkvs`);
  return resolve(path);
}

/** The message names only the scheme: the rest of a URL may hold credentials. */
function unsupported(what: string, scheme: string | undefined, supported: string[]): Error {
  const supportedText = `supported: ${supported.join(', ')}`;
  if (scheme === undefined) return new Error(`${what} URL must start with a scheme (${supportedText})`);
  return new Error(`unknown ${what} scheme ${scheme}:// (${supportedText})`);
}

/**
 * The fragment files as a worker of `serve --workers` on the embedded backend uses them, beside
 * the storage process that opened and recovered them: it reads any and appends to its own series.
 */
export function openWorkerBlobs(url: string): BlobStore {
  const scheme = schemeOf(url);
  if (scheme === 'file') return FsBlobStore.openBeside(pathAfterScheme(url, scheme));
  throw unsupported('worker blob store', scheme, ['file://']);
}
