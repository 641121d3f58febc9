import type { NotificationConfiguration } from '../../domain/stream.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, updateStreamVersioned, type StreamRef } from './stream-access.js';
import { requireDataRetention } from './stream-configuration.js';

interface UpdateNotificationConfigurationInput extends StreamRef {
  NotificationConfiguration?: NotificationConfiguration | null;
}

/** Stores the configuration (null or absent removes it). */
export const updateNotificationConfiguration: JsonOperation<UpdateNotificationConfigurationInput> = {
  name: 'UpdateNotificationConfiguration',
  shape: operations.UpdateNotificationConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    const config = input.NotificationConfiguration ?? null;
    if (config) requireDataRetention(stream);
    await updateStreamVersioned(ctx, stream, stream.version, { notificationConfiguration: config });
    return {};
  },
};
