import type { StorageTier } from '../../domain/stream.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, updateStreamVersioned, type StreamRef } from './stream-access.js';

interface UpdateStreamStorageConfigurationInput extends StreamRef {
  CurrentVersion: string;
  StreamStorageConfiguration: { DefaultStorageTier: StorageTier };
}

/** The tier is recorded and reported; both tiers are served from the same storage here. */
export const updateStreamStorageConfiguration: JsonOperation<UpdateStreamStorageConfigurationInput> = {
  name: 'UpdateStreamStorageConfiguration',
  shape: operations.UpdateStreamStorageConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    await updateStreamVersioned(ctx, stream, input.CurrentVersion, {
      storageTier: input.StreamStorageConfiguration.DefaultStorageTier,
    });
    return {};
  },
};
