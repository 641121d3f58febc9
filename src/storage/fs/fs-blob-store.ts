import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, unlink, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BlobLocation } from '../../domain/fragment.js';
import {
  BlobNotFoundError,
  InvalidBlobKeyError,
  isValidBlobKey,
  type BlobStore,
  type ByteRange,
  type ReadOptions,
} from '../blob-store.js';
import { fsyncDirectory, isMissing, mkdirDurably, readEntries, walkFiles } from './fs-util.js';
import { DEFAULT_SEGMENT_OPTIONS, isSegmentName, SegmentAppender, type SegmentOptions } from './segments.js';
import { releasingChunks } from '../releasing-chunks.js';

/**
 * Temp files carry a '~', which no key segment may contain, so they can never collide with an
 * object and are recognisable after a crash.
 */
const TEMP_MARK = '~';

export function tempFileNameFor(objectFileName: string): string {
  return `${objectFileName}${TEMP_MARK}${randomUUID()}.tmp`;
}

function isTempFileName(name: string): boolean {
  return name.includes(TEMP_MARK);
}

/**
 * The embedded BlobStore: one file per object, under `root`, at the key's path.
 * Assumes one process owns `root` (open() deletes temp files it finds).
 * A key cannot be both an object and a folder of other keys ('a' and 'a/b'): the filesystem
 * refuses it, and put rejects with the filesystem error.
 *
 * Appended series are folders of append-only segment files (storage/fs/segments.ts); keys whose
 * last segment is a segment file name (digits + '.seg') belong to append, and put refuses them.
 * Recovery after a crash: call trimAppended once, after open and before the first append.
 */
/** Bytes per read of get(). */
const READ_CHUNK_BYTES = 1024 * 1024;

export class FsBlobStore implements BlobStore {
  private readonly segments: SegmentAppender;

  private constructor(
    private readonly root: string,
    segmentOptions: SegmentOptions,
  ) {
    this.segments = new SegmentAppender(root, segmentOptions);
  }

  /**
   * Opens the store at `root`, creating it, and removes temp files left by a crash mid-put.
   * `options` tunes the segment files of append (tests use tiny segments).
   */
  static async open(root: string, options: Partial<SegmentOptions> = {}): Promise<FsBlobStore> {
    const absoluteRoot = resolve(root);
    const store = new FsBlobStore(absoluteRoot, { ...DEFAULT_SEGMENT_OPTIONS, ...options });
    await mkdir(absoluteRoot, { recursive: true });
    await removeTempFiles(absoluteRoot);
    return store;
  }

