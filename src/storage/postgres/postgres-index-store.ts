import type pg from 'pg';
import type { FragmentRecord, FragmentSummary, NewFragment } from '../../domain/fragment.js';
import { applyPatch, type NewStream, type StreamPatch, type StreamRecord } from '../../domain/stream.js';
import { checkEveryMs, type DeletedFragments, type DiscontinuityQuery, type FragmentTimeRange, type FragmentTimestampKind, type IndexStore } from '../index-store.js';
import { reportingUnavailability } from '../unavailable.js';
import { isPostgresUnavailable } from './connection.js';
import { FragmentQueries } from './fragment-queries.js';
import { migrate } from './migrations.js';
import { createPool, inTransaction, redactedUrl, type Queryable } from './pool.js';
import { mutableStreamValues, STREAM_COLUMNS, streamValues, toStreamRecord, type StreamRow } from './rows.js';

/** Two-key advisory locks (class, hashtext(arn)): a key space apart from the one-key migration lock. */
const TAG_LOCK_CLASS = 0x746167; // "tag"

/**
 * The IndexStore on PostgreSQL (`--index postgres://…`), for several openkvs nodes sharing one
 * index. Same schema and semantics as the SQLite adapter (migrations shared, storage/postgres/
 * dialect.ts holds the differences). Each call is atomic: one statement in autocommit, or one
 * transaction (READ COMMITTED, with row or advisory locks where two nodes could interleave).
 * Commits are durable when they resolve as long as the server runs with synchronous_commit on
 * (its default).
 */
export class PostgresIndexStore implements IndexStore {
  private readonly fragments: FragmentQueries;

  private constructor(private readonly pool: pg.Pool) {
    this.fragments = new FragmentQueries(pool);
  }

  /**
   * Connects, and migrates the schema (safe when several nodes start at once). Once open, calls
   * that cannot reach the database reject with ServiceUnavailableException (storage/unavailable.ts)
   * and the pool reconnects by itself when the database is back.
   */
  static async open(url: string): Promise<PostgresIndexStore> {
    const pool = createPool(url);
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`cannot open the PostgreSQL index at ${redactedUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return reportingUnavailability(new PostgresIndexStore(pool), 'index database', isPostgresUnavailable);
  }

  async createStream(stream: NewStream, tags: Readonly<Record<string, string>>): Promise<StreamRecord | undefined> {
    return inTransaction(this.pool, async (client) => {
      // ON CONFLICT DO NOTHING covers both unique names and unique ARNs; no row means taken.
      const inserted = await client.query<StreamRow>(
        `INSERT INTO streams (name, arn, device_name, media_type, kms_key_id, version, status,
           creation_time_ms, data_retention_hours, storage_tier, image_generation_json, notification_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT DO NOTHING RETURNING ${STREAM_COLUMNS}`,
        streamValues(stream),
      );
      const row = inserted.rows[0];
      if (row === undefined) return undefined;
      await upsertTags(client, stream.arn, tags);
      return toStreamRecord(row);
    });
  }

  async getStreamByName(name: string): Promise<StreamRecord | undefined> {
    return this.selectStream('name = $1', name);
  }

  async getStreamByArn(arn: string): Promise<StreamRecord | undefined> {
    return this.selectStream('arn = $1', arn);
  }

  async listStreams(query: { afterName?: string; namePrefix?: string; limit: number }): Promise<StreamRecord[]> {
    checkLimit('listStreams', query.limit);
    // left(), not LIKE: a prefix is literal ('_' and '%' are valid in names). `name >= prefix`
    // lets the (C-collated) name index start the scan at the prefix.
    const result = await this.pool.query<StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams
       WHERE name > $1 AND name >= $2 AND left(name, length($2)) = $2
       ORDER BY name LIMIT $3`,
      [query.afterName ?? '', query.namePrefix ?? '', query.limit],
    );
    return result.rows.map(toStreamRecord);
  }

