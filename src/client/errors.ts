/** Errors a PutMedia session can end with, besides ERROR acks (which are events, not failures). */

/**
 * The service refused the request before streaming acks (HTTP status other than 200), e.g. 404
 * ResourceNotFoundException for an unknown stream or 403 for a bad signature.
 */
export class PutMediaHttpError extends Error {
  override readonly name = 'PutMediaHttpError';

  constructor(
    /** The AWS exception name, e.g. 'ResourceNotFoundException' ('Http<status>' if the server gave none). */
    readonly errorType: string,
    readonly statusCode: number,
    /** The service's own message, from the JSON body. */
    readonly serviceMessage: string,
    readonly requestId: string | undefined,
  ) {
    super(`${errorType} (HTTP ${statusCode})${serviceMessage ? `: ${serviceMessage}` : ''}`);
  }
}

/** Builds the error from the status, headers and body of a non-200 answer. */
export function httpErrorFrom(statusCode: number, headers: Record<string, string | string[] | undefined>, body: string): PutMediaHttpError {
  const json = parseJsonObject(body);
  const typeHeader = firstHeader(headers, 'x-amzn-errortype') ?? firstHeader(headers, 'x-amz-errortype');
  // "ResourceNotFoundException:http://internal.amazon.com/..." and "com.amazon...#Name" both occur.
  const rawType = typeHeader ?? stringField(json, '__type') ?? stringField(json, 'code') ?? `Http${statusCode}`;
  const errorType = rawType.split(':')[0]!.split('#').pop()!;
  const message = stringField(json, 'message') ?? stringField(json, 'Message') ?? (json ? '' : body.trim().slice(0, 500));
  const requestId = firstHeader(headers, 'x-amzn-requestid') ?? firstHeader(headers, 'x-amz-requestid');
  return new PutMediaHttpError(errorType, statusCode, message, requestId);
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(json: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = json?.[key];
  return typeof value === 'string' ? value : undefined;
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
