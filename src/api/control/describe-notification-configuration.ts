import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';

export const describeNotificationConfiguration: JsonOperation<StreamRef> = {
  name: 'DescribeNotificationConfiguration',
  shape: operations.DescribeNotificationConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    return { NotificationConfiguration: stream.notificationConfiguration };
  },
};
