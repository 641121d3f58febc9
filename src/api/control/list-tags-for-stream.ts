import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';
import { rejectNextToken } from './tags.js';

interface ListTagsForStreamInput extends StreamRef {
  NextToken?: string;
}

export const listTagsForStream: JsonOperation<ListTagsForStreamInput> = {
  name: 'ListTagsForStream',
  shape: operations.ListTagsForStream,
  async handle(input, ctx) {
    rejectNextToken(input.NextToken);
    const stream = await findStream(ctx, input);
    return { Tags: await ctx.index.listTags(stream.arn), NextToken: null };
  },
};