  /**
   * The store at `root` beside the process that opened it (`serve --workers`): it changes nothing
   * on opening, so that process's temp files are left alone. It may append to series no other
   * process appends to.
   */
  static openBeside(root: string, options: Partial<SegmentOptions> = {}): FsBlobStore {
    return new FsBlobStore(resolve(root), { ...DEFAULT_SEGMENT_OPTIONS, ...options });
  }

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const path = this.pathOf(key);
    if (isSegmentName(basename(path))) throw new InvalidBlobKeyError(key);
    const dir = dirname(path);
    await mkdirDurably(dir);
    const tempPath = join(dir, tempFileNameFor(basename(path)));
    await writeSynced(tempPath, data);
    try {
      await rename(tempPath, path);
    } catch (err) {
      await rm(tempPath, { force: true });
      throw err;
    }
    // The rename is only durable once the directory entry is on disk.
    await fsyncDirectory(dir);
  }

  async get(key: string, range?: ByteRange, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const handle = await this.openObject(key);
    try {
      const { size } = await handle.stat();
      const { start, end } = range ?? { start: 0, end: size };
      checkRange(key, start, end, size);
      if (start === end) {
        await handle.close();
        return emptyIterable();
      }
      // Reading from the handle opened above, not the path, keeps the stat and the bytes from
      // the same object even if a put replaces it meanwhile. createReadStream's end is inclusive.
      // Large chunks make long sequential reads (GetClip, segments) cheap; a read allocates no
      // more than what is left of the range, so small ranges stay small.
      if (options.reuseChunks) return releasingChunks(readIntoTwoBuffers(key, handle, start, end), () => handle.close());
      const stream = handle.createReadStream({ start, end: end - 1, highWaterMark: READ_CHUNK_BYTES });
      return releasingChunks(stream, () => stream.destroy());
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async size(key: string): Promise<number | undefined> {
    const path = this.pathOf(key);
    try {
      const stats = await stat(path);
      return stats.isFile() ? stats.size : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EISDIR/EPERM: the key names a folder of other keys, so there is no object to delete.
      if (isMissing(err) || code === 'EISDIR' || code === 'EPERM') return;
      throw err;
    }
    this.segments.forget(key);
    // Without this a deleted object could reappear after a crash.
    await fsyncDirectory(dirname(path));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const folder = this.folderOf(prefix);
    for await (const relativePath of walkFiles(folder, isTempFileName)) {
      const key = prefix + relativePath.join('/');
      if (isValidBlobKey(key)) yield key;
    }
  }

  async *listFolders(prefix: string): AsyncIterable<string> {
    for (const entry of await readEntries(this.folderOf(prefix))) {
      if (entry.isDirectory() && isValidBlobKey(prefix + entry.name)) yield `${prefix}${entry.name}/`;
    }
  }

  /** See SegmentAppender.retire: only segment files, and never one an append may still fill. */
  async retireAppended(key: string, indexedEnd: number): Promise<boolean> {
    this.pathOf(key);
    return this.segments.retire(key, indexedEnd);
  }

  /** Deletes the series' segment files and, once it is empty, its folder. */
  async deleteSeries(series: string): Promise<number> {
    return this.segments.deleteSeries(series);
  }

  /** Appends to the series' newest segment file (see storage/fs/segments.ts); durable when it resolves. */
  async append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
    return this.segments.append(series, data);
  }

  async prepareAppend(series: string): Promise<void> {
    // An empty append opens (creating if needed) the segment the next one writes to, and writes nothing.
    await this.segments.append(series, []);
  }

  /**
   * Crash recovery: cuts every segment file to its referenced extent (fsyncing it) and deletes
   * the unreferenced ones. Must run before the first append of this store: it rejects otherwise.
   */
  async trimAppended(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }> {
    return this.segments.trim(referenced);
  }

  /** Closes the open segment files; call it once appends have settled. */
  async close(): Promise<void> {
    await this.segments.close();
  }

  /** The directory of a folder prefix ('' or '/'-terminated). */
  private folderOf(prefix: string): string {
    if (prefix !== '' && !(prefix.endsWith('/') && isValidBlobKey(prefix.slice(0, -1)))) {
      throw new InvalidBlobKeyError(prefix);
    }
    return join(this.root, ...prefix.split('/').filter((segment) => segment !== ''));
  }

  private pathOf(key: string): string {
    if (!isValidBlobKey(key)) throw new InvalidBlobKeyError(key);
    return join(this.root, ...key.split('/'));
  }

  private async openObject(key: string): Promise<FileHandle> {
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') throw new BlobNotFoundError(key);
      throw err;
    }
    // On Linux opening a directory read-only succeeds; a folder of keys is not an object.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    return handle;
  }
}

function checkRange(key: string, start: number, end: number, size: number): void {
  const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size;
  if (!valid) throw new RangeError(`range [${start}, ${end}) is outside blob ${key} of ${size} bytes`);
}

/**
 * [start, end) of the open file in chunks read alternately into two buffers: while the caller
 * writes one chunk out, the next is read into the other (ReadOptions.reuseChunks says when the
 * caller is done with a chunk). Closes the file when done, failed or given up once started
 * (releasingChunks covers being given up before).
 */
async function* readIntoTwoBuffers(key: string, handle: FileHandle, start: number, end: number): AsyncGenerator<Uint8Array> {
  const size = Math.min(READ_CHUNK_BYTES, end - start);
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)] as const;
  const readAt = (turn: number, at: number) => handle.read(buffers[turn % 2]!, 0, Math.min(size, end - at), at);
  let turn = 0;
  let at = start;
  let reading: Promise<{ bytesRead: number }> | undefined = readAt(turn, at);
  try {
    while (reading !== undefined) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) throw new Error(`blob ${key} ended at ${at}, before ${end}`);
      const chunk = buffers[turn % 2]!.subarray(0, bytesRead);
      at += bytesRead;
      turn += 1;
      reading = at < end ? readAt(turn, at) : undefined;
      yield chunk;
    }
  } finally {
    await reading?.catch(() => undefined);
    await handle.close();
  }
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {
  // Yields nothing: an empty range.
}

/** Writes `data` to a new file at `path` and fsyncs it; removes the file if anything fails. */
async function writeSynced(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    if (data instanceof Uint8Array) {
      await writeFully(handle, data);
    } else {
      for await (const chunk of data) await writeFully(handle, chunk);
    }
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(path, { force: true });
    throw err;
  }
  await handle.close();
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function removeTempFiles(folder: string): Promise<void> {
  // A folder removed meanwhile (a deleted stream's series, by another store on the same root) has none.
  for (const entry of await readEntries(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await removeTempFiles(path);
    else if (isTempFileName(entry.name)) await unlink(path);
  }
}
