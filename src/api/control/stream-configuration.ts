import { NoDataRetentionException } from '../../domain/errors.js';
import type { StreamRecord } from '../../domain/stream.js';

/** Image generation and notifications work on archived fragments, so AWS refuses them without retention. */
export function requireDataRetention(stream: StreamRecord): void {
  if (stream.dataRetentionInHours === 0) {
    throw new NoDataRetentionException(`The stream ${stream.name} has no data retention (DataRetentionInHours is 0).`);
  }
}
