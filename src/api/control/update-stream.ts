import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, updateStreamVersioned, type StreamRef } from './stream-access.js';

interface UpdateStreamInput extends StreamRef {
  CurrentVersion: string;
  DeviceName?: string;
  MediaType?: string;
}

export const updateStream: JsonOperation<UpdateStreamInput> = {
  name: 'UpdateStream',
  shape: operations.UpdateStream,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    await updateStreamVersioned(ctx, stream, input.CurrentVersion, {
      ...(input.DeviceName !== undefined && { deviceName: input.DeviceName }),
      ...(input.MediaType !== undefined && { mediaType: input.MediaType }),
    });
    return {};
  },
};
