import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';

interface UntagStreamInput extends StreamRef {
  TagKeyList: string[];
}

export const untagStream: JsonOperation<UntagStreamInput> = {
  name: 'UntagStream',
  shape: operations.UntagStream,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    await ctx.index.removeTags(stream.arn, input.TagKeyList);
    return {};
  },
};
