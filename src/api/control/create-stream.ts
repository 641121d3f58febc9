import { streamToCreateArn } from '../../access/actions.js';
import { InvalidArgumentException, ResourceInUseException } from '../../domain/errors.js';
import { defaultKmsKeyArn, newVersion, streamArn } from '../../domain/ids.js';
import { MAX_DATA_RETENTION_HOURS, type StorageTier } from '../../domain/stream.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';

interface CreateStreamInput {
  StreamName: string;
  DeviceName?: string;
  MediaType?: string;
  KmsKeyId?: string;
  DataRetentionInHours?: number;
  Tags?: Record<string, string>;
  StreamStorageConfiguration?: { DefaultStorageTier: StorageTier };
}

/**
 * CreateStream. AWS creates streams asynchronously (CREATING, then ACTIVE); here the stream is
 * ACTIVE as soon as the call returns, which every client's "poll until ACTIVE" loop accepts.
 */
export const createStream: JsonOperation<CreateStreamInput> = {
  name: 'CreateStream',
  shape: operations.CreateStream,
  async handle(input, ctx) {
    // The stream has no ARN yet: IAM scopes CreateStream by the ARN it will have, creation time unknown.
    ctx.access.authorize(streamToCreateArn(ctx.region, ctx.accountId, input.StreamName));
    const retention = input.DataRetentionInHours ?? 0;
    if (retention > MAX_DATA_RETENTION_HOURS) {
      throw new InvalidArgumentException(`DataRetentionInHours must be at most ${MAX_DATA_RETENTION_HOURS}.`);
    }
    const creationTimeMs = ctx.clock.nowMs();
    const created = await ctx.index.createStream(
      {
        name: input.StreamName,
        arn: streamArn(ctx.region, ctx.accountId, input.StreamName, creationTimeMs),
        deviceName: input.DeviceName ?? null,
        mediaType: input.MediaType ?? null,
        kmsKeyId: input.KmsKeyId ?? defaultKmsKeyArn(ctx.region, ctx.accountId),
        version: newVersion(),
        status: 'ACTIVE',
        creationTimeMs,
        dataRetentionInHours: retention,
        storageTier: input.StreamStorageConfiguration?.DefaultStorageTier ?? 'HOT',
        imageGenerationConfiguration: null,
        notificationConfiguration: null,
      },
      input.Tags ?? {},
    );
    if (!created) throw new ResourceInUseException(`The stream ${input.StreamName} already exists.`);
    return { StreamARN: created.arn };
  },
};
