import { InvalidArgumentException } from '../../domain/errors.js';
import { MAX_DATA_RETENTION_HOURS } from '../../domain/stream.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, updateStreamVersioned, type StreamRef } from './stream-access.js';

interface UpdateDataRetentionInput extends StreamRef {
  CurrentVersion: string;
  Operation: 'INCREASE_DATA_RETENTION' | 'DECREASE_DATA_RETENTION';
  DataRetentionChangeInHours: number;
}

/**
 * UpdateDataRetention: adds or subtracts hours; the result must stay within 0..87600. A decrease
 * applies at once, as on AWS: when the call returns, the fragments older than the new retention
 * are no longer listed or readable (their storage is freed in the background). Retention 0 keeps
 * the live window (archive/retention-policy.ts).
 */
export const updateDataRetention: JsonOperation<UpdateDataRetentionInput> = {
  name: 'UpdateDataRetention',
  shape: operations.UpdateDataRetention,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    const sign = input.Operation === 'INCREASE_DATA_RETENTION' ? 1 : -1;
    const retention = stream.dataRetentionInHours + sign * input.DataRetentionChangeInHours;
    if (retention < 0) {
      throw new InvalidArgumentException(
        `DataRetentionChangeInHours ${input.DataRetentionChangeInHours} exceeds the current retention of ${stream.dataRetentionInHours} hours.`,
      );
    }
    if (retention > MAX_DATA_RETENTION_HOURS) {
      throw new InvalidArgumentException(`Data retention cannot exceed ${MAX_DATA_RETENTION_HOURS} hours.`);
    }
    const updated = await updateStreamVersioned(ctx, stream, input.CurrentVersion, { dataRetentionInHours: retention });
    if (sign < 0) await ctx.retention.enforce(updated);
    return {};
  },
};
