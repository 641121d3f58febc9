/**
 * Session tokens: the session (session-token-codec.ts) followed by an HMAC-SHA256 of it under
 * the server's secret, truncated to 128 bits, base64url-encoded without padding, so the token is
 * URL-safe and opaque to players. Verification checks the MAC in constant time before it trusts a
 * single field, then the expiry. Tokens are signed, not encrypted: whoever holds one can read its
 * options.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeSession, encodeSession, SessionCodecError, TOKEN_FORMAT } from './session-token-codec.js';
import type { PlaybackProtocol, PlaybackSession } from './session.js';

/**
 * The leading half of the HMAC-SHA256 output: RFC 2104 §5 allows truncating to half the hash
 * length, and 128 bits leave forgery out of reach while saving 22 characters in each of the up to
 * 10 000 URLs of a playlist.
 */
export const MAC_BYTES = 16;
/** Secrets shorter than the hash output would weaken the MAC (RFC 2104 §3). */
export const MIN_SECRET_BYTES = 32;
/** No valid token is longer (a 256-character stream name in UTF-8 and the fixed fields); longer input is refused unread. */
export const MAX_TOKEN_LENGTH = 1200;
/** Domain separation: a MAC of this server secret over anything else never passes as a token. */
const MAC_CONTEXT = new TextEncoder().encode('openkvs playback session token\0');

export type TokenFailure = 'malformed' | 'tampered' | 'expired' | 'wrong-protocol';

export type TokenVerdict =
  | { readonly ok: true; readonly session: PlaybackSession }
  | { readonly ok: false; readonly failure: TokenFailure; readonly message: string };

const MESSAGES: Readonly<Record<TokenFailure, string>> = {
  malformed: 'Streaming session token is malformed',
  tampered: 'Streaming session token is invalid',
  // KVS's wording for an expired token (kvs-api.md §5).
  expired: 'Streaming session token is expired',
  'wrong-protocol': 'Streaming session token is for another protocol',
};

/** A random session id: 8 bytes as 16 hex digits. */
export function newSessionId(): string {
  return randomBytes(8).toString('hex');
}

export class SessionTokens {
  private readonly key: KeyObject;

  constructor(secret: Uint8Array) {
    if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`session secret of ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed`);
    this.key = createSecretKey(Buffer.from(secret));
  }

  /** The token for `session`. Throws RangeError when a field cannot be encoded. */
  issue(session: PlaybackSession): string {
    const body = encodeSession(session);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  /**
   * The session a token carries, or why it is refused. A token is expired from `expiresAtMs` on
   * (at that very millisecond). `protocol`: the kind of resource being asked for, so an HLS token
   * cannot open DASH resources and the reverse.
   */
  verify(token: string, nowMs: number, protocol?: PlaybackProtocol): TokenVerdict {
    const bytes = decodeBase64Url(token);
    if (bytes === undefined || bytes.length <= MAC_BYTES || bytes[0] !== TOKEN_FORMAT) return refuse('malformed');
    const body = bytes.subarray(0, bytes.length - MAC_BYTES);
    if (!timingSafeEqual(this.mac(body), bytes.subarray(bytes.length - MAC_BYTES))) return refuse('tampered');
    let session: PlaybackSession;
    try {
      session = decodeSession(body);
    } catch (error) {
      // Signed by us yet unreadable: a token of another build's layout.
      if (error instanceof SessionCodecError) return refuse('malformed');
      throw error;
    }
    if (nowMs >= session.expiresAtMs) return refuse('expired');
    if (protocol !== undefined && session.protocol !== protocol) return refuse('wrong-protocol');
    return { ok: true, session };
  }

  private mac(body: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(MAC_CONTEXT).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function refuse(failure: TokenFailure): TokenVerdict {
  return { ok: false, failure, message: MESSAGES[failure] };
}

/**
 * Strict base64url (RFC 4648 §5, no padding): only the alphabet, and only the canonical
 * spelling, because Node's decoder skips stray characters and ignores the unused low bits of the
 * last character, which would let many strings stand for one token.
 */
function decodeBase64Url(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
