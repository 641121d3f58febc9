import { resolve } from 'node:path';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs/fs-blob-store.js';
import type { IndexStore } from './index-store.js';
import { SqliteIndexStore } from './sqlite/sqlite-index-store.js';

/**
 * Storage URLs from configuration. For the embedded adapters everything after `scheme://` is a
 * filesystem path: `sqlite:///var/lib/openkvs/index.sqlite` is absolute, `sqlite://data/index.sqlite`
 * is relative to the working directory.
 */

const PLANNED_INDEX_SCHEMES = ['postgres', 'postgresql'];
const PLANNED_BLOB_SCHEMES = ['s3'];

export async function openIndexStore(url: string): Promise<IndexStore> {
  const scheme = schemeOf(url);
  if (scheme === 'sqlite') return SqliteIndexStore.open(pathAfterScheme(url, scheme));
  throw unsupported('index store', scheme, ['sqlite://'], PLANNED_INDEX_SCHEMES);
}

export async function openBlobStore(url: string): Promise<BlobStore> {
  const scheme = schemeOf(url);
  if (scheme === 'file') return FsBlobStore.open(pathAfterScheme(url, scheme));
  throw unsupported('blob store', scheme, ['file://'], PLANNED_BLOB_SCHEMES);
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
function unsupported(what: string, scheme: string | undefined, supported: string[], planned: string[]): Error {
  const supportedText = `supported: ${supported.join(', ')}`;
  if (scheme === undefined) return new Error(`${what} URL must start with a scheme (${supportedText})`);
  if (planned.includes(scheme)) return new Error(`${what} scheme ${scheme}:// is not supported yet (${supportedText})`);
  return new Error(`unknown ${what} scheme ${scheme}:// (${supportedText}; ${planned[0]}:// is not supported yet)`);
}
