import { seriesOf } from '../ingest/group-commit.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';
import { yieldToEventLoop } from './yield.js';

/** What one reclaim pass removed and what it had to leave for a later one. */
export interface ReclaimReport {
  /** Blob objects deleted because no fragment points into them any more. */
  readonly deletedObjects: number;
  /** Objects that lost fragments but are kept for now: still referenced, or still appended to. */
  readonly keptObjects: number;
  /** Series of deleted streams removed whole, and how many objects they held. */
  readonly deletedSeries: number;
  readonly deletedSeriesObjects: number;
}

/** Blob folder holding every stream's series (`streams/<id>`, see ingest/group-commit.ts). */
const STREAMS_FOLDER = 'streams/';
const STREAM_FOLDER = /^streams\/(\d+)\/$/;

/** The stream id of a series folder (`streams/12/` → 12), or undefined for other folders. */
export function streamIdOfFolder(folder: string): number | undefined {
  const digits = STREAM_FOLDER.exec(folder)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

/**
 * Frees the storage of fragments the index no longer has. It never decides "nothing references
 * this object, so delete it" on its own: an object an append is filling, or whose bytes are
 * durable but not indexed yet, looks exactly like garbage. It only considers
 *  - objects that held fragments it saw deleted (`noteDeleted`), and lets the blob store refuse
 *    the ones its series may still append into (BlobStore.retireAppended);
 *  - whole series of streams that no longer exist: their fragments are lost anyway (a commit for
 *    a deleted stream is refused, and PutMedia answers 4008).
 */
export class StorageReclaimer {
  /**
   * Objects that lost fragments and are not deleted yet, with the end of the furthest byte ever
   * indexed in them: kept until the object goes, because its remaining fragments expire later.
   */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
  ) {}

  /** Records objects that fragments were just deleted from (IndexStore.deleteFragmentsBefore). */
  noteDeleted(blobEnds: ReadonlyMap<string, number>): void {
    for (const [key, end] of blobEnds) this.pending.set(key, Math.max(this.pending.get(key) ?? 0, end));
  }

  /** How many objects wait for their remaining fragments to go, or for their series to move on. */
  get pendingObjects(): number {
    return this.pending.size;
  }

  /** Deletes the noted objects nothing references any more, unless their series may still append to them. */
  async reclaimNoted(shouldStop: () => boolean = () => false): Promise<{ deletedObjects: number; keptObjects: number }> {
    let deletedObjects = 0;
    for (const [key, end] of [...this.pending]) {
      if (shouldStop()) break;
      await yieldToEventLoop();
      // A commit cannot add a reference to `key` after this check without the blob store seeing
      // an append into it beyond `end`, and then retireAppended keeps it.
      if (await this.index.isBlobReferenced(key)) continue;
      if (!(await this.blobs.retireAppended(key, end))) continue;
      deletedObjects += 1;
      // Unless fragments were deleted from it meanwhile (a larger end): then it is looked at again.
      if (this.pending.get(key) === end) this.pending.delete(key);
    }
    return { deletedObjects, keptObjects: this.pending.size };
  }

  /** Deletes a deleted stream's whole series; returns how many objects it held. */
  async reclaimStream(streamId: number): Promise<number> {
    const series = seriesOf(streamId);
    for (const key of this.pending.keys()) if (key.startsWith(`${series}/`)) this.pending.delete(key);
    return this.blobs.deleteSeries(series);
  }

  /**
   * Finds series whose stream no longer exists (deleted here or on another node, or written to by
   * an append that was in flight when its stream was deleted) and deletes them whole. Stream ids
   * are never reused, and a series appears only after its stream exists, so a missing stream means
   * the series is garbage. `listedStreamIds`: streams known to exist a moment ago (skipped).
   */
  async reclaimOrphanSeries(
    listedStreamIds: ReadonlySet<number> = new Set(),
    shouldStop: () => boolean = () => false,
  ): Promise<{ deletedSeries: number; deletedSeriesObjects: number }> {
    let deletedSeries = 0;
    let deletedSeriesObjects = 0;
    for await (const folder of this.blobs.listFolders(STREAMS_FOLDER)) {
      if (shouldStop()) break;
      await yieldToEventLoop();
      const streamId = streamIdOfFolder(folder);
      // Streams the caller just listed are asked about again only at its next pass.
      if (streamId === undefined || listedStreamIds.has(streamId) || (await this.index.streamExists(streamId))) continue;
      deletedSeriesObjects += await this.reclaimStream(streamId);
      deletedSeries += 1;
    }
    return { deletedSeries, deletedSeriesObjects };
  }
}
