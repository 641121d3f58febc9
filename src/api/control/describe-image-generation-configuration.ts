import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';

export const describeImageGenerationConfiguration: JsonOperation<StreamRef> = {
  name: 'DescribeImageGenerationConfiguration',
  shape: operations.DescribeImageGenerationConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    return { ImageGenerationConfiguration: stream.imageGenerationConfiguration };
  },
};
