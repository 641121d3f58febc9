import { ResourceNotFoundException } from '../../domain/errors.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStreamByArn, versionMismatch } from './stream-access.js';

interface DeleteStreamInput {
  StreamARN: string;
  CurrentVersion?: string;
}

/**
 * DeleteStream: the stream, its tags and its fragments disappear at once, so its name can be reused
 * (a new stream gets a new ARN and a new internal id; the old one's data is never reachable again).
 * The fragments' storage is freed in the background (archive/retention-sweeper.ts).
 */
export const deleteStream: JsonOperation<DeleteStreamInput> = {
  name: 'DeleteStream',
  shape: operations.DeleteStream,
  async handle(input, ctx) {
    const stream = await findStreamByArn(ctx, input.StreamARN);
    if (input.CurrentVersion !== undefined && input.CurrentVersion !== stream.version) {
      throw versionMismatch(stream.name);
    }
    if (!(await ctx.index.deleteStream(stream.streamId, stream.version))) {
      const current = await ctx.index.getStreamByArn(stream.arn);
      if (!current) throw new ResourceNotFoundException('The requested stream is not found or not active.');
      throw versionMismatch(stream.name);
    }
    ctx.feed.publish({ type: 'stream-deleted', streamId: stream.streamId });
    ctx.retention.streamDeleted(stream.streamId);
    return {};
  },
};
