import type { FragmentRecord, FragmentTag, NewFragment } from '../../domain/fragment.js';
import type {
  ImageGenerationConfiguration,
  NewStream,
  NotificationConfiguration,
  StorageTier,
  StreamRecord,
  StreamStatus,
} from '../../domain/stream.js';

/**
 * Rows of the PostgreSQL index as `pg` returns them, and their mapping to domain records.
 * `pg` returns BIGINT (int8) columns as strings, since they may exceed 2^53; every one is parsed
 * here and refused if it is not a safe integer, rather than silently rounded.
 */

export type Int8 = string | number;

export function toSafeInteger(value: Int8, column: string): number {
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(parsed) || (typeof value === 'string' && !/^-?\d+$/.test(value))) {
    throw new RangeError(`index column ${column} holds ${String(value)}, not a safe integer`);
  }
  return parsed;
}

export interface StreamRow {
  stream_id: Int8;
  name: string;
  arn: string;
  device_name: string | null;
  media_type: string | null;
  kms_key_id: string;
  version: string;
  status: string;
  creation_time_ms: Int8;
  data_retention_hours: number;
  storage_tier: string;
  image_generation_json: string | null;
  notification_json: string | null;
}

export const STREAM_COLUMNS = `stream_id, name, arn, device_name, media_type, kms_key_id, version, status,
  creation_time_ms, data_retention_hours, storage_tier, image_generation_json, notification_json`;

/** Every column but stream_id, in STREAM_COLUMNS order: $1..$12 of an insert or update. */
export function streamValues(stream: NewStream): unknown[] {
  return [
    stream.name,
    stream.arn,
    stream.deviceName,
    stream.mediaType,
    stream.kmsKeyId,
    stream.version,
    stream.status,
    stream.creationTimeMs,
    stream.dataRetentionInHours,
    stream.storageTier,
    toJson(stream.imageGenerationConfiguration),
    toJson(stream.notificationConfiguration),
  ];
}

/** The columns updateStream may change, in the order of its $2..$9. */
export function mutableStreamValues(stream: StreamRecord): unknown[] {
  return [
    stream.deviceName,
    stream.mediaType,
    stream.version,
    stream.status,
    stream.dataRetentionInHours,
    stream.storageTier,
    toJson(stream.imageGenerationConfiguration),
    toJson(stream.notificationConfiguration),
  ];
}

export function toStreamRecord(row: StreamRow): StreamRecord {
  return {
    streamId: toSafeInteger(row.stream_id, 'streams.stream_id'),
    name: row.name,
    arn: row.arn,
    deviceName: row.device_name,
    mediaType: row.media_type,
    kmsKeyId: row.kms_key_id,
    version: row.version,
    status: row.status as StreamStatus,
    creationTimeMs: toSafeInteger(row.creation_time_ms, 'streams.creation_time_ms'),
    dataRetentionInHours: row.data_retention_hours,
    storageTier: row.storage_tier as StorageTier,
    imageGenerationConfiguration: fromJson<ImageGenerationConfiguration>(row.image_generation_json),
    notificationConfiguration: fromJson<NotificationConfiguration>(row.notification_json),
  };
}

export interface FragmentRow {
  stream_id: Int8;
  fragment_number: string;
  cluster_timecode: Int8;
  producer_ts_ms: Int8;
  server_ts_ms: Int8;
  duration_ms: Int8;
  size: Int8;
  header_id: Int8;
  blob_key: string;
  blob_offset: Int8;
  frame_index: Buffer;
  tags_json: string;
}

export const FRAGMENT_COLUMNS = `stream_id, fragment_number, cluster_timecode, producer_ts_ms, server_ts_ms,
  duration_ms, size, header_id, blob_key, blob_offset, frame_index, tags_json`;

/**
 * A batch of fragments as one array per column, in FRAGMENT_COLUMNS order, for a single
 * INSERT ... SELECT FROM unnest(...): one statement and one round trip for the whole batch.
 */
export function fragmentColumnArrays(fragments: readonly NewFragment[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 12 }, () => []);
  for (const f of fragments) {
    const values = [
      f.streamId,
      f.fragmentNumber,
      f.clusterTimecode,
      f.producerTimestampMs,
      f.serverTimestampMs,
      f.durationMs,
      f.size,
      f.headerId,
      f.location.key,
      f.location.offset,
      Buffer.from(f.frameIndex.buffer, f.frameIndex.byteOffset, f.frameIndex.byteLength),
      // Only name and value: a wider object must not smuggle other fields into the row.
      JSON.stringify(f.tags.map(({ name, value }) => ({ name, value }))),
    ];
    values.forEach((value, i) => columns[i]!.push(value));
  }
  return columns;
}

/** The PostgreSQL types of FRAGMENT_COLUMNS, for the unnest casts. */
export const FRAGMENT_COLUMN_TYPES = [
  'bigint', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'bigint', 'bytea', 'text',
] as const;

export function toFragmentRecord(row: FragmentRow): FragmentRecord {
  const int = (value: Int8, column: string) => toSafeInteger(value, `fragments.${column}`);
  return {
    streamId: int(row.stream_id, 'stream_id'),
    fragmentNumber: row.fragment_number,
    clusterTimecode: int(row.cluster_timecode, 'cluster_timecode'),
    producerTimestampMs: int(row.producer_ts_ms, 'producer_ts_ms'),
    serverTimestampMs: int(row.server_ts_ms, 'server_ts_ms'),
    durationMs: int(row.duration_ms, 'duration_ms'),
    size: int(row.size, 'size'),
    headerId: int(row.header_id, 'header_id'),
    location: { key: row.blob_key, offset: int(row.blob_offset, 'blob_offset') },
    frameIndex: plainBytes(row.frame_index),
    tags: JSON.parse(row.tags_json) as FragmentTag[],
  };
}

/** `pg` returns BYTEA as a Buffer; callers get a plain Uint8Array view of the same bytes (no copy). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toJson(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function fromJson<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}
