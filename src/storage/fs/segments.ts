import { constants, open, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobLocation } from '../../domain/fragment.js';
import { InvalidBlobKeyError, isValidBlobKey } from '../blob-store.js';
import { fsyncDirectory, isMissing, mkdirDurably, readEntries, walkFiles } from './fs-util.js';

/**
 * Append-only segment files, the filesystem BlobStore's answer to `append` (DESIGN §4): a series
 * `streams/12` is the folder `<root>/streams/12/` of files `0000000001.seg`, `0000000002.seg`, ...;
 * appends go to the end of the newest one until it reaches the size threshold, then to a new one.
 * The blob key of a segment is its path under the root (`streams/12/0000000001.seg`).
 */

export interface SegmentOptions {
  /** An append goes to a new segment once the current one holds at least this many bytes. */
  readonly segmentBytes: number;
  /** How many segment files stay open between appends; the least recently used are closed. */
  readonly maxOpenSegments: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = {
  segmentBytes: 64 * 1024 * 1024,
  maxOpenSegments: 1024,
};

/**
 * Segment handles are O_DSYNC: a write returns once its bytes (and the size that reaches them)
 * are on stable storage, the fdatasync done in the same trip through the thread pool. A write
 * then an fdatasync took two trips, and under load each trip waits for an event-loop turn.
 * Not O_APPEND: positional writes on an O_APPEND file ignore the position on Linux.
 * O_EXCL: a new segment never replaces a file, whatever is on disk.
 */
const CREATE_SEGMENT = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC;
const REOPEN_SEGMENT = constants.O_RDWR | constants.O_DSYNC;

const SEGMENT_DIGITS = 10;
const SEGMENT_NAME = /^(\d+)\.seg$/;

/** Whether a file name (a key's last segment) is a segment's: such keys belong to append. */
export function isSegmentName(fileName: string): boolean {
  return SEGMENT_NAME.test(fileName);
}

function segmentName(seq: number): string {
  return `${seq.toString().padStart(SEGMENT_DIGITS, '0')}.seg`;
}

/** What the appender knows about one series while it is in use. */
interface SeriesState {
  readonly series: string;
  readonly dir: string;
  /** Sequence number of the current segment. */
  seq: number;
  /** End of the last append that succeeded: where the next one starts. */
  size: number;
  /** Whether the current segment's file exists (false: the next append creates it). */
  exists: boolean;
  handle: FileHandle | undefined;
  /** An append is running. */
  busy: boolean;
  /** The current segment must not be written again (a write failed, or it was deleted). */
  rotatePending: boolean;
}

/** The series and sequence number of a segment's key, or undefined for other keys. */
function parseSegmentKey(key: string): { series: string; seq: number } | undefined {
  const slash = key.lastIndexOf('/');
  const digits = SEGMENT_NAME.exec(key.slice(slash + 1))?.[1];
  if (slash < 0 || digits === undefined) return undefined;
  return { series: key.slice(0, slash), seq: Number(digits) };
}

/** Remembers `promise` as the latest of its series in `map` until it settles. */
function track(map: Map<string, Promise<unknown>>, series: string, promise: Promise<unknown>): void {
  map.set(series, promise);
  const forget = () => {
    if (map.get(series) === promise) map.delete(series);
  };
  promise.then(forget, forget);
}

export class SegmentAppender {
  /** Series in least-recently-used-first order (Map keeps insertion order; use re-inserts). */
  private readonly states = new Map<string, SeriesState>();
  /**
   * The latest append and the latest deleteSeries of each series, from the moment they are called
   * (before any await), so that reclaim never mistakes a series for idle while an append is still
   * discovering its segment, and a series deletion and an append never interleave.
   */
  private readonly appending = new Map<string, Promise<unknown>>();
  private readonly deleting = new Map<string, Promise<unknown>>();
  private openHandles = 0;
  private hasAppended = false;
  private trimming = false;

