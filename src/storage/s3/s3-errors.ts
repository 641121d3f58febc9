import { isNetworkError } from '../unavailable.js';

/** The HTTP status of an S3 SDK error, when the server answered at all. */
export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * Whether an S3 call failed because the object store cannot serve now: it answered 5xx
 * (InternalError, 503 SlowDown / ServiceUnavailable, a proxy's 502/504), or it never answered
 * (connection refused or reset, our request timeout). 4xx answers (missing key, bad credentials,
 * missing bucket) are the request's or the configuration's fault and are reported as they are.
 */
export function isS3Unavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500;
  return err.name === 'TimeoutError' || isNetworkError(err);
}
