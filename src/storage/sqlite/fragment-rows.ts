import type Database from 'better-sqlite3';
import type { FragmentRecord, FragmentSummary, FragmentTag, NewFragment } from '../../domain/fragment.js';
import type { FragmentTimestampKind } from '../index-store.js';
import { discontinuityCountSql, REFERENCED_BLOB_EXTENTS_SQL } from '../fragment-sql.js';

/**
 * The fragment side of the SQLite index: statements over `fragments`, `track_headers` and
 * `fragment_sequence` (migration 2), and the mapping between rows and domain records.
 */

/** A `fragments` row as better-sqlite3 returns it (and, as named parameters, takes it). */
interface FragmentRow {
  stream_id: number;
  fragment_number: string;
  cluster_timecode: number;
  producer_ts_ms: number;
  server_ts_ms: number;
  duration_ms: number;
  size: number;
  header_id: number;
  blob_key: string;
  blob_offset: number;
  frame_index: Uint8Array;
  tags_json: string;
}

const FRAGMENT_COLUMNS = `stream_id, fragment_number, cluster_timecode, producer_ts_ms, server_ts_ms,
  duration_ms, size, header_id, blob_key, blob_offset, frame_index, tags_json`;

/** A FragmentSummary's columns, aliased to its field names so rows need no mapping. */
const SUMMARY_COLUMNS = `fragment_number AS fragmentNumber, producer_ts_ms AS producerTimestampMs,
  server_ts_ms AS serverTimestampMs, duration_ms AS durationMs, size`;

type Statement<P extends unknown[] | object, R = unknown> = Database.Statement<P, R>;

export interface ListParams {
  streamId: number;
  afterNumber: string;
  limit: number;
}

export interface TimeRangeParams {
  streamId: number;
  startMs: number;
  endMs: number;
  limit: number;
}

export interface DiscontinuityBindings {
  streamId: number;
  fromMs: number;
  throughMs: number;
  throughNumber: string;
  gapThresholdMs: number;
  headerChanges: number;
}

export interface CountParams {
  streamId: number;
  fromMs: number;
  beforeMs: number;
  beforeNumber: string;
}

/** How many fragments a time range holds (up to a cap), and its lowest and highest number. */
export interface RangeSpan {
  n: number;
  first: string | null;
  last: string | null;
}

/** Fragment numbers in [fromNumber, throughNumber], both inclusive. */
export interface SpanParams {
  streamId: number;
  fromNumber: string;
  throughNumber: string;
  limit: number;
}

/** One prepared statement per timestamp kind: each can then use its own index. */
type PerKind<S> = Readonly<Record<FragmentTimestampKind, S>>;

/** What deleteFragmentsBefore reports per removed row. */
export interface DeletedRow {
  blob_key: string;
  end_offset: number;
}

