/**
 * The secret that signs session tokens. One node: created once in the data dir and kept, so
 * sessions survive restarts. A cluster: every node must sign alike, so the secret comes from
 * configuration (the same value on every node) instead.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MIN_SECRET_BYTES } from './session-token.js';

/** The file in the data dir. */
export const SESSION_SECRET_FILE = 'session-token.key';
/** Bytes of a generated secret: the HMAC-SHA256 block of security. */
export const SESSION_SECRET_BYTES = 32;

/** The configured or stored secret cannot be used. */
export class SessionSecretError extends Error {}

export interface SessionSecretSource {
  readonly dataDir: string;
  /** From configuration: 64 hex digits, or base64 / base64url of at least 32 bytes. */
  readonly configured?: string | undefined;
}

/** The configured secret when there is one, else the data dir's (created on first use). */
export async function resolveSessionSecret(source: SessionSecretSource): Promise<Buffer> {
  if (source.configured !== undefined && source.configured !== '') return parseConfiguredSecret(source.configured);
  return loadOrCreateSessionSecret(source.dataDir);
}

export function parseConfiguredSecret(text: string): Buffer {
  const trimmed = text.trim();
  // All hex digits: hex, however short (a 62-digit typo must not pass as base64).
  if (/^[0-9a-fA-F]+$/.test(trimmed)) {
    if (trimmed.length >= 2 * MIN_SECRET_BYTES && trimmed.length % 2 === 0) return Buffer.from(trimmed, 'hex');
  } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (bytes.length >= MIN_SECRET_BYTES) return bytes;
  }
  throw new SessionSecretError(`the session secret must be 64+ hex digits or base64 of ${MIN_SECRET_BYTES}+ bytes (e.g. \`openssl rand -hex 32\`)`);
}

/**
 * Reads `<dataDir>/session-token.key`, or creates it: 32 random bytes written to a private
 * temporary file (mode 0600), fsynced, then hard-linked into place, which fails if another
 * process got there first (then its secret wins), and the directory fsynced. A crash leaves
 * either no file or a whole one, never a torn secret.
 */
export async function loadOrCreateSessionSecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, SESSION_SECRET_FILE);
  const existing = await readSecretFile(file);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true });
  const temporary = path.join(dataDir, `.${SESSION_SECRET_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const secret = randomBytes(SESSION_SECRET_BYTES);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(secret);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const winner = await readSecretFile(file);
      if (winner === undefined) throw error;
      return winner;
    }
    await syncDirectory(dataDir);
    return secret;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readSecretFile(file: string): Promise<Buffer | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (bytes.length !== SESSION_SECRET_BYTES) {
    throw new SessionSecretError(`${file} holds ${bytes.length} bytes, not a ${SESSION_SECRET_BYTES}-byte secret; remove it to make a new one (open sessions end)`);
  }
  return bytes;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
