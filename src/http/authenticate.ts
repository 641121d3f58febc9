import type { IncomingMessage } from 'node:http';
import type { Clock } from '../util/clock.js';
import { verifySigV4, type SecretLookup } from './sigv4.js';

/** Checks a request's credentials; throws the AWS error when they are refused. */
export type Authenticate = (req: IncomingMessage, bodySha256: string | 'streaming') => void;

/** Open mode (no credentials configured, loopback bind): any request, signed or not, is accepted. */
export const acceptAll: Authenticate = () => {};

/** Secured mode: every request needs a valid SigV4 signature from a configured key. */
export function requireSigV4(lookup: SecretLookup, clock: Clock): Authenticate {
  return (req, bodySha256) => {
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    verifySigV4({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, bodySha256 }, lookup, clock.nowMs());
  };
}

/** The request target as received, split at the first '?' with percent-encoding untouched. */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}
