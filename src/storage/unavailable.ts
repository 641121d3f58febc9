import { ServiceUnavailableException } from '../domain/errors.js';

/**
 * Networked storage adapters (PostgreSQL, S3) can lose their backend. Their calls then reject
 * with ServiceUnavailableException instead of whatever the driver threw, so that every caller
 * sees one typed error: the HTTP layer answers AWS's 503 shape (which the AWS SDKs retry with
 * backoff), PutMedia acks 5001 ARCHIVAL_ERROR. The driver's error stays as `cause`, for the log.
 * Other failures (bugs, constraint violations, missing objects) pass through unchanged.
 */
export type UnavailabilityTest = (err: unknown) => boolean;

/**
 * `adapter` with every method that returns a promise translating "backend unreachable" rejections
 * (as `isUnavailable` recognises them). A Proxy rather than hand-written delegation: the ports
 * have some twenty methods each, and new ones (retention's, say) are covered without edits here.
 * instanceof and non-method properties behave as on the adapter itself.
 */
export function reportingUnavailability<T extends object>(adapter: T, backend: string, isUnavailable: UnavailabilityTest): T {
  const translate = (err: unknown): unknown => {
    if (err instanceof ServiceUnavailableException || !isUnavailable(err)) return err;
    return new ServiceUnavailableException(`The ${backend} is unavailable; try again later.`, { cause: err });
  };
  return new Proxy(adapter, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(translate(err))) : result;
      };
    },
  });
}

/** Node's socket errors that mean the peer could not be reached or went away. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}
