import { InvalidArgumentException } from '../../domain/errors.js';
import type { ImageGenerationConfiguration } from '../../domain/stream.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, updateStreamVersioned, type StreamRef } from './stream-access.js';
import { requireDataRetention } from './stream-configuration.js';

interface UpdateImageGenerationConfigurationInput extends StreamRef {
  ImageGenerationConfiguration?: ImageGenerationConfiguration | null;
}

const MIN_SAMPLING_INTERVAL_MS = 200;

/**
 * Stores the configuration (null or absent removes it). Rules beyond the model's shape come
 * from the service documentation: sampling at most every 200 ms, JPEG quality 1-100.
 */
export const updateImageGenerationConfiguration: JsonOperation<UpdateImageGenerationConfigurationInput> = {
  name: 'UpdateImageGenerationConfiguration',
  shape: operations.UpdateImageGenerationConfiguration,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    const config = input.ImageGenerationConfiguration ?? null;
    if (config) {
      checkImageGeneration(config);
      requireDataRetention(stream);
    }
    await updateStreamVersioned(ctx, stream, stream.version, { imageGenerationConfiguration: config });
    return {};
  },
};

function checkImageGeneration(config: ImageGenerationConfiguration): void {
  if (config.SamplingInterval < MIN_SAMPLING_INTERVAL_MS) {
    throw new InvalidArgumentException(`SamplingInterval must be at least ${MIN_SAMPLING_INTERVAL_MS} milliseconds.`);
  }
  const quality = config.FormatConfig?.['JPEGQuality'];
  if (quality !== undefined && !/^(100|[1-9][0-9]?)$/.test(quality)) {
    throw new InvalidArgumentException('FormatConfig JPEGQuality must be an integer from 1 to 100.');
  }
}
