import {
  InvalidArgumentException,
  ResourceNotFoundException,
  VersionMismatchException,
} from '../../domain/errors.js';
import { newVersion } from '../../domain/ids.js';
import type { StreamPatch, StreamRecord } from '../../domain/stream.js';
import { STREAM_ARN_PREFIX_OF } from '../../access/actions.js';
import type { AppContext, RequestContext } from '../context.js';

export interface StreamRef {
  StreamName?: string | null;
  StreamARN?: string | null;
}

const NOT_FOUND = 'The requested stream is not found or not active.';

/**
 * The stream named by exactly one of StreamName / StreamARN, or the AWS error for it, once the
 * caller is authorized for the operation on the stream's ARN (the IAM resource of every stream
 * operation: arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/CREATION_MS, so a policy's
 * `stream/cam-*\/*` also covers streams created later).
 */
export async function findStream(ctx: RequestContext, ref: StreamRef): Promise<StreamRecord> {
  const { StreamName: name, StreamARN: arn } = ref;
  if ((name == null) === (arn == null)) {
    throw new InvalidArgumentException('Exactly one of StreamName or StreamARN must be specified.');
  }
  const stream = name != null ? await ctx.index.getStreamByName(name) : await ctx.index.getStreamByArn(arn!);
  return authorizedStream(ctx, stream, arn ?? STREAM_ARN_PREFIX_OF(ctx.region, ctx.accountId, name!));
}

export async function findStreamByArn(ctx: RequestContext, arn: string): Promise<StreamRecord> {
  return authorizedStream(ctx, await ctx.index.getStreamByArn(arn), arn);
}

/**
 * A missing stream is authorized against the ARN the caller gave (or `stream/NAME/*` for a name),
 * so that a key that may not touch a name cannot learn whether such a stream exists.
 */
function authorizedStream(ctx: RequestContext, stream: StreamRecord | undefined, missingResource: string): StreamRecord {
  ctx.access.authorize(stream ? stream.arn : missingResource);
  if (!stream) throw new ResourceNotFoundException(NOT_FOUND);
  return stream;
}

/**
 * Applies an update guarded by the caller's CurrentVersion, installing a fresh Version.
 * The store's compare-and-swap makes a concurrent update lose cleanly with VersionMismatch.
 */
export async function updateStreamVersioned(
  ctx: AppContext,
  stream: StreamRecord,
  currentVersion: string,
  patch: Omit<StreamPatch, 'version'>,
): Promise<StreamRecord> {
  if (stream.version !== currentVersion) throw versionMismatch(stream.name);
  const updated = await ctx.index.updateStream(stream.streamId, currentVersion, { ...patch, version: newVersion() });
  if (updated) return updated;
  if (!(await ctx.index.getStreamByArn(stream.arn))) throw new ResourceNotFoundException(NOT_FOUND);
  throw versionMismatch(stream.name);
}

export function versionMismatch(name: string): VersionMismatchException {
  return new VersionMismatchException(`The stream version for ${name} does not match the CurrentVersion provided.`);
}
