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
