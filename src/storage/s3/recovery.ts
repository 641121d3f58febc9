/**
 * trimAppended for object stores, apart from S3 calls so its rules read on their own.
 *
 * Each append is one object, so after a crash the usual leftover is a whole object that no index
 * row references (appended, then the process died before the commit): it is deleted. An object
 * referenced only up to part of its length (not produced by the ingest, which commits a batch
 * whole, but allowed by the port) cannot be truncated in place: it is rewritten with its
 * referenced bytes.
 *
 * Unlike a node's own segment files, a bucket is shared: another node may have appended an
 * object a moment ago and be about to commit its rows. Objects modified after `olderThanMs` are
 * therefore left alone; the grace period must exceed the longest append-to-commit time.
 */

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModifiedMs: number;
}

export interface TrimActions {
  /** Objects last modified at or after this instant are skipped. */
  readonly olderThanMs: number;
  delete(key: string): Promise<void>;
  /** Replaces the object with its first `length` bytes. */
  rewrite(key: string, length: number): Promise<void>;
}

/** Deletions and rewrites run a few at a time: enough to hide latency, not a burst of thousands. */
const CONCURRENCY = 8;

export async function trimAppendedObjects(
  appended: readonly ListedObject[],
  referenced: ReadonlyMap<string, number>,
  actions: TrimActions,
): Promise<{ trimmedBytes: number; deletedObjects: number }> {
  let trimmedBytes = 0;
  let deletedObjects = 0;
  const work = appended
    .filter((object) => object.lastModifiedMs < actions.olderThanMs)
    .map((object) => {
      const extent = referenced.get(object.key);
      if (extent === undefined) {
        return async () => {
          await actions.delete(object.key);
          deletedObjects += 1;
        };
      }
      if (extent >= object.size) return undefined;
      return async () => {
        await actions.rewrite(object.key, extent);
        trimmedBytes += object.size - extent;
      };
    })
    .filter((task) => task !== undefined);
  await runLimited(work, CONCURRENCY);
  return { trimmedBytes, deletedObjects };
}

async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
