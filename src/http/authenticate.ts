import type { IncomingMessage } from 'node:http';
import type { KeyStore } from '../access/key-store.js';
import { OPEN_ACCESS, type Principal } from '../access/principal.js';
import type { Clock } from '../util/clock.js';
import { verifySigV4 } from './sigv4.js';

/** Checks a request's credentials and returns who made it; throws the AWS error when they are refused. */
export type Authenticate = (req: IncomingMessage, bodySha256: string | 'streaming') => Principal;

/** Open mode (no credentials configured, loopback bind): any request, signed or not, is accepted with full access. */
export const acceptAll: Authenticate = () => OPEN_ACCESS;

/** Secured mode: every request needs a valid SigV4 signature from a configured (or issued) key. */
export function requireSigV4(keys: KeyStore, clock: Clock): Authenticate {
  return (req, bodySha256) => {
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    let principal: Principal | undefined;
    const lookup = (accessKeyId: string, securityToken: string | undefined) => {
      const resolved = keys.lookup(accessKeyId, securityToken);
      principal = resolved?.principal;
      return resolved;
    };
    verifySigV4({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, bodySha256 }, lookup, clock.nowMs());
    // verifySigV4 returns only after the lookup found the key and the signature matched it.
    if (principal === undefined) throw new Error('SigV4 verified without a key');
    return principal;
  };
}

/** The request target as received, split at the first '?' with percent-encoding untouched. */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}
