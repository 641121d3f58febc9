/**
 * Which fragments a stream keeps (kvs-api.md §2.2, DataRetentionInHours). Retention is measured on
 * the server timestamp (when the fragment started arriving), as AWS does: a producer's clock or a
 * recording's own timestamps cannot keep data alive or expire it early.
 */

const MS_PER_HOUR = 3_600_000;

/**
 * What a stream with DataRetentionInHours 0 keeps: its fragments are still stored (GetMedia serves
 * them live, and PutMedia acks them without PERSISTED) but only for this long, like the 5-minute
 * host buffer AWS keeps for such streams.
 */
export const LIVE_WINDOW_MS = 5 * 60_000;

/**
 * The oldest server timestamp a stream keeps at `nowMs`: fragments that started before it are
 * expired. Retention 0 keeps `liveWindowMs`.
 */
export function retentionCutoffMs(dataRetentionInHours: number, nowMs: number, liveWindowMs = LIVE_WINDOW_MS): number {
  const keptMs = dataRetentionInHours > 0 ? dataRetentionInHours * MS_PER_HOUR : liveWindowMs;
  return nowMs - keptMs;
}