  async updateStream(streamId: number, expectedVersion: string, patch: StreamPatch): Promise<StreamRecord | undefined> {
    return inTransaction(this.pool, async (client) => {
      const current = await lockStream(client, streamId);
      if (current === undefined || current.version !== expectedVersion) return undefined;
      const updated = applyPatch(current, patch);
      const result = await client.query<StreamRow>(
        `UPDATE streams SET device_name = $2, media_type = $3, version = $4, status = $5,
           data_retention_hours = $6, storage_tier = $7, image_generation_json = $8, notification_json = $9
         WHERE stream_id = $1 RETURNING ${STREAM_COLUMNS}`,
        [streamId, ...mutableStreamValues(updated)],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : toStreamRecord(row);
    });
  }

  async deleteStream(streamId: number, expectedVersion: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // FOR UPDATE waits for commitFragments holding the row (FOR KEY SHARE), so the fragment
      // delete below sees their rows; and it makes their later lock attempts find no stream.
      const current = await lockStream(client, streamId);
      if (current === undefined || current.version !== expectedVersion) return false;
      await client.query('DELETE FROM resource_tags WHERE resource_arn = $1', [current.arn]);
      await this.fragments.deleteStreamFragments(client, streamId);
      await client.query('DELETE FROM streams WHERE stream_id = $1', [streamId]);
      return true;
    });
  }

  async listTags(resourceArn: string): Promise<Record<string, string>> {
    return tagsOf(this.pool, resourceArn);
  }

  async putTags(resourceArn: string, tags: Readonly<Record<string, string>>, maxTags: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Two nodes adding tags to one resource at once must not both pass the limit check.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TAG_LOCK_CLASS, resourceArn]);
      const existing = await tagsOf(client, resourceArn);
      const entries = Object.entries(tags);
      const added = entries.filter(([key]) => !Object.hasOwn(existing, key)).length;
      if (Object.keys(existing).length + added > maxTags) return false;
      await upsertTags(client, resourceArn, tags);
      return true;
    });
  }

  async removeTags(resourceArn: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query('DELETE FROM resource_tags WHERE resource_arn = $1 AND tag_key = ANY($2::text[])', [
      resourceArn,
      [...keys],
    ]);
  }

  async reserveFragmentSequence(count: number): Promise<bigint> {
    return this.fragments.reserveSequence(count);
  }

  async putTrackHeader(hash: string, bytes: Uint8Array): Promise<number> {
    return this.fragments.putTrackHeader(hash, bytes);
  }

  async getTrackHeader(headerId: number): Promise<Uint8Array | undefined> {
    return this.fragments.getTrackHeader(headerId);
  }

  async commitFragments(fragments: readonly NewFragment[]): Promise<boolean[]> {
    return this.fragments.commit(fragments);
  }

  async listFragments(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentRecord[]> {
    checkLimit('listFragments', query.limit);
    const afterNumber = query.afterNumber ?? '';
    if (query.range === undefined) return this.fragments.list(streamId, afterNumber, query.limit);
    return this.fragments.listInRange(streamId, afterNumber, query.range, query.limit);
  }

  async listFragmentSummaries(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentSummary[]> {
    checkLimit('listFragmentSummaries', query.limit);
    return this.fragments.listSummaries(streamId, query.afterNumber ?? '', query.range, query.limit);
  }

  async fragmentsByTime(
    streamId: number,
    query: { range: FragmentTimeRange; limit: number; newestFirst?: boolean },
  ): Promise<FragmentRecord[]> {
    checkLimit('fragmentsByTime', query.limit);
    return this.fragments.byTime(streamId, query.range, query.limit, query.newestFirst === true);
  }

  async countFragmentsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string },
  ): Promise<number> {
    return this.fragments.countBefore(streamId, query);
  }

  async countTimestampsBefore(streamId: number, query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number }): Promise<number> {
    return this.fragments.countTimestampsBefore(streamId, query);
  }

  async countDiscontinuitiesThrough(streamId: number, query: DiscontinuityQuery): Promise<number> {
    return this.fragments.countDiscontinuitiesThrough(streamId, query);
  }

  async sumDurationsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string; onePerTimestamp: boolean },
  ): Promise<number> {
    return this.fragments.sumDurationsBefore(streamId, query);
  }

  async deleteFragmentsBefore(streamId: number, serverTimestampMs: number, limit?: number): Promise<DeletedFragments> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new RangeError(`deleteFragmentsBefore limit must be a positive integer, got ${limit}`);
    }
    return this.fragments.deleteBefore(streamId, serverTimestampMs, limit);
  }

  async isBlobReferenced(key: string): Promise<boolean> {
    return this.fragments.isBlobReferenced(key);
  }

  async streamExists(streamId: number): Promise<boolean> {
    const result = await this.pool.query('SELECT 1 FROM streams WHERE stream_id = $1', [streamId]);
    return result.rows.length > 0;
  }

  async getFragment(streamId: number, fragmentNumber: string): Promise<FragmentRecord | undefined> {
    return this.fragments.get(streamId, fragmentNumber);
  }

  async referencedBlobExtents(): Promise<Map<string, number>> {
    return this.fragments.referencedBlobExtents();
  }

  async claimPeriodicTask(task: string, everyMs: number): Promise<boolean> {
    checkEveryMs(everyMs);
    // The database server's clock, shared by every node. Nodes asking at once queue on the row
    // lock, and READ COMMITTED re-checks the WHERE against the row the first one wrote: one wins.
    const result = await this.pool.query(
      `INSERT INTO periodic_tasks (task, last_claimed_ms)
         VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint)
       ON CONFLICT (task) DO UPDATE SET last_claimed_ms = excluded.last_claimed_ms
         WHERE periodic_tasks.last_claimed_ms <= excluded.last_claimed_ms - $2
       RETURNING 1`,
      [task, everyMs],
    );
    return result.rows.length === 1;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async selectStream(where: string, value: string): Promise<StreamRecord | undefined> {
    const result = await this.pool.query<StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE ${where}`, [value]);
    const row = result.rows[0];
    return row === undefined ? undefined : toStreamRecord(row);
  }
}

async function lockStream(client: Queryable, streamId: number): Promise<StreamRecord | undefined> {
  const result = await client.query<StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE stream_id = $1 FOR UPDATE`, [
    streamId,
  ]);
  const row = result.rows[0];
  return row === undefined ? undefined : toStreamRecord(row);
}

async function tagsOf(db: Queryable, resourceArn: string): Promise<Record<string, string>> {
  const result = await db.query<{ tag_key: string; tag_value: string }>(
    'SELECT tag_key, tag_value FROM resource_tags WHERE resource_arn = $1 ORDER BY tag_key',
    [resourceArn],
  );
  // fromEntries defines own properties, so a tag key such as "__proto__" survives.
  return Object.fromEntries(result.rows.map((row) => [row.tag_key, row.tag_value]));
}

async function upsertTags(db: Queryable, resourceArn: string, tags: Readonly<Record<string, string>>): Promise<void> {
  const entries = Object.entries(tags);
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO resource_tags (resource_arn, tag_key, tag_value)
     SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t (k, v)
     ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
    [resourceArn, entries.map(([key]) => key), entries.map(([, value]) => value)],
  );
}

/** Refuse a negative or fractional limit rather than let the database interpret it. */
function checkLimit(operation: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`${operation} limit must be a non-negative integer, got ${limit}`);
  }
}
