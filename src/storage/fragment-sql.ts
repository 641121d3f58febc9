/**
 * SQL both index adapters (SQLite and PostgreSQL) run as written.
 *
 * Crash recovery's extents: a skip scan over fragments_by_blob_end, written out as a recursive
 * query (PostgreSQL has no skip scan, and SQLite's planner does not pick one here). Each step
 * seeks the next distinct key, then reads that key's largest end off the same index, so the cost
 * grows with the number of blob keys, not of rows.
 */
export const REFERENCED_BLOB_EXTENTS_SQL = `WITH RECURSIVE blob_keys (blob_key) AS (
    SELECT MIN(blob_key) FROM fragments
    UNION ALL
    SELECT (SELECT MIN(f.blob_key) FROM fragments f WHERE f.blob_key > k.blob_key)
    FROM blob_keys k WHERE k.blob_key IS NOT NULL
  )
  SELECT k.blob_key AS blob_key,
    (SELECT f.blob_offset + f.size FROM fragments f WHERE f.blob_key = k.blob_key
     ORDER BY f.blob_offset + f.size DESC LIMIT 1) AS end_offset
  FROM blob_keys k WHERE k.blob_key IS NOT NULL`;

/** Placeholders (or expressions over them) of discontinuityCountSql, in each adapter's syntax. */
export interface DiscontinuityParams {
  readonly streamId: string;
  readonly fromMs: string;
  readonly throughMs: string;
  readonly throughNumber: string;
  /** A threshold in ms; negative: gaps are no discontinuity. */
  readonly gapThresholdMs: string;
  /** 1: a change of track header is a discontinuity; 0: not. */
  readonly headerChanges: string;
}

/**
 * IndexStore.countDiscontinuitiesThrough: the session's listed fragments from `fromMs` through
 * the given one (one per timestamp, the largest number, when asked), each paired with the one
 * listed before it (LAG, in (timestamp, number) order), counting the pairs that are apart by more
 * than the threshold or change track header.
 */
export function discontinuityCountSql(column: string, onePerTimestamp: boolean, p: DiscontinuityParams): string {
  const inRange = `stream_id = ${p.streamId} AND ${column} >= ${p.fromMs} AND ${column} <= ${p.throughMs}
      AND (${column} < ${p.throughMs} OR fragment_number <= ${p.throughNumber})`;
  const listed = onePerTimestamp
    ? `SELECT ts, fragment_number, duration_ms, header_id FROM (
         SELECT ${column} AS ts, fragment_number, duration_ms, header_id,
           ROW_NUMBER() OVER (PARTITION BY ${column} ORDER BY fragment_number DESC) AS rank
         FROM fragments WHERE ${inRange}) AS ranked WHERE rank = 1`
    : `SELECT ${column} AS ts, fragment_number, duration_ms, header_id FROM fragments WHERE ${inRange}`;
  return `SELECT COUNT(*) AS n FROM (
      SELECT ts, header_id,
        LAG(ts) OVER w AS prev_ts, LAG(duration_ms) OVER w AS prev_duration, LAG(header_id) OVER w AS prev_header
      FROM (${listed}) AS listed
      WINDOW w AS (ORDER BY ts, fragment_number)) AS paired
    WHERE prev_ts IS NOT NULL AND (
      (${p.gapThresholdMs} >= 0 AND ABS(ts - (prev_ts + prev_duration)) > ${p.gapThresholdMs})
      OR (${p.headerChanges} = 1 AND header_id <> prev_header))`;
}