export interface FragmentStatements {
  readonly insertFragment: Statement<FragmentRow>;
  readonly listFragments: Statement<ListParams, FragmentRow>;
  readonly listFragmentsInRange: PerKind<Statement<ListParams & TimeRangeParams, FragmentRow>>;
  readonly listSummaries: Statement<ListParams, FragmentSummary>;
  readonly listSummariesInRange: PerKind<Statement<ListParams & TimeRangeParams, FragmentSummary>>;
  readonly listSummariesInSpan: PerKind<Statement<SpanParams & TimeRangeParams, FragmentSummary>>;
  readonly listSummariesAfterInSpan: PerKind<Statement<ListParams & { throughNumber: string } & TimeRangeParams, FragmentSummary>>;
  readonly spanInRange: PerKind<Statement<Omit<TimeRangeParams, 'limit'> & { cap: number }, RangeSpan>>;
  readonly fragmentsByTime: PerKind<Statement<TimeRangeParams, FragmentRow>>;
  readonly fragmentsByTimeNewestFirst: PerKind<Statement<TimeRangeParams, FragmentRow>>;
  readonly countFragmentsBefore: PerKind<Statement<CountParams, number>>;
  readonly countTimestampsBefore: PerKind<Statement<Omit<CountParams, 'beforeNumber'>, number>>;
  readonly sumDurationsBefore: PerKind<Statement<CountParams, number>>;
  /** [all fragments, one per timestamp]. */
  readonly countDiscontinuitiesThrough: PerKind<readonly [Statement<DiscontinuityBindings, number>, Statement<DiscontinuityBindings, number>]>;
  readonly sumTimestampDurationsBefore: PerKind<Statement<Omit<CountParams, 'beforeNumber'>, number>>;
  readonly deleteFragmentsBefore: Statement<{ streamId: number; beforeMs: number; limit: number }, DeletedRow>;
  readonly hasFragmentsBefore: Statement<{ streamId: number; beforeMs: number }, number>;
  readonly isBlobReferenced: Statement<[string], number>;
  readonly selectFragment: Statement<[number, string], FragmentRow>;
  readonly deleteStreamFragments: Statement<[number]>;
  readonly referencedExtents: Statement<[], { blob_key: string; end_offset: number }>;
  readonly insertTrackHeader: Statement<[string, Uint8Array]>;
  readonly selectTrackHeaderId: Statement<[string], number>;
  readonly selectTrackHeader: Statement<[number], Buffer>;
  readonly selectLastReserved: Statement<[], bigint>;
  readonly updateLastReserved: Statement<[bigint]>;
}

const TIMESTAMP_COLUMN: PerKind<string> = { producer: 'producer_ts_ms', server: 'server_ts_ms' };

function perKind<S>(build: (column: string) => S): PerKind<S> {
  return { producer: build(TIMESTAMP_COLUMN.producer), server: build(TIMESTAMP_COLUMN.server) };
}

