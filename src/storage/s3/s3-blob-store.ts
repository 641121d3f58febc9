import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { BlobLocation } from '../../domain/fragment.js';
import {
  BlobNotFoundError,
  InvalidBlobKeyError,
  isValidBlobKey,
  type BlobStore,
  type ByteRange,
} from '../blob-store.js';
import { AppendKeys, isAppendedKey } from './append-keys.js';
import { trimAppendedObjects, type ListedObject } from './recovery.js';
import { reportingUnavailability } from '../unavailable.js';
import { releasingChunks } from '../releasing-chunks.js';
import { isS3Unavailable, statusOf } from './s3-errors.js';
import { DEFAULT_S3_REQUEST_TIMEOUT_MS, parseS3Url, type S3Location, type S3Options } from './s3-options.js';
import { PART_BYTES, putBuffer, putStream, type ObjectRef } from './upload.js';

export interface S3BlobStoreTuning {
  /**
   * trimAppended leaves appended objects younger than this alone: in a cluster another node may
   * have appended them and not yet committed their index rows. Default 15 minutes; tests use 0.
   */
  readonly recoveryGraceMs?: number;
  /** Bytes per part of a multipart put; S3 refuses parts under 5 MiB (but the last). */
  readonly partBytes?: number;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;

const DEFAULT_RECOVERY_GRACE_MS = 15 * 60_000;

/**
 * The BlobStore on an S3-compatible object store (`--storage s3://bucket/prefix`). Object keys
 * are `<prefix>/<key>`. An S3 PUT is durable once it succeeds, so put and append resolve then.
 * append writes one new object per call (storage/s3/append-keys.ts): the group commit appends
 * each stream's batch once, so the request count is one PUT per stream per batch, not per
 * fragment. Reads are ranged GETs streamed straight from the response.
 */
export class S3BlobStore implements BlobStore {
  private readonly keys = new AppendKeys();

  private constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
    private readonly tuning: Required<S3BlobStoreTuning>,
    private readonly requestTimeoutMs: number,
  ) {}

