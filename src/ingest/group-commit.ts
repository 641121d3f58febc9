import type { NewFragment } from '../domain/fragment.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Logger } from '../util/logger.js';

/** A complete fragment: its index row (without location) and its bytes as received. */
export interface FragmentToCommit {
  readonly row: Omit<NewFragment, 'location'>;
  readonly bytes: readonly Uint8Array[];
}

export type CommitOutcome = 'indexed' | 'stream-gone';

interface Pending extends FragmentToCommit {
  resolve(outcome: CommitOutcome): void;
  reject(err: unknown): void;
}

/** The blob series a stream's fragment bytes are appended to. */
export function seriesOf(streamId: number): string {
  return `streams/${streamId}`;
}

/**
 * Group commit (DESIGN §4): fragments from every session wait here while a commit runs, then go
 * together — one durable append per stream, then one index transaction for all of them. A
 * fragment's promise resolves only once both its bytes and its index row are on stable storage,
 * which is what PERSISTED promises. With nothing in flight a fragment commits at once; under load
 * the batches grow, so the disk sees a few syncs per batch, not per fragment.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly index: IndexStore,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
    /** Told of every batch's indexed fragments, right after their commit. */
    private readonly onIndexed: (fragments: readonly NewFragment[]) => void = () => {},
  ) {}

  commit(fragment: FragmentToCommit): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...fragment, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let fragments completed in the same tick of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      await this.commitBatch(batch);
    }
    this.running = undefined;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    try {
      const rows = await this.appendAll(batch);
      const indexed = await this.index.commitFragments(rows);
      batch.forEach((p, i) => p.resolve(indexed[i] ? 'indexed' : 'stream-gone'));
      this.onIndexed(rows.filter((_, i) => indexed[i]));
    } catch (err) {
      this.log.error({ err, fragments: batch.length }, 'fragment commit failed');
      for (const p of batch) p.reject(err);
    }
  }

  /** One append per stream (a stream's appends never overlap), all streams at once. */
  private async appendAll(batch: readonly Pending[]): Promise<NewFragment[]> {
    const byStream = new Map<number, Pending[]>();
    for (const p of batch) {
      const list = byStream.get(p.row.streamId);
      if (list) list.push(p);
      else byStream.set(p.row.streamId, [p]);
    }
    const located = new Map<Pending, NewFragment>();
    await Promise.all(
      [...byStream].map(async ([streamId, fragments]) => {
        const start = await this.blobs.append(seriesOf(streamId), fragments.flatMap((f) => f.bytes));
        let offset = start.offset;
        for (const f of fragments) {
          located.set(f, { ...f.row, location: { key: start.key, offset } });
          offset += f.row.size;
        }
      }),
    );
    return batch.map((p) => located.get(p)!);
  }
}