export function prepareFragmentStatements(db: Database.Database): FragmentStatements {
  return {
    // INSERT ... SELECT ... WHERE EXISTS: a row for a stream deleted meanwhile inserts nothing
    // (changes = 0), checked in the same statement as the insert, inside commitFragments' transaction.
    insertFragment: db.prepare<FragmentRow>(
      `INSERT INTO fragments (${FRAGMENT_COLUMNS})
       SELECT @stream_id, @fragment_number, @cluster_timecode, @producer_ts_ms, @server_ts_ms,
         @duration_ms, @size, @header_id, @blob_key, @blob_offset, @frame_index, @tags_json
       WHERE EXISTS (SELECT 1 FROM streams WHERE stream_id = @stream_id)`,
    ),
    listFragments: db.prepare<ListParams, FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments
       WHERE stream_id = @streamId AND fragment_number > @afterNumber
       ORDER BY fragment_number LIMIT @limit`,
    ),
    listFragmentsInRange: perKind((column) =>
      db.prepare<ListParams & TimeRangeParams, FragmentRow>(
        `SELECT ${FRAGMENT_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND fragment_number > @afterNumber
           AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY fragment_number LIMIT @limit`,
      ),
    ),
    listSummaries: db.prepare<ListParams, FragmentSummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM fragments
       WHERE stream_id = @streamId AND fragment_number > @afterNumber
       ORDER BY fragment_number LIMIT @limit`,
    ),
    // Both walk the primary key in number order, testing the timestamp row by row: cheap while
    // most rows walked are in the range. The first serves wide ranges, the second a range's span.
    listSummariesInRange: perKind((column) =>
      db.prepare<ListParams & TimeRangeParams, FragmentSummary>(
        `SELECT ${SUMMARY_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND fragment_number > @afterNumber
           AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY fragment_number LIMIT @limit`,
      ),
    ),
    // A range's span: from its first number, or from the cursor once that is past it.
    listSummariesInSpan: perKind((column) =>
      db.prepare<SpanParams & TimeRangeParams, FragmentSummary>(
        `SELECT ${SUMMARY_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND fragment_number BETWEEN @fromNumber AND @throughNumber
           AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY fragment_number LIMIT @limit`,
      ),
    ),
    listSummariesAfterInSpan: perKind((column) =>
      db.prepare<ListParams & { throughNumber: string } & TimeRangeParams, FragmentSummary>(
        `SELECT ${SUMMARY_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND fragment_number > @afterNumber AND fragment_number <= @throughNumber
           AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY fragment_number LIMIT @limit`,
      ),
    ),
    // A range's size, counted no further than @cap, with its lowest and highest number, from the
    // (timestamp, number) index alone; first and last are the range's own only when n < @cap.
    spanInRange: perKind((column) =>
      db.prepare<Omit<TimeRangeParams, 'limit'> & { cap: number }, RangeSpan>(
        `SELECT COUNT(*) AS n, MIN(fragment_number) AS first, MAX(fragment_number) AS last
         FROM (SELECT fragment_number FROM fragments
               WHERE stream_id = @streamId AND ${column} BETWEEN @startMs AND @endMs LIMIT @cap)`,
      ),
    ),
    fragmentsByTime: perKind((column) =>
      db.prepare<TimeRangeParams, FragmentRow>(
        `SELECT ${FRAGMENT_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY ${column}, fragment_number LIMIT @limit`,
      ),
    ),
    fragmentsByTimeNewestFirst: perKind((column) =>
      db.prepare<TimeRangeParams, FragmentRow>(
        `SELECT ${FRAGMENT_COLUMNS} FROM fragments
         WHERE stream_id = @streamId AND ${column} BETWEEN @startMs AND @endMs
         ORDER BY ${column} DESC, fragment_number DESC LIMIT @limit`,
      ),
    ),
    countFragmentsBefore: perKind((column) =>
      db
        .prepare<CountParams, number>(
          `SELECT COUNT(*) FROM fragments
           WHERE stream_id = @streamId AND ${column} BETWEEN @fromMs AND @beforeMs
             AND (${column} < @beforeMs OR fragment_number < @beforeNumber)`,
        )
        .pluck(),
    ),
    countTimestampsBefore: perKind((column) =>
      db
        .prepare<Omit<CountParams, 'beforeNumber'>, number>(
          `SELECT COUNT(DISTINCT ${column}) FROM fragments
           WHERE stream_id = @streamId AND ${column} >= @fromMs AND ${column} < @beforeMs`,
        )
        .pluck(),
    ),
    countDiscontinuitiesThrough: perKind((column) => {
      const bindings = {
        streamId: '@streamId',
        fromMs: '@fromMs',
        throughMs: '@throughMs',
        throughNumber: '@throughNumber',
        gapThresholdMs: '@gapThresholdMs',
        headerChanges: '@headerChanges',
      };
      const prepare = (onePerTimestamp: boolean) =>
        db.prepare<DiscontinuityBindings, number>(discontinuityCountSql(column, onePerTimestamp, bindings)).pluck();
      return [prepare(false), prepare(true)] as const;
    }),
    sumDurationsBefore: perKind((column) =>
      db
        .prepare<CountParams, number>(
          `SELECT COALESCE(SUM(duration_ms), 0) FROM fragments
           WHERE stream_id = @streamId AND ${column} BETWEEN @fromMs AND @beforeMs
             AND (${column} < @beforeMs OR fragment_number < @beforeNumber)`,
        )
        .pluck(),
    ),
    // One duration per timestamp, the largest-numbered fragment's (the one playlists keep).
    sumTimestampDurationsBefore: perKind((column) =>
      db
        .prepare<Omit<CountParams, 'beforeNumber'>, number>(
          `SELECT COALESCE(SUM(duration_ms), 0) FROM (
             SELECT duration_ms, ROW_NUMBER() OVER (PARTITION BY ${column} ORDER BY fragment_number DESC) AS rank
             FROM fragments WHERE stream_id = @streamId AND ${column} >= @fromMs AND ${column} < @beforeMs)
           WHERE rank = 1`,
        )
        .pluck(),
    ),
    // The oldest first (a LIMIT in SQLite reads -1 as "no limit"); RETURNING tells the caller
    // which blob objects lost fragments, read from the rows this very statement removed.
    deleteFragmentsBefore: db.prepare<{ streamId: number; beforeMs: number; limit: number }, DeletedRow>(
      `DELETE FROM fragments WHERE rowid IN (
         SELECT rowid FROM fragments WHERE stream_id = @streamId AND server_ts_ms < @beforeMs
         ORDER BY server_ts_ms LIMIT @limit)
       RETURNING blob_key, blob_offset + size AS end_offset`,
    ),
    // A read, from the server-time index: most sweeps of most streams find nothing to delete,
    // and a DELETE that removes nothing still takes the write lock.
    hasFragmentsBefore: db
      .prepare<{ streamId: number; beforeMs: number }, number>(
        'SELECT EXISTS (SELECT 1 FROM fragments WHERE stream_id = @streamId AND server_ts_ms < @beforeMs)',
      )
      .pluck(),
    // Answered from the fragments_by_blob_end index without touching the table.
    isBlobReferenced: db
      .prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM fragments WHERE blob_key = ?)')
      .pluck(),
    selectFragment: db.prepare<[number, string], FragmentRow>(
      `SELECT ${FRAGMENT_COLUMNS} FROM fragments WHERE stream_id = ? AND fragment_number = ?`,
    ),
    deleteStreamFragments: db.prepare<[number]>('DELETE FROM fragments WHERE stream_id = ?'),
    // The shared recursive skip scan (storage/fragment-sql.ts): cost grows with blob keys, not rows.
    referencedExtents: db.prepare<[], { blob_key: string; end_offset: number }>(REFERENCED_BLOB_EXTENTS_SQL),
    insertTrackHeader: db.prepare<[string, Uint8Array]>(
      'INSERT INTO track_headers (hash, bytes) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING',
    ),
    selectTrackHeaderId: db.prepare<[string], number>('SELECT header_id FROM track_headers WHERE hash = ?').pluck(),
    selectTrackHeader: db.prepare<[number], Buffer>('SELECT bytes FROM track_headers WHERE header_id = ?').pluck(),
    // safeIntegers: the high-water mark is a BIGINT and comes back as a bigint, never rounded.
    selectLastReserved: db
      .prepare<[], bigint>('SELECT last_reserved FROM fragment_sequence WHERE singleton = 1')
      .pluck()
      .safeIntegers(),
    updateLastReserved: db.prepare<[bigint]>('UPDATE fragment_sequence SET last_reserved = ? WHERE singleton = 1'),
  };
}

