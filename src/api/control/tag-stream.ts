import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';
import { addTags } from './tags.js';

interface TagStreamInput extends StreamRef {
  Tags: Record<string, string>;
}

export const tagStream: JsonOperation<TagStreamInput> = {
  name: 'TagStream',
  shape: operations.TagStream,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    await addTags(ctx, stream.arn, input.Tags);
    return {};
  },
};
