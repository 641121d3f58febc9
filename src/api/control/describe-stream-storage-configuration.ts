import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';

export const describeStreamStorageConfiguration: JsonOperation<StreamRef> = {
  name: 'DescribeStreamStorageConfiguration',
  shape: operations.DescribeStreamStorageConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    return {
      StreamName: stream.name,
      StreamARN: stream.arn,
      StreamStorageConfiguration: { DefaultStorageTier: stream.storageTier },
    };
  },
};
