/**
 * Short-lived credentials that any node sharing the server secret verifies on its own.
 *
 * The session token is the credential's whole record — access key id, issuer, name, expiry and
 * policy — deflated and sealed with AES-256-GCM under a key derived from the server secret, so
 * it can be neither read nor forged without the secret. The secret access key is an HMAC of the
 * token under a second derived key: a node recomputes it from the token the request carries, so
 * nodes share nothing but the server secret, and nothing is stored.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** What an issued credential is, once its token is opened. */
export interface IssuedRecord {
  readonly accessKeyId: string;
  /** The key of the credentials file that issued it: it must still be there, and its policy still applies. */
  readonly issuer: string;
  readonly name: string;
  readonly expiresMs: number;
  /** The policy document's JSON text. */
  readonly policy: string;
}

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresMs: number;
}

const TOKEN_PREFIX = 'okvs1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class IssuedCredentialKeys {
  private readonly sealKey: Buffer;
  private readonly secretKey: Buffer;

  /** `serverSecret`: the session secret (--session-secret or the data dir's); separate keys are derived from it. */
  constructor(serverSecret: Buffer) {
    // HKDF with distinct labels: the HLS token key, the sealing key and the secret-derivation key
    // are independent although they come from one configured secret.
    this.sealKey = Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'openkvs issued credentials: seal', 32));
    this.secretKey = Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'openkvs issued credentials: secret', 32));
  }

  issue(record: Omit<IssuedRecord, 'accessKeyId'>): IssuedCredentials {
    const accessKeyId = newAccessKeyId();
    const payload = JSON.stringify({ v: 1, k: accessKeyId, i: record.issuer, n: record.name, e: record.expiresMs, p: record.policy });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const sealed = Buffer.concat([cipher.update(deflateRawSync(payload)), cipher.final()]);
    const sessionToken = TOKEN_PREFIX + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
    return { accessKeyId, secretAccessKey: this.secretFor(sessionToken), sessionToken, expiresMs: record.expiresMs };
  }

  /** The record a token carries, or undefined when it was not sealed with this secret (or is damaged). */
  open(sessionToken: string): IssuedRecord | undefined {
    if (!sessionToken.startsWith(TOKEN_PREFIX)) return undefined;
    const bytes = Buffer.from(sessionToken.slice(TOKEN_PREFIX.length), 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      const doc = JSON.parse(inflateRawSync(plain).toString('utf8')) as Record<string, unknown>;
      if (doc['v'] !== 1) return undefined;
      return {
        accessKeyId: String(doc['k']),
        issuer: String(doc['i']),
        name: String(doc['n']),
        expiresMs: Number(doc['e']),
        policy: String(doc['p']),
      };
    } catch {
      return undefined;
    }
  }

  /** The secret access key that goes with a token. */
  secretFor(sessionToken: string): string {
    return createHmac('sha256', this.secretKey).update(sessionToken).digest('base64').slice(0, 40);
  }
}

/** ASIA…: the prefix AWS gives temporary (STS) access key ids; 20 characters like theirs. */
function newAccessKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'ASIA';
  for (const byte of randomBytes(16)) id += alphabet[byte % 32];
  return id;
}

/** "12h", "90m", "3600s", "3600" → milliseconds; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
