/** PutMedia limits (kvs-api.md §3.2, §3.3, §6.2). */
export const MAX_TRACKS = 3;
/** "50 MB" per fragment; read as MiB, the more lenient reading. */
export const MAX_FRAGMENT_BYTES = 50 * 1024 * 1024;
/** The current quota (older docs said 10 s). */
export const MAX_FRAGMENT_DURATION_MS = 20_000;
export const MAX_METADATA_ITEMS = 10;
export const MAX_METADATA_NAME_BYTES = 128;
export const MAX_METADATA_VALUE_BYTES = 256;
/** An IDLE ack this often while no data arrives... */
export const IDLE_ACK_INTERVAL_MS = 3_000;
/** ...and the session closes after this long without data. */
export const IDLE_TIMEOUT_MS = 30_000;
/**
 * A session the ingest memory budget keeps from reading (ingest/memory-budget.ts) for this long
 * without a break is ended with ERROR 5000 INTERNAL_ERROR: before KVS's 30-s idle close and before
 * libcurl in Amazon's producers gives up on a transfer slower than 30 bytes/s for 30 s, so the
 * producer hears why and reconnects, and its bytes free room for the other sessions.
 */
export const THROTTLE_TIMEOUT_MS = 15_000;

/**
 * Winding down a body the session stopped reading (ingest-service.ts, WindDownBudget): at most
 * 5 s and 64 MiB read after the ERROR ack, a 1-s pause ends it early, then up to 2 s for the
 * producer to close. A producer that reads acks while it sends (as Amazon's does) has read the
 * ERROR ack long before; one that never stops sending is cut off after 7 s.
 */
export const WIND_DOWN = { drainMs: 5_000, drainBytes: 64 * 1024 * 1024, quietMs: 1_000, lingerMs: 2_000 } as const;

export const END_OF_FRAGMENT_TAG = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';
/** The AWS_-prefixed metadata names a producer may send (kvs-api.md §3.3). */
export const PRODUCER_AWS_TAGS: ReadonlySet<string> = new Set([
  END_OF_FRAGMENT_TAG,
  'AWS_KINESISVIDEO_IMAGE_GENERATION',
  'AWS_KINESISVIDEO_IMAGE_PREFIX',
]);
