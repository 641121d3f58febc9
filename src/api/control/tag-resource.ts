import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStreamByArn } from './stream-access.js';
import { addTags } from './tags.js';

interface TagResourceInput {
  ResourceARN: string;
  Tags: { Key: string; Value: string }[];
}

/** TagResource takes a list of {Key, Value}; a key given twice keeps its last value. */
export const tagResource: JsonOperation<TagResourceInput> = {
  name: 'TagResource',
  shape: operations.TagResource,
  async handle(input, ctx) {
    const stream = await findStreamByArn(ctx, input.ResourceARN);
    await addTags(ctx, stream.arn, Object.fromEntries(input.Tags.map((tag) => [tag.Key, tag.Value])));
    return {};
  },
};
