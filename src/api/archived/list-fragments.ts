import { decodeListToken, encodeListToken, sameRange, type ListCursor } from '../../archive/list-token.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type { FragmentSummary } from '../../domain/fragment.js';
import type { FragmentTimeRange } from '../../storage/index-store.js';
import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesis-video-archived-media.js';
import { parseTimestampMs } from '../shapes/validate.js';

interface FragmentSelectorInput {
  FragmentSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
  TimestampRange: { StartTimestamp: unknown; EndTimestamp: unknown };
}

interface ListFragmentsInput extends StreamRef {
  MaxResults?: number;
  NextToken?: string;
  FragmentSelector?: FragmentSelectorInput;
}

/**
 * MaxResults when the caller gives none. AWS documents no default (kvs-api.md §9 item 3); the
 * largest page it allows is the one that costs callers the fewest round trips.
 */
export const DEFAULT_MAX_RESULTS = 1000;

/**
 * ListFragments (kvs-api.md §4.1): the stream's fragments whose start timestamp of the selector's
 * kind lies in the inclusive range (every fragment without a selector), a page at a time in
 * fragment-number order. A fragment is listed as soon as its PERSISTED ack can go out: both wait
 * for the same index commit.
 */
export const listFragments: JsonOperation<ListFragmentsInput> = {
  name: 'ListFragments',
  shape: operations.ListFragments,
  async handle(input, ctx) {
    const stream = await findStream(ctx, input);
    const cursor = startingCursor(stream.arn, input);
    const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
    // One row past the page tells whether there is a next one.
    const rows = await ctx.index.listFragmentSummaries(stream.streamId, { afterNumber: cursor.afterNumber || undefined, range: cursor.range, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Fragments: page.map(toWireFragment),
      NextToken: rows.length > limit && last ? encodeListToken(stream.arn, { range: cursor.range, afterNumber: last.fragmentNumber }) : null,
    };
  },
};

/** Where this page starts: after the NextToken's position, or at the start of the selector's range. */
function startingCursor(streamArn: string, input: ListFragmentsInput): ListCursor {
  const range = input.FragmentSelector ? selectorRange(input.FragmentSelector) : undefined;
  if (input.NextToken === undefined) return { range, afterNumber: '' };
  const cursor = decodeListToken(streamArn, input.NextToken);
  if (input.FragmentSelector && !sameRange(range, cursor.range)) {
    throw new InvalidArgumentException('The NextToken was issued for a different FragmentSelector.');
  }
  return cursor;
}

function selectorRange(selector: FragmentSelectorInput): FragmentTimeRange {
  // The HTTP layer validated both as timestamps; parse them the same way.
  const startMs = parseTimestampMs(selector.TimestampRange.StartTimestamp)!;
  const endMs = parseTimestampMs(selector.TimestampRange.EndTimestamp)!;
  if (startMs > endMs) throw new InvalidArgumentException('The TimestampRange StartTimestamp must not be after its EndTimestamp.');
  return { by: selector.FragmentSelectorType === 'PRODUCER_TIMESTAMP' ? 'producer' : 'server', startMs, endMs };
}

/**
 * The Fragment wire shape. Timestamps are restJson1 epoch seconds with the millisecond fraction;
 * the size is the stored fragment (the Cluster as received).
 */
export function toWireFragment(fragment: FragmentSummary) {
  return {
    FragmentNumber: fragment.fragmentNumber,
    FragmentSizeInBytes: fragment.size,
    ProducerTimestamp: fragment.producerTimestampMs / 1000,
    ServerTimestamp: fragment.serverTimestampMs / 1000,
    FragmentLengthInMilliseconds: fragment.durationMs,
  };
}
