import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationShape } from './shapes/shape.js';
import type { RequestContext } from './context.js';

/**
 * A JSON-in, JSON-out API operation. The HTTP layer reads and validates the body against
 * `shape.input` before `handle` runs, so handlers see well-formed input only.
 */
export interface JsonOperation<Input = never> {
  readonly name: string;
  readonly shape: OperationShape;
  handle(input: Input, ctx: RequestContext): Promise<object>;
}

/**
 * JSON in, a streamed body out (GetClip, GetMedia, GetMediaForFragmentList): the HTTP layer reads,
 * authenticates and validates the JSON body as for a JsonOperation, then `handle` writes the
 * response itself. Until it has sent the response headers, a thrown ApiError still becomes an
 * ordinary AWS error response.
 */
export interface JsonStreamOperation<Input = never> {
  readonly name: string;
  readonly shape: OperationShape;
  handle(input: Input, res: ServerResponse, ctx: RequestContext): Promise<void>;
}

/**
 * An operation that streams: it gets the raw request and response (PutMedia reads Matroska and
 * writes acks at the same time). The HTTP layer authenticates before calling it; until `handle`
 * has sent the response headers, a thrown ApiError still becomes an ordinary AWS error response.
 */
export interface StreamOperation {
  readonly name: string;
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>;
}
