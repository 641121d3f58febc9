import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStreamByArn } from './stream-access.js';

interface UntagResourceInput {
  ResourceARN: string;
  TagKeyList: string[];
}

export const untagResource: JsonOperation<UntagResourceInput> = {
  name: 'UntagResource',
  shape: operations.UntagResource,
  async handle(input, ctx) {
    const stream = await findStreamByArn(ctx, input.ResourceARN);
    await ctx.index.removeTags(stream.arn, input.TagKeyList);
    return {};
  },
};
