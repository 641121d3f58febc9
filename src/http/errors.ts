import type { ServerResponse } from 'node:http';
import { ApiError, InternalFailure } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';
import { sendJson } from './wire.js';

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.kinesisvideo/';

/** Any thrown value as the AWS error to answer; unexpected ones are logged and become InternalFailure. */
export function toApiError(err: unknown, log: Logger, requestId: string): ApiError {
  if (err instanceof ApiError) {
    // A 5xx we raised on purpose (a storage backend is down): worth a line, with its cause.
    if (err.httpStatus >= 500) log.warn({ err, requestId }, err.message);
    return err;
  }
  log.error({ err, requestId }, 'unexpected error');
  return new InternalFailure(`An internal error occurred (request id ${requestId}).`);
}

/**
 * The AWS error response: status, x-amzn-ErrorType (and the x-amz- spelling the data-plane docs
 * use) and a body carrying the name and message under every key an SDK reads (kvs-api.md §1).
 */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.setHeader('x-amzn-ErrorType', `${err.code}:${ERROR_NAMESPACE}`);
  res.setHeader('x-amz-ErrorType', `${err.code}:${ERROR_NAMESPACE}`);
  sendJson(res, err.httpStatus, { __type: err.code, message: err.message, Message: err.message });
}
