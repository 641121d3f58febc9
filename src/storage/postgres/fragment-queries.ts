import type pg from 'pg';
import type { FragmentRecord, FragmentSummary, NewFragment } from '../../domain/fragment.js';
import type { DeletedFragments, DiscontinuityQuery, FragmentTimeRange, FragmentTimestampKind } from '../index-store.js';
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
import { discontinuityCountSql, REFERENCED_BLOB_EXTENTS_SQL } from '../fragment-sql.js';

/** One INSERT for a whole batch: each column arrives as one array parameter. */
const INSERT_FRAGMENTS = `INSERT INTO fragments (${FRAGMENT_COLUMNS})
  SELECT * FROM unnest(${FRAGMENT_COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;

const TIMESTAMP_COLUMN: Readonly<Record<FragmentTimestampKind, string>> = {
  producer: 'producer_ts_ms',
  server: 'server_ts_ms',
};

/**
 * The timestamp column a query selects on. Times arrive as JavaScript numbers that may carry a
 * fraction (timestamps parsed from seconds); the BIGINT columns hold whole milliseconds, so the
 * bounds are rounded in SQL (CEIL/FLOOR of a numeric parameter), which keeps every comparison
 * exact and still lets the (stream_id, timestamp) indexes serve the range.
 */
function timestampColumn(by: FragmentTimestampKind): string {
  const column = TIMESTAMP_COLUMN[by];
  if (column === undefined) throw new RangeError(`unknown fragment timestamp kind ${String(by)}`);
  return column;
}

function finiteMs(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number of milliseconds, got ${value}`);
  return value;
}

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

  /** In number order, only fragments whose timestamp of kind `range.by` is in [startMs, endMs]. */
  async listInRange(streamId: number, afterNumber: string, range: FragmentTimeRange, limit: number): Promise<FragmentRecord[]> {
    const column = timestampColumn(range.by);
    const result = await this.pool.query<FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments
       WHERE stream_id = $1 AND fragment_number > $2
         AND ${column} BETWEEN CEIL($3::numeric) AND FLOOR($4::numeric)
       ORDER BY fragment_number LIMIT $5`,
      [streamId, afterNumber, finiteMs(range.startMs, 'startMs'), finiteMs(range.endMs, 'endMs'), limit],
    );
    return result.rows.map(toFragmentRecord);
  }

  /** As list / listInRange, without the frame index, tags and location (ListFragments pages). */
  async listSummaries(
    streamId: number,
    afterNumber: string,
    range: FragmentTimeRange | undefined,
    limit: number,
  ): Promise<FragmentSummary[]> {
    const inRange = range
      ? `AND ${timestampColumn(range.by)} BETWEEN CEIL($4::numeric) AND FLOOR($5::numeric)`
      : '';
    const bounds = range ? [finiteMs(range.startMs, 'startMs'), finiteMs(range.endMs, 'endMs')] : [];
    const result = await this.pool.query<SummaryRow>(
      `SELECT fragment_number, producer_ts_ms, server_ts_ms, duration_ms, size FROM fragments
       WHERE stream_id = $1 AND fragment_number > $2 ${inRange}
       ORDER BY fragment_number LIMIT $3`,
      [streamId, afterNumber, limit, ...bounds],
    );
    return result.rows.map(toSummary);
  }

  async byTime(streamId: number, range: FragmentTimeRange, limit: number, newestFirst: boolean): Promise<FragmentRecord[]> {
    const column = timestampColumn(range.by);
    const direction = newestFirst ? 'DESC' : 'ASC';
    const result = await this.pool.query<FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments
       WHERE stream_id = $1 AND ${column} BETWEEN CEIL($2::numeric) AND FLOOR($3::numeric)
       ORDER BY ${column} ${direction}, fragment_number ${direction} LIMIT $4`,
      [streamId, finiteMs(range.startMs, 'startMs'), finiteMs(range.endMs, 'endMs'), limit],
    );
    return result.rows.map(toFragmentRecord);
  }

  /** Fragments in [fromMs, beforeMs), plus those at exactly beforeMs numbered below beforeNumber. */
  async countBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string },
  ): Promise<number> {
    const column = timestampColumn(query.by);
    const result = await this.pool.query<{ n: string }>(
      `SELECT COUNT(*)::text AS n FROM fragments
       WHERE stream_id = $1 AND ${column} BETWEEN CEIL($2::numeric) AND FLOOR($3::numeric)
         AND (${column} < $3::numeric OR fragment_number < $4)`,
      [streamId, finiteMs(query.fromMs, 'fromMs'), finiteMs(query.beforeMs, 'beforeMs'), query.beforeNumber],
    );
    return toSafeInteger(result.rows[0]?.n ?? '0', 'fragment count');
  }

  /** Distinct timestamps in [fromMs, beforeMs); the bounds as integers, so the BIGINT index serves them. */
  async countTimestampsBefore(streamId: number, query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number }): Promise<number> {
    const column = timestampColumn(query.by);
    const result = await this.pool.query<{ n: string }>(
      `SELECT COUNT(DISTINCT ${column})::text AS n FROM fragments
       WHERE stream_id = $1 AND ${column} >= CEIL($2::numeric) AND ${column} < CEIL($3::numeric)`,
      [streamId, finiteMs(query.fromMs, 'fromMs'), finiteMs(query.beforeMs, 'beforeMs')],
    );
    return toSafeInteger(result.rows[0]?.n ?? '0', 'timestamp count');
  }

  /** Discontinuities of a session's list through a fragment (IndexStore.countDiscontinuitiesThrough). */
  async countDiscontinuitiesThrough(streamId: number, query: DiscontinuityQuery): Promise<number> {
    const sql = discontinuityCountSql(timestampColumn(query.by), query.onePerTimestamp, {
      streamId: '$1',
      fromMs: 'CEIL($2::numeric)',
      throughMs: '$3::numeric',
      throughNumber: '$4',
      gapThresholdMs: '$5::numeric',
      headerChanges: '$6::int',
    });
    const result = await this.pool.query<{ n: string }>(`SELECT n::text AS n FROM (${sql}) AS counted`, [
      streamId,
      finiteMs(query.fromMs, 'fromMs'),
      finiteMs(query.throughMs, 'throughMs'),
      query.throughNumber,
      query.gapThresholdMs ?? -1,
      query.headerChanges ? 1 : 0,
    ]);
    return toSafeInteger(result.rows[0]?.n ?? '0', 'discontinuity count');
  }

  /** Summed durations of what a session lists before a fragment (IndexStore.sumDurationsBefore). */
  async sumDurationsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string; onePerTimestamp: boolean },
  ): Promise<number> {
    const column = timestampColumn(query.by);
    const fromMs = finiteMs(query.fromMs, 'fromMs');
    const beforeMs = finiteMs(query.beforeMs, 'beforeMs');
    const result = query.onePerTimestamp
      ? await this.pool.query<{ n: string }>(
          `SELECT COALESCE(SUM(duration_ms), 0)::text AS n FROM (
             SELECT duration_ms, ROW_NUMBER() OVER (PARTITION BY ${column} ORDER BY fragment_number DESC) AS rank
             FROM fragments WHERE stream_id = $1 AND ${column} >= CEIL($2::numeric) AND ${column} < CEIL($3::numeric)) AS kept
           WHERE rank = 1`,
          [streamId, fromMs, beforeMs],
        )
      : await this.pool.query<{ n: string }>(
          `SELECT COALESCE(SUM(duration_ms), 0)::text AS n FROM fragments
           WHERE stream_id = $1 AND ${column} BETWEEN CEIL($2::numeric) AND FLOOR($3::numeric)
             AND (${column} < $3::numeric OR fragment_number < $4)`,
          [streamId, fromMs, beforeMs, query.beforeNumber],
        );
    return toSafeInteger(result.rows[0]?.n ?? '0', 'duration sum');
  }

  /**
   * Retention: one statement, so a node sweeping a stream never sees half of another's sweep; the
   * oldest first, and RETURNING reports the blob objects that lost fragments.
   */
  async deleteBefore(streamId: number, serverTimestampMs: number, limit: number | undefined): Promise<DeletedFragments> {
    const result = await this.pool.query<{ blob_key: string; end_offset: string }>(
      `DELETE FROM fragments WHERE ctid IN (
         SELECT ctid FROM fragments WHERE stream_id = $1 AND server_ts_ms < CEIL($2::numeric)
         ORDER BY server_ts_ms LIMIT $3)
       RETURNING blob_key, (blob_offset + size)::text AS end_offset`,
      [streamId, finiteMs(serverTimestampMs, 'serverTimestampMs'), limit ?? null],
    );
    const blobEnds = new Map<string, number>();
    for (const row of result.rows) {
      const end = toSafeInteger(row.end_offset, 'blob end');
      blobEnds.set(row.blob_key, Math.max(blobEnds.get(row.blob_key) ?? 0, end));
    }
    return { count: result.rows.length, blobEnds };
  }

  async isBlobReferenced(key: string): Promise<boolean> {
    const result = await this.pool.query('SELECT 1 FROM fragments WHERE blob_key = $1 LIMIT 1', [key]);
    return result.rows.length > 0;
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

  /** The shared recursive query (storage/fragment-sql.ts): cost grows with blob keys, not rows. */
  async referencedBlobExtents(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ blob_key: string; end_offset: Int8 }>(REFERENCED_BLOB_EXTENTS_SQL);
    return new Map(result.rows.map((row) => [row.blob_key, toSafeInteger(row.end_offset, 'blob extent')]));
  }
}

interface SummaryRow {
  fragment_number: string;
  producer_ts_ms: Int8;
  server_ts_ms: Int8;
  duration_ms: Int8;
  size: Int8;
}

function toSummary(row: SummaryRow): FragmentSummary {
  const int = (value: Int8, column: string) => toSafeInteger(value, `fragments.${column}`);
  return {
    fragmentNumber: row.fragment_number,
    producerTimestampMs: int(row.producer_ts_ms, 'producer_ts_ms'),
    serverTimestampMs: int(row.server_ts_ms, 'server_ts_ms'),
    durationMs: int(row.duration_ms, 'duration_ms'),
    size: int(row.size, 'size'),
  };
}
