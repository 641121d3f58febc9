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