  constructor(
    private readonly root: string,
    private readonly options: SegmentOptions,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  append(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
    if (!isValidBlobKey(series)) return Promise.reject(new InvalidBlobKeyError(series));
    if (this.trimming) return Promise.reject(new Error('append while trimAppended runs'));
    this.hasAppended = true;
    const deletion = this.deleting.get(series);
    const run = deletion === undefined ? this.appendNow(series, data) : deletion.then(() => this.appendNow(series, data));
    track(this.appending, series, run);
    return run;
  }

  private async appendNow(series: string, data: readonly Uint8Array[]): Promise<BlobLocation> {
    const state = this.states.get(series) ?? (await this.discover(series));
    this.touch(state);
    state.busy = true;
    let start = state.size;
    try {
      if (state.rotatePending || state.size >= this.options.segmentBytes) await this.rotate(state);
      start = state.size;
      const handle = await this.handleOf(state);
      const length = data.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      if (length > 0) await writevFully(handle, data, start);
      state.size = start + length;
      return { key: `${series}/${segmentName(state.seq)}`, offset: start };
    } catch (err) {
      await this.abandon(state, start);
      throw err;
    } finally {
      state.busy = false;
      await this.closeLeastRecentlyUsed();
    }
  }

  /**
   * Cuts segment files down to their referenced extent and deletes unreferenced ones. Only
   * before the first append of this appender: the current segments are assumed idle.
   */
  async trim(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }> {
    if (this.hasAppended || this.trimming) throw new Error('trimAppended must run before any append, and not twice at once');
    for (const [key, extent] of referenced) {
      if (!Number.isSafeInteger(extent) || extent < 0) {
        throw new RangeError(`extent of ${key} must be a non-negative integer, got ${extent}`);
      }
    }
    this.trimming = true;
    try {
      return await this.trimSegments(referenced);
    } finally {
      this.trimming = false;
    }
  }

  /**
   * Deletes a segment the index no longer references (BlobStore.retireAppended): a segment its
   * series has moved on from is final and goes if it holds nothing beyond `indexedEnd`; the
   * current one only if no append is running and it ends within `indexedEnd`, and then it is
   * sealed first (checked and sealed in one synchronous step, so no append can slip in between).
   */
  async retire(key: string, indexedEnd: number): Promise<boolean> {
    const parsed = parseSegmentKey(key);
    if (parsed === undefined) throw new InvalidBlobKeyError(key);
    if (this.trimming) throw new Error('retireAppended while trimAppended runs');
    const { series, seq } = parsed;
    const dir = join(this.root, ...series.split('/'));
    const state = this.states.get(series);
    if (state === undefined) {
      // Not in memory: the next append would continue the newest segment on disk; the older
      // ones are final. An append discovering meanwhile can only pick that newest one or later.
      if (seq === (await newestSegment(dir))) return false;
    } else if (seq > state.seq) {
      return false;
    } else if (seq === state.seq) {
      if (this.appending.has(series) || state.size > indexedEnd) return false;
      state.rotatePending = true;
      await this.closeHandle(state);
    }
    return removeSegmentWithin(join(dir, segmentName(seq)), indexedEnd);
  }

  /**
   * Deletes every segment of a series and then its folder (BlobStore.deleteSeries), after the
   * append running on it, if any; appends called meanwhile wait and then start a new segment 1.
   */
  deleteSeries(series: string): Promise<number> {
    if (!isValidBlobKey(series)) return Promise.reject(new InvalidBlobKeyError(series));
    if (this.trimming) return Promise.reject(new Error('deleteSeries while trimAppended runs'));
    const before = [this.appending.get(series), this.deleting.get(series)];
    const run = Promise.allSettled(before).then(() => this.removeSeries(series));
    // Appends wait for the deletion to settle, whatever its outcome.
    track(this.deleting, series, run.catch(() => undefined));
    return run;
  }

  private async removeSeries(series: string): Promise<number> {
    for (const state of [...this.states.values()]) {
      if (state.series !== series && !state.series.startsWith(`${series}/`)) continue;
      this.states.delete(state.series);
      await this.closeHandle(state);
    }
    const dir = join(this.root, ...series.split('/'));
    let deleted = 0;
    for (const entry of await readEntries(dir)) {
      // A series nested in it (`serve --workers`: each worker appends a stream's fragments to one of its own) goes too.
      if (entry.isDirectory()) deleted += await this.removeSeries(`${series}/${entry.name}`);
      else if (isSegmentName(entry.name) && (await unlinkIfExists(join(dir, entry.name)))) deleted += 1;
    }
    // Fails harmlessly when other keys live in the folder (ENOTEMPTY) or it is already gone.
    // No fsyncs: what a crash brings back is unreferenced; recovery and the next sweep remove it.
    await rmdir(dir).catch(() => undefined);
    return deleted;
  }

  /** Called when the object at `key` was deleted: its series must not append to it again. */
  forget(key: string): void {
    const slash = key.lastIndexOf('/');
    if (slash < 0) return;
    const state = this.states.get(key.slice(0, slash));
    if (state === undefined || key.slice(slash + 1) !== segmentName(state.seq)) return;
    state.rotatePending = true;
    if (!state.busy) void this.closeHandle(state).catch(() => undefined);
  }

  async close(): Promise<void> {
    const states = [...this.states.values()];
    this.states.clear();
    await Promise.all(states.map((state) => this.closeHandle(state)));
  }

  /** First append to a series since open (or since its state was evicted): find its newest segment. */
  private async discover(series: string): Promise<SeriesState> {
    const dir = join(this.root, ...series.split('/'));
    const newest = await newestSegment(dir);
    const state: SeriesState = {
      series, dir, seq: 1, size: 0, exists: false, handle: undefined, busy: false, rotatePending: false,
    };
    if (newest !== undefined) {
      state.seq = newest;
      state.size = (await stat(join(dir, segmentName(state.seq)))).size;
      state.exists = true;
    }
    return state;
  }

  private async rotate(state: SeriesState): Promise<void> {
    await this.closeHandle(state);
    state.seq += 1;
    state.size = 0;
    state.exists = false;
    state.rotatePending = false;
  }

  private async handleOf(state: SeriesState): Promise<FileHandle> {
    if (state.handle !== undefined) return state.handle;
    const path = join(state.dir, segmentName(state.seq));
    const created = !state.exists;
    const handle = created ? await createSegment(state.dir, path) : await open(path, REOPEN_SEGMENT);
    state.exists = true;
    state.handle = handle;
    this.openHandles += 1;
    // The new file's directory entry must be durable before any offset in it is handed out.
    if (created) await fsyncDirectory(state.dir);
    return handle;
  }

  /**
   * After a failed append: cut off what it may have written (best effort) and never write this
   * segment again; after a failed synchronous write the kernel may have dropped the pages it reported.
   */
  private async abandon(state: SeriesState, offset: number): Promise<void> {
    state.rotatePending = true;
    const handle = state.handle;
    if (handle === undefined) return;
    await handle.truncate(offset).catch(() => undefined);
    await this.closeHandle(state).catch(() => undefined);
  }

  private touch(state: SeriesState): void {
    this.states.delete(state.series);
    this.states.set(state.series, state);
  }

  /** Closes idle handles, least recently used first, until at most maxOpenSegments are open. */
  private async closeLeastRecentlyUsed(): Promise<void> {
    for (const state of this.states.values()) {
      if (this.openHandles <= this.options.maxOpenSegments) return;
      if (state.busy || state.handle === undefined) continue;
      // A state that must rotate is kept (cheaply, without its handle) so that the rotation is
      // not forgotten; the others are rediscovered from the directory on their next append.
      if (!state.rotatePending) this.states.delete(state.series);
      await this.closeHandle(state);
    }
  }

  private async closeHandle(state: SeriesState): Promise<void> {
    const handle = state.handle;
    if (handle === undefined) return;
    state.handle = undefined;
    this.openHandles -= 1;
    await handle.close();
  }

  private async trimSegments(referenced: ReadonlyMap<string, number>): Promise<{ trimmedBytes: number; deletedObjects: number }> {
    let trimmedBytes = 0;
    let deletedObjects = 0;
    const changedDirs = new Set<string>();
    for await (const relativePath of walkFiles(this.root, (name) => !isSegmentName(name))) {
      const key = relativePath.join('/');
      if (!isValidBlobKey(key)) continue;
      const path = join(this.root, ...relativePath);
      const extent = referenced.get(key);
      if (extent === undefined) {
        await unlink(path);
        changedDirs.add(dirname(path));
        deletedObjects += 1;
      } else {
        trimmedBytes += await truncateDurably(path, extent);
      }
    }
    // The unlinks are durable only once their directories are.
    for (const dir of changedDirs) await fsyncDirectory(dir);
    return { trimmedBytes, deletedObjects };
  }
}

/**
 * Creates a segment file and its folder. Another process may delete the folder between the two
 * (`serve --workers`: the primary deleting a deleted stream's series, the workers' nested in it):
 * the append then goes to a new folder, which a later deleteSeries removes.
 */
async function createSegment(dir: string, path: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await mkdirDurably(dir);
    try {
      return await open(path, CREATE_SEGMENT);
    } catch (err) {
      if (!isMissing(err) || attempt === 3) throw err;
    }
  }
}

/** The highest sequence number among the segment files in `dir`, or undefined when there are none. */
async function newestSegment(dir: string): Promise<number | undefined> {
  let newest: number | undefined;
  for (const { name } of await readEntries(dir)) {
    const digits = SEGMENT_NAME.exec(name)?.[1];
    if (digits !== undefined) newest = Math.max(newest ?? 0, Number(digits));
  }
  return newest;
}

/** Unlinks `path`; false when there was nothing to unlink. */
async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/**
 * Deletes a final segment unless it holds bytes beyond `indexedEnd` (never indexed: they may
 * still be on their way, or be a failed commit's leftovers, which start-up recovery trims).
 */
async function removeSegmentWithin(path: string, indexedEnd: number): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if (isMissing(err)) return true;
    throw err;
  }
  if (size > indexedEnd) return false;
  // No directory fsync: a segment a crash brings back is unreferenced, and recovery deletes it.
  await unlinkIfExists(path);
  return true;
}

/**
 * Cuts the file at `path` to `extent` bytes and fsyncs it; returns how many bytes it removed. A
 * file already no longer than `extent` is left alone (missing bytes cannot be restored here).
 */
async function truncateDurably(path: string, extent: number): Promise<number> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    if (size <= extent) return 0;
    await handle.truncate(extent);
    await handle.sync();
    return size - extent;
  } finally {
    await handle.close();
  }
}

/** One positional writev of all chunks at `position`, repeated for whatever a short write left. */
async function writevFully(handle: FileHandle, chunks: readonly Uint8Array[], position: number): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.byteLength > 0);
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    if (bytesWritten <= 0) throw new Error(`writev at ${at} wrote nothing`);
    at += bytesWritten;
    pending = dropWritten(pending, bytesWritten);
  }
}

function dropWritten(chunks: Uint8Array[], written: number): Uint8Array[] {
  let left = written;
  let index = 0;
  while (index < chunks.length && left >= (chunks[index]?.byteLength ?? 0)) {
    left -= chunks[index]?.byteLength ?? 0;
    index += 1;
  }
  const rest = chunks.slice(index);
  const first = rest[0];
  if (first !== undefined && left > 0) rest[0] = first.subarray(left);
  return rest;
}
