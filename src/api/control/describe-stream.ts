import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';
import { toStreamInfo } from './stream-info.js';

export const describeStream: JsonOperation<StreamRef> = {
  name: 'DescribeStream',
  shape: operations.DescribeStream,
  async handle(input, ctx) {
    return { StreamInfo: toStreamInfo(await findStream(ctx, input)) };
  },
};
