import {
  InvalidArgumentException,
  ResourceNotFoundException,
  VersionMismatchException,
} from '../../domain/errors.js';
import { newVersion } from '../../domain/ids.js';
import type { StreamPatch, StreamRecord } from '../../domain/stream.js';
import type { AppContext } from '../context.js';

export interface StreamRef {
  StreamName?: string | null;
  StreamARN?: string | null;
}

const NOT_FOUND = 'The requested stream is not found or not active.';

/** The stream named by exactly one of StreamName / StreamARN, or the AWS error for it. */
export async function findStream(ctx: AppContext, ref: StreamRef): Promise<StreamRecord> {
  const { StreamName: name, StreamARN: arn } = ref;
  if ((name == null) === (arn == null)) {
    throw new InvalidArgumentException('Exactly one of StreamName or StreamARN must be specified.');
  }
  const stream = name != null ? await ctx.index.getStreamByName(name) : await ctx.index.getStreamByArn(arn!);
  if (!stream) throw new ResourceNotFoundException(NOT_FOUND);
  return stream;
}

export async function findStreamByArn(ctx: AppContext, arn: string): Promise<StreamRecord> {
  const stream = await ctx.index.getStreamByArn(arn);
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
