import type pg from 'pg';
import type { FragmentRecord, NewFragment } from '../../domain/fragment.js';
import { inTransaction, type Queryable } from './pool.js';
import {
  FRAGMENT_COLUMNS,
  FRAGMENT_COLUMN_TYPES,
  fragmentColumnArrays,
  plainBytes,
  toFragmentRecord,
  toSafeInteger,
  type FragmentRow,
  type Int8,
} from './rows.js';

/** One INSERT for a whole batch: each column arrives as one array parameter. */
const INSERT_FRAGMENTS = `INSERT INTO fragments (${FRAGMENT_COLUMNS})
  SELECT * FROM unnest(${FRAGMENT_COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;

/**
 * The fragment side of the PostgreSQL index: `fragments`, `track_headers` and
 * `fragment_sequence` (migration 2).
 */
export class FragmentQueries {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * One statement, so concurrent reservations from any number of nodes serialize on the row
   * lock and each gets its own range; autocommit makes it durable before it returns.
   */
  async reserveSequence(count: number): Promise<bigint> {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`reserveFragmentSequence count must be a positive integer, got ${count}`);
    }
    const result = await this.pool.query<{ last: string }>(
      'UPDATE fragment_sequence SET last_reserved = last_reserved + $1 WHERE singleton = 1 RETURNING last_reserved::text AS last',
      [count],
    );
    const last = result.rows[0]?.last;
    if (last === undefined) throw new Error('fragment_sequence has no row; the index database is damaged');
    return BigInt(last) - BigInt(count) + 1n;
  }

  async putTrackHeader(hash: string, bytes: Uint8Array): Promise<number> {
    const inserted = await this.pool.query<{ header_id: Int8 }>(
      'INSERT INTO track_headers (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING RETURNING header_id',
      [hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    );
    // No row: the hash was there already (or another node inserted it first: ON CONFLICT waited
    // for that insert to commit, so this next statement sees it).
    const row = inserted.rows[0] ?? (await this.pool.query<{ header_id: Int8 }>(
      'SELECT header_id FROM track_headers WHERE hash = $1', [hash],
    )).rows[0];
    if (row === undefined) throw new Error(`track header ${hash} vanished right after its insert`);
    return toSafeInteger(row.header_id, 'track_headers.header_id');
  }

  async getTrackHeader(headerId: number): Promise<Uint8Array | undefined> {
    const result = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM track_headers WHERE header_id = $1', [headerId]);
    const row = result.rows[0];
    return row === undefined ? undefined : plainBytes(row.bytes);
  }

  /**
   * One transaction: lock the batch's streams FOR KEY SHARE (a stream being deleted makes this
   * wait, then it is gone and its rows are dropped; a stream locked here cannot be deleted until
   * the commit), then insert the rows of the streams that exist in one statement. A duplicate
   * fragment number or an unknown header id fails that statement and rolls back the batch.
   */
  async commit(fragments: readonly NewFragment[]): Promise<boolean[]> {
    if (fragments.length === 0) return [];
    return inTransaction(this.pool, async (client) => {
      const streamIds = [...new Set(fragments.map((f) => f.streamId))];
      const locked = await client.query<{ stream_id: Int8 }>(
        'SELECT stream_id FROM streams WHERE stream_id = ANY($1::bigint[]) ORDER BY stream_id FOR KEY SHARE',
        [streamIds],
      );
      const live = new Set(locked.rows.map((row) => toSafeInteger(row.stream_id, 'streams.stream_id')));
      const kept = fragments.filter((f) => live.has(f.streamId));
      if (kept.length > 0) await client.query(INSERT_FRAGMENTS, fragmentColumnArrays(kept));
      return fragments.map((f) => live.has(f.streamId));
    });
  }

  async list(streamId: number, afterNumber: string, limit: number): Promise<FragmentRecord[]> {
    const result = await this.pool.query<FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments
       WHERE stream_id = $1 AND fragment_number > $2
       ORDER BY fragment_number LIMIT $3`,
      [streamId, afterNumber, limit],
    );
    return result.rows.map(toFragmentRecord);
  }

  async get(streamId: number, fragmentNumber: string): Promise<FragmentRecord | undefined> {
    const result = await this.pool.query<FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments WHERE stream_id = $1 AND fragment_number = $2`,
      [streamId, fragmentNumber],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toFragmentRecord(row);
  }

  async deleteStreamFragments(client: Queryable, streamId: number): Promise<void> {
    await client.query('DELETE FROM fragments WHERE stream_id = $1', [streamId]);
  }

  /**
   * PostgreSQL has no skip scan: this recursive query emulates one over fragments_by_blob_end,
   * seeking each next distinct key and reading its largest end off the same index, so the cost
   * grows with the number of blob keys, not of rows.
   */
  async referencedBlobExtents(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ blob_key: string; end_offset: Int8 }>(
      `WITH RECURSIVE blob_keys (blob_key) AS (
         SELECT MIN(blob_key) FROM fragments
         UNION ALL
         SELECT (SELECT MIN(f.blob_key) FROM fragments f WHERE f.blob_key > k.blob_key)
         FROM blob_keys k WHERE k.blob_key IS NOT NULL
       )
       SELECT k.blob_key AS blob_key,
         (SELECT f.blob_offset + f.size FROM fragments f WHERE f.blob_key = k.blob_key
          ORDER BY f.blob_offset + f.size DESC LIMIT 1) AS end_offset
       FROM blob_keys k WHERE k.blob_key IS NOT NULL`,
    );
    return new Map(result.rows.map((row) => [row.blob_key, toSafeInteger(row.end_offset, 'blob extent')]));
  }
}