export function toFragmentRow(fragment: NewFragment): FragmentRow {
  return {
    stream_id: fragment.streamId,
    fragment_number: fragment.fragmentNumber,
    cluster_timecode: fragment.clusterTimecode,
    producer_ts_ms: fragment.producerTimestampMs,
    server_ts_ms: fragment.serverTimestampMs,
    duration_ms: fragment.durationMs,
    size: fragment.size,
    header_id: fragment.headerId,
    blob_key: fragment.location.key,
    blob_offset: fragment.location.offset,
    frame_index: fragment.frameIndex,
    // Only name and value: a wider object must not smuggle other fields into the row.
    tags_json: JSON.stringify(fragment.tags.map(({ name, value }) => ({ name, value }))),
  };
}

export function toFragmentRecord(row: FragmentRow): FragmentRecord {
  return {
    streamId: row.stream_id,
    fragmentNumber: row.fragment_number,
    clusterTimecode: row.cluster_timecode,
    producerTimestampMs: row.producer_ts_ms,
    serverTimestampMs: row.server_ts_ms,
    durationMs: row.duration_ms,
    size: row.size,
    headerId: row.header_id,
    location: { key: row.blob_key, offset: row.blob_offset },
    frameIndex: plainBytes(row.frame_index),
    tags: JSON.parse(row.tags_json) as FragmentTag[],
  };
}

/**
 * better-sqlite3 returns BLOBs as Buffers, each over its own memory; callers get a plain
 * Uint8Array view of the same bytes (no copy), as the port's types say.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
