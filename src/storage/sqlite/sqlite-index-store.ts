import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { FragmentRecord, FragmentSummary, NewFragment } from '../../domain/fragment.js';
import {
  applyPatch,
  type ImageGenerationConfiguration,
  type NewStream,
  type NotificationConfiguration,
  type StorageTier,
  type StreamPatch,
  type StreamRecord,
  type StreamStatus,
} from '../../domain/stream.js';
import { checkEveryMs, type DeletedFragments, type DiscontinuityQuery, type FragmentTimeRange, type FragmentTimestampKind, type IndexStore } from '../index-store.js';
import {
  plainBytes,
  prepareFragmentStatements,
  toFragmentRecord,
  toFragmentRow,
  type FragmentStatements,
} from './fragment-rows.js';
import { migrate } from './migrations.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSyncedCommits } from './wal-sync.js';

/** A `streams` row as better-sqlite3 returns it. */
interface StreamRow {
  stream_id: number;
  name: string;
  arn: string;
  device_name: string | null;
  media_type: string | null;
  kms_key_id: string;
  version: string;
  status: string;
  creation_time_ms: number;
  data_retention_hours: number;
  storage_tier: string;
  image_generation_json: string | null;
  notification_json: string | null;
}

/** Named parameters for writing every mutable column of a stream. */
type StreamParams = Omit<StreamRow, 'stream_id'>;

interface TagRow {
  tag_key: string;
  tag_value: string;
}

const STREAM_COLUMNS = `stream_id, name, arn, device_name, media_type, kms_key_id, version, status,
  creation_time_ms, data_retention_hours, storage_tier, image_generation_json, notification_json`;

const BUSY_TIMEOUT_MS = 5_000;

/**
 * Time ranges of up to this many fragments get their fragment-number span looked up before a
 * listing walks them (well under a millisecond in the (timestamp, number) index).
 */
const DEFAULT_SPAN_LOOKUP_MAX = 5_000;

export interface SqliteIndexOptions {
  /** Tests lower it to reach both listing paths with a few rows. */
  readonly spanLookupMax?: number;
}