  /**
   * Connects to `url` (s3://bucket[/prefix]) and checks that the bucket is there. Once open, calls
   * that cannot reach the object store (or that it answers with 5xx) reject with
   * ServiceUnavailableException (storage/unavailable.ts) after the SDK's retries.
   */
  static async open(url: string, options: S3Options = {}, tuning: S3BlobStoreTuning = {}): Promise<S3BlobStore> {
    const location = parseS3Url(url);
    const partBytes = tuning.partBytes ?? PART_BYTES;
    if (!Number.isSafeInteger(partBytes) || partBytes < MIN_PART_BYTES) {
      throw new RangeError(`S3 multipart parts must be at least ${MIN_PART_BYTES} bytes, got ${partBytes}`);
    }
    const client = createS3Client(options);
    try {
      await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
    } catch (err) {
      client.destroy();
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const reason = status === 404 ? 'it does not exist' : `${(err as Error).name}: ${(err as Error).message}`;
      throw new Error(`cannot use S3 bucket ${location.bucket}${options.endpoint ? ` at ${options.endpoint}` : ''}: ${reason}`, {
        cause: err,
      });
    }
    const store = new S3BlobStore(
      client,
      location,
      { recoveryGraceMs: tuning.recoveryGraceMs ?? DEFAULT_RECOVERY_GRACE_MS, partBytes },
      options.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS,
    );
    return reportingUnavailability(store, 'object store', isS3Unavailable);
  }

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const ref = this.ref(key);
    if (isAppendedKey(key)) throw new InvalidBlobKeyError(key);
    if (data instanceof Uint8Array) await putBuffer(ref, data);
    else await putStream(ref, data, this.tuning.partBytes);
  }

  /** Chunks are the SDK's own, never reused: ReadOptions change nothing here. */
  async get(key: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    const ref = this.ref(key);
    if (range === undefined) return this.getObject(ref);
    checkRangeShape(key, range);
    if (range.start === range.end) {
      checkRange(key, range, await this.existingSize(key));
      return emptyIterable();
    }
    try {
      const body = await this.getObject(ref, `bytes=${range.start}-${range.end - 1}`, (total) => checkRange(key, range, total));
      return body;
    } catch (err) {
      // 416: the range starts at or past the end; say so with the object's size.
      if (statusOf(err) === 416) checkRange(key, range, await this.existingSize(key));
      throw err;
    }
  }

  async size(key: string): Promise<number | undefined> {
    const ref = this.ref(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const ref = this.ref(key);
    // S3 answers 204 for a missing key too.
    await this.client.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  }

  /**
   * Each append is an object of its own, written whole before the index can point at it: an
   * object no longer than what was indexed in it holds nothing still waiting for the index.
   */
  async retireAppended(key: string, indexedEnd: number): Promise<boolean> {
    const size = await this.size(key);
    if (size === undefined) return true;
    if (size > indexedEnd) return false;
    await this.delete(key);
    return true;
  }

  async deleteSeries(series: string): Promise<number> {
    if (!isValidBlobKey(series)) throw new InvalidBlobKeyError(series);
    let deleted = 0;
    for await (const object of this.listObjects(`${series}/`)) {
      await this.delete(object.key);
      deleted++;
    }
    return deleted;
  }

  async *listFolders(prefix: string): AsyncIterable<string> {
    checkFolderPrefix(prefix);
    const fullPrefix = this.location.prefix === '' ? prefix : `${this.location.prefix}/${prefix}`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: fullPrefix, Delimiter: '/', ContinuationToken }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix === undefined) continue;
        const folder = this.keyOf(common.Prefix);
        if (isValidBlobKey(folder.slice(0, -1))) yield folder;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkFolderPrefix(prefix);
    for await (const object of this.listObjects(prefix)) yield object.key;
  }

  async append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
    if (!isValidBlobKey(series)) throw new InvalidBlobKeyError(series);
    const key = this.keys.next(series);
    // One buffer with a known length: retried requests can resend it, and no chunked upload.
    await putBuffer(this.ref(key), Buffer.concat(data));
    return { key, offset: 0 };
  }

  async prepareAppend(series: string): Promise<void> {
    // Every append is a new object: nothing to ready.
    if (!isValidBlobKey(series)) throw new InvalidBlobKeyError(series);
  }

  async trimAppended(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }> {
    const appended: ListedObject[] = [];
    for await (const object of this.listObjects('')) if (isAppendedKey(object.key)) appended.push(object);
    return trimAppendedObjects(appended, referenced, {
      olderThanMs: Date.now() - this.tuning.recoveryGraceMs,
      delete: (key) => this.delete(key),
      rewrite: async (key, length) => {
        const bytes = await collect(await this.get(key, { start: 0, end: length }));
        await putBuffer(this.ref(key), bytes);
      },
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Validates the key and maps it to the bucket's key space. */
  private ref(key: string): ObjectRef {
    if (!isValidBlobKey(key)) throw new InvalidBlobKeyError(key);
    return { client: this.client, bucket: this.location.bucket, key: this.objectKey(key), requestTimeoutMs: this.requestTimeoutMs };
  }

  private objectKey(key: string): string {
    return this.location.prefix === '' ? key : `${this.location.prefix}/${key}`;
  }

  private async getObject(ref: ObjectRef, range?: string, checkTotal?: (total: number) => void): Promise<AsyncIterable<Uint8Array>> {
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: range }));
    } catch (err) {
      if (statusOf(err) === 404 && (err as Error).name !== 'NoSuchBucket') throw new BlobNotFoundError(this.keyOf(ref.key));
      throw err;
    }
    const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    if (body === undefined) return emptyIterable();
    // S3 serves a range that runs past the end as far as the object goes (206 with the real
    // extent in Content-Range): a request for bytes the object does not have is a RangeError here.
    const total = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1];
    if (checkTotal !== undefined && total !== undefined) {
      try {
        checkTotal(Number(total));
      } catch (err) {
        body.destroy?.();
        throw err;
      }
    }
    // Given up unread, the body must still let go of its connection.
    return releasingChunks(body, () => body.destroy?.());
  }

  private async existingSize(key: string): Promise<number> {
    const size = await this.size(key);
    if (size === undefined) throw new BlobNotFoundError(key);
    return size;
  }

  /** Every object under `prefix` (a folder of our key space), with blob-store keys. */
  private async *listObjects(prefix: string): AsyncIterable<ListedObject> {
    const fullPrefix = this.location.prefix === '' ? prefix : `${this.location.prefix}/${prefix}`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: fullPrefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        const listed = this.toListed(object);
        if (listed !== undefined) yield listed;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  private toListed(object: _Object): ListedObject | undefined {
    if (object.Key === undefined) return undefined;
    const key = this.keyOf(object.Key);
    // Objects other tools put under the prefix with keys we could not have written are not ours.
    if (!isValidBlobKey(key)) return undefined;
    return { key, size: object.Size ?? 0, lastModifiedMs: object.LastModified?.getTime() ?? 0 };
  }

  private keyOf(objectKey: string): string {
    return this.location.prefix === '' ? objectKey : objectKey.slice(this.location.prefix.length + 1);
  }
}

/** A folder prefix of our key space: '' or a valid key followed by '/'. */
function checkFolderPrefix(prefix: string): void {
  if (prefix !== '' && !(prefix.endsWith('/') && isValidBlobKey(prefix.slice(0, -1)))) throw new InvalidBlobKeyError(prefix);
}

/** Connecting to an S3 endpoint takes milliseconds when it is up; no need to wait long. */
const CONNECT_TIMEOUT_MS = 3_000;
/**
 * A response body that stops flowing for this long is abandoned. Generous, because a reader
 * applying backpressure (a slow GetMedia client) also stops the flow.
 */
const STALLED_BODY_MS = 60_000;

export function createS3Client(options: S3Options): S3Client {
  const checksum = options.checksum === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return new S3Client({
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      // Time to the response headers; thrown (not merely logged) so that the SDK retries, then fails.
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: STALLED_BODY_MS,
    },
    endpoint: options.endpoint,
    region: options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    // Clones are usually reached by IP or a plain host name, where bucket-in-host names cannot resolve.
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
  });
}


function checkRangeShape(key: string, range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end) {
    throw new RangeError(`range [${start}, ${end}) is not a valid range of blob ${key}`);
  }
}

function checkRange(key: string, range: ByteRange, size: number): void {
  if (range.end > size) throw new RangeError(`range [${range.start}, ${range.end}) is outside blob ${key} of ${size} bytes`);
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {
  // Yields nothing: an empty object or range.
}
