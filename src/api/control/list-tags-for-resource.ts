import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStreamByArn } from './stream-access.js';
import { rejectNextToken } from './tags.js';

interface ListTagsForResourceInput {
  ResourceARN: string;
  NextToken?: string;
}

export const listTagsForResource: JsonOperation<ListTagsForResourceInput> = {
  name: 'ListTagsForResource',
  shape: operations.ListTagsForResource,
  async handle(input, ctx) {
    rejectNextToken(input.NextToken);
    const stream = await findStreamByArn(ctx, input.ResourceARN);
    return { Tags: await ctx.index.listTags(stream.arn), NextToken: null };
  },
};