function prepareStatements(db: Database.Database) {
  return {
    insertStream: db.prepare<StreamParams>(
      `INSERT INTO streams (name, arn, device_name, media_type, kms_key_id, version, status,
         creation_time_ms, data_retention_hours, storage_tier, image_generation_json, notification_json)
       VALUES (@name, @arn, @device_name, @media_type, @kms_key_id, @version, @status,
         @creation_time_ms, @data_retention_hours, @storage_tier, @image_generation_json, @notification_json)
       ON CONFLICT DO NOTHING`,
    ),
    selectById: db.prepare<[number], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE stream_id = ?`),
    selectByName: db.prepare<[string], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE name = ?`),
    selectByArn: db.prepare<[string], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE arn = ?`),
    // substr, not LIKE: a prefix is literal ('_' and '%' are valid in names), and LIKE ignores case.
    // `name >= @prefix` lets the name index start the scan at the prefix.
    listStreams: db.prepare<{ afterName: string; prefix: string; limit: number }, StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams
       WHERE name > @afterName AND name >= @prefix AND substr(name, 1, length(@prefix)) = @prefix
       ORDER BY name LIMIT @limit`,
    ),
    updateStream: db.prepare<StreamParams & { stream_id: number; expected_version: string }>(
      `UPDATE streams SET device_name = @device_name, media_type = @media_type, version = @version,
         status = @status, data_retention_hours = @data_retention_hours, storage_tier = @storage_tier,
         image_generation_json = @image_generation_json, notification_json = @notification_json
       WHERE stream_id = @stream_id AND version = @expected_version`,
    ),
    deleteStream: db.prepare<[number]>('DELETE FROM streams WHERE stream_id = ?'),
    selectTags: db.prepare<[string], TagRow>(
      'SELECT tag_key, tag_value FROM resource_tags WHERE resource_arn = ? ORDER BY tag_key',
    ),
    upsertTag: db.prepare<[string, string, string]>(
      `INSERT INTO resource_tags (resource_arn, tag_key, tag_value) VALUES (?, ?, ?)
       ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
    ),
    deleteTag: db.prepare<[string, string]>('DELETE FROM resource_tags WHERE resource_arn = ? AND tag_key = ?'),
    deleteAllTags: db.prepare<[string]>('DELETE FROM resource_tags WHERE resource_arn = ?'),
    // A row comes back only when the task was taken: inserted, or updated because it was due.
    claimPeriodicTask: db.prepare<{ task: string; nowMs: number; everyMs: number }, { claimed: number }>(
      `INSERT INTO periodic_tasks (task, last_claimed_ms) VALUES (@task, @nowMs)
       ON CONFLICT (task) DO UPDATE SET last_claimed_ms = excluded.last_claimed_ms
         WHERE periodic_tasks.last_claimed_ms <= excluded.last_claimed_ms - @everyMs
       RETURNING 1 AS claimed`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The embedded IndexStore: one better-sqlite3 connection. Every method runs synchronously
 * inside one SQLite transaction, which is what makes each call atomic.
 */
export class SqliteIndexStore implements IndexStore {
  private readonly walSynced: WalSyncedCommits;
  private checkpointer: WalCheckpointer | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly stmts: Statements,
    private readonly fragmentStmts: FragmentStatements,
    private readonly spanLookupMax: number,
  ) {
    this.walSynced = new WalSyncedCommits(db);
  }

  /** Opens (creating it and its parent directories if needed) and migrates the database at `path`. */
  static open(path: string, options: SqliteIndexOptions = {}): SqliteIndexStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      configureConnection(db);
      migrate(db);
      return new SqliteIndexStore(db, prepareStatements(db), prepareFragmentStatements(db), options.spanLookupMax ?? DEFAULT_SPAN_LOOKUP_MAX);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async createStream(stream: NewStream, tags: Readonly<Record<string, string>>): Promise<StreamRecord | undefined> {
    return this.db.transaction(() => {
      const result = this.stmts.insertStream.run(toParams(stream));
      if (result.changes === 0) return undefined;
      for (const [key, value] of Object.entries(tags)) this.stmts.upsertTag.run(stream.arn, key, value);
      return this.streamById(Number(result.lastInsertRowid));
    })();
  }

  async getStreamByName(name: string): Promise<StreamRecord | undefined> {
    return toRecordOrUndefined(this.stmts.selectByName.get(name));
  }

  async getStreamByArn(arn: string): Promise<StreamRecord | undefined> {
    return toRecordOrUndefined(this.stmts.selectByArn.get(arn));
  }

  async listStreams(query: { afterName?: string; namePrefix?: string; limit: number }): Promise<StreamRecord[]> {
    checkLimit('listStreams', query.limit);
    const rows = this.stmts.listStreams.all({
      afterName: query.afterName ?? '',
      prefix: query.namePrefix ?? '',
      limit: query.limit,
    });
    return rows.map(toRecord);
  }

  async updateStream(streamId: number, expectedVersion: string, patch: StreamPatch): Promise<StreamRecord | undefined> {
    return this.db.transaction(() => {
      const current = this.streamById(streamId);
      if (current === undefined || current.version !== expectedVersion) return undefined;
      const updated = applyPatch(current, patch);
      this.stmts.updateStream.run({ ...toParams(updated), stream_id: streamId, expected_version: expectedVersion });
      return this.streamById(streamId);
    })();
  }

  async deleteStream(streamId: number, expectedVersion: string): Promise<boolean> {
    return this.db.transaction(() => {
      const current = this.streamById(streamId);
      if (current === undefined || current.version !== expectedVersion) return false;
      this.stmts.deleteAllTags.run(current.arn);
      this.fragmentStmts.deleteStreamFragments.run(streamId);
      this.stmts.deleteStream.run(streamId);
      return true;
    })();
  }

  async listTags(resourceArn: string): Promise<Record<string, string>> {
    return this.tagsOf(resourceArn);
  }

  async putTags(resourceArn: string, tags: Readonly<Record<string, string>>, maxTags: number): Promise<boolean> {
    return this.db.transaction(() => {
      const existing = this.tagsOf(resourceArn);
      const entries = Object.entries(tags);
      const added = entries.filter(([key]) => !Object.hasOwn(existing, key)).length;
      if (Object.keys(existing).length + added > maxTags) return false;
      for (const [key, value] of entries) this.stmts.upsertTag.run(resourceArn, key, value);
      return true;
    })();
  }

  async removeTags(resourceArn: string, keys: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const key of keys) this.stmts.deleteTag.run(resourceArn, key);
    })();
  }

  async reserveFragmentSequence(count: number): Promise<bigint> {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`reserveFragmentSequence count must be a positive integer, got ${count}`);
    }
    // IMMEDIATE: take the write lock before reading, so another connection cannot read the same
    // high-water mark in between. The commit (synchronous=FULL) makes the reservation durable.
    return this.db.transaction(() => {
      const last = this.fragmentStmts.selectLastReserved.get();
      if (last === undefined) throw new Error('fragment_sequence has no row; the index database is damaged');
      this.fragmentStmts.updateLastReserved.run(last + BigInt(count));
      return last + 1n;
    }).immediate();
  }

  async putTrackHeader(hash: string, bytes: Uint8Array): Promise<number> {
    return this.db.transaction(() => {
      this.fragmentStmts.insertTrackHeader.run(hash, bytes);
      const headerId = this.fragmentStmts.selectTrackHeaderId.get(hash);
      if (headerId === undefined) throw new Error(`track header ${hash} vanished right after its insert`);
      return headerId;
    }).immediate();
  }

  async getTrackHeader(headerId: number): Promise<Uint8Array | undefined> {
    const bytes = this.fragmentStmts.selectTrackHeader.get(headerId);
    return bytes === undefined ? undefined : plainBytes(bytes);
  }

  async commitFragments(fragments: readonly NewFragment[]): Promise<boolean[]> {
    if (fragments.length === 0) return [];
    // The ingest writes here: its checkpoints go to a worker thread (wal-checkpointer.ts).
    if (this.db.open) this.checkpointer ??= new WalCheckpointer(this.db, BUSY_TIMEOUT_MS);
    // One transaction, one WAL fsync for the whole batch (the group commit), that fsync off the
    // event loop. A duplicate fragment number throws and rolls the whole batch back.
    return this.walSynced.commit(() =>
      fragments.map((fragment) => this.fragmentStmts.insertFragment.run(toFragmentRow(fragment)).changes === 1),
    );
  }

  async listFragments(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentRecord[]> {
    checkLimit('listFragments', query.limit);
    const params = { streamId, afterNumber: query.afterNumber ?? '', limit: query.limit };
    const { range } = query;
    const rows = range
      ? this.fragmentStmts.listFragmentsInRange[range.by].all({ ...params, startMs: range.startMs, endMs: range.endMs })
      : this.fragmentStmts.listFragments.all(params);
    return rows.map(toFragmentRecord);
  }

  async listFragmentSummaries(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentSummary[]> {
    checkLimit('listFragmentSummaries', query.limit);
    const params = { streamId, afterNumber: query.afterNumber ?? '', limit: query.limit };
    const { range } = query;
    if (!range) return this.fragmentStmts.listSummaries.all(params);
    const timeRange = { streamId, startMs: range.startMs, endMs: range.endMs };
    // One read transaction: the span and the page come from the same snapshot.
    return this.db.transaction(() => {
      // Walking the number order from the cursor reads every fragment before the range (a range
      // at the end of a long stream) and after it (a range in the middle) too. For a range of at
      // most spanLookupMax fragments, its span of numbers comes cheaply from the (timestamp,
      // number) index, and the walk covers only that span; a wider one mostly matches anyway.
      const span = this.fragmentStmts.spanInRange[range.by].get({ ...timeRange, cap: this.spanLookupMax + 1 });
      if (!span?.first || !span.last) return [];
      if (span.n > this.spanLookupMax) return this.fragmentStmts.listSummariesInRange[range.by].all({ ...params, ...timeRange });
      if (params.afterNumber < span.first) {
        const first = { ...timeRange, fromNumber: span.first, throughNumber: span.last, limit: query.limit };
        return this.fragmentStmts.listSummariesInSpan[range.by].all(first);
      }
      return this.fragmentStmts.listSummariesAfterInSpan[range.by].all({ ...params, ...timeRange, throughNumber: span.last });
    })();
  }

  async fragmentsByTime(
    streamId: number,
    query: { range: FragmentTimeRange; limit: number; newestFirst?: boolean },
  ): Promise<FragmentRecord[]> {
    checkLimit('fragmentsByTime', query.limit);
    const { range } = query;
    const statements = query.newestFirst ? this.fragmentStmts.fragmentsByTimeNewestFirst : this.fragmentStmts.fragmentsByTime;
    const rows = statements[range.by].all({ streamId, startMs: range.startMs, endMs: range.endMs, limit: query.limit });
    return rows.map(toFragmentRecord);
  }

  async countFragmentsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string },
  ): Promise<number> {
    const { by, ...params } = query;
    return this.fragmentStmts.countFragmentsBefore[by].get({ streamId, ...params }) ?? 0;
  }

  async countTimestampsBefore(streamId: number, query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number }): Promise<number> {
    const { by, ...params } = query;
    return this.fragmentStmts.countTimestampsBefore[by].get({ streamId, ...params }) ?? 0;
  }

  async countDiscontinuitiesThrough(streamId: number, query: DiscontinuityQuery): Promise<number> {
    const statement = this.fragmentStmts.countDiscontinuitiesThrough[query.by][query.onePerTimestamp ? 1 : 0];
    return (
      statement.get({
        streamId,
        fromMs: query.fromMs,
        throughMs: query.throughMs,
        throughNumber: query.throughNumber,
        gapThresholdMs: query.gapThresholdMs ?? -1,
        headerChanges: query.headerChanges ? 1 : 0,
      }) ?? 0
    );
  }

  async sumDurationsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string; onePerTimestamp: boolean },
  ): Promise<number> {
    const { by, onePerTimestamp, beforeNumber, ...params } = query;
    if (onePerTimestamp) return this.fragmentStmts.sumTimestampDurationsBefore[by].get({ streamId, ...params }) ?? 0;
    return this.fragmentStmts.sumDurationsBefore[by].get({ streamId, beforeNumber, ...params }) ?? 0;
  }

  async deleteFragmentsBefore(streamId: number, serverTimestampMs: number, limit?: number): Promise<DeletedFragments> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new RangeError(`deleteFragmentsBefore limit must be a positive integer, got ${limit}`);
    }
    const params = { streamId, beforeMs: serverTimestampMs };
    if (this.fragmentStmts.hasFragmentsBefore.get(params) !== 1) return { count: 0, blobEnds: new Map() };
    // One statement, so one implicit transaction: the rows it reports are the rows it removed.
    const rows = this.fragmentStmts.deleteFragmentsBefore.all({ ...params, limit: limit ?? -1 });
    const blobEnds = new Map<string, number>();
    for (const row of rows) blobEnds.set(row.blob_key, Math.max(blobEnds.get(row.blob_key) ?? 0, row.end_offset));
    return { count: rows.length, blobEnds };
  }

  async getFragment(streamId: number, fragmentNumber: string): Promise<FragmentRecord | undefined> {
    const row = this.fragmentStmts.selectFragment.get(streamId, fragmentNumber);
    return row === undefined ? undefined : toFragmentRecord(row);
  }

  async referencedBlobExtents(): Promise<Map<string, number>> {
    const rows = this.fragmentStmts.referencedExtents.all();
    return new Map(rows.map((row) => [row.blob_key, row.end_offset]));
  }

  async isBlobReferenced(key: string): Promise<boolean> {
    return this.fragmentStmts.isBlobReferenced.get(key) === 1;
  }

  async streamExists(streamId: number): Promise<boolean> {
    return this.stmts.selectById.get(streamId) !== undefined;
  }

  async claimPeriodicTask(task: string, everyMs: number): Promise<boolean> {
    checkEveryMs(everyMs);
    return this.stmts.claimPeriodicTask.get({ task, nowMs: Date.now(), everyMs }) !== undefined;
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    await this.walSynced.close();
    if (this.db.open) this.db.close();
  }

  private streamById(streamId: number): StreamRecord | undefined {
    return toRecordOrUndefined(this.stmts.selectById.get(streamId));
  }

  private tagsOf(resourceArn: string): Record<string, string> {
    // fromEntries defines own properties, so a tag key such as "__proto__" survives.
    return Object.fromEntries(this.stmts.selectTags.all(resourceArn).map((row) => [row.tag_key, row.tag_value]));
  }
}

/** SQLite reads a negative LIMIT as "no limit"; refuse rather than return everything. */
function checkLimit(operation: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`${operation} limit must be a non-negative integer, got ${limit}`);
  }
}

function configureConnection(db: Database.Database): void {
  // Set first, so that switching the journal mode already waits for other connections' locks.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const journalMode = db.pragma('journal_mode = WAL', { simple: true });
  if (journalMode !== 'wal') {
    throw new Error(`index database ${db.name} cannot use WAL journaling (got ${String(journalMode)})`);
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss, and PERSISTED acks
  // promise that a committed row survives.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

function toParams(stream: NewStream): StreamParams {
  return {
    name: stream.name,
    arn: stream.arn,
    device_name: stream.deviceName,
    media_type: stream.mediaType,
    kms_key_id: stream.kmsKeyId,
    version: stream.version,
    status: stream.status,
    creation_time_ms: stream.creationTimeMs,
    data_retention_hours: stream.dataRetentionInHours,
    storage_tier: stream.storageTier,
    image_generation_json: toJson(stream.imageGenerationConfiguration),
    notification_json: toJson(stream.notificationConfiguration),
  };
}

function toRecordOrUndefined(row: StreamRow | undefined): StreamRecord | undefined {
  return row === undefined ? undefined : toRecord(row);
}

function toRecord(row: StreamRow): StreamRecord {
  return {
    streamId: row.stream_id,
    name: row.name,
    arn: row.arn,
    deviceName: row.device_name,
    mediaType: row.media_type,
    kmsKeyId: row.kms_key_id,
    version: row.version,
    status: row.status as StreamStatus,
    creationTimeMs: row.creation_time_ms,
    dataRetentionInHours: row.data_retention_hours,
    storageTier: row.storage_tier as StorageTier,
    imageGenerationConfiguration: fromJson<ImageGenerationConfiguration>(row.image_generation_json),
    notificationConfiguration: fromJson<NotificationConfiguration>(row.notification_json),
  };
}

function toJson(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function fromJson<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}
