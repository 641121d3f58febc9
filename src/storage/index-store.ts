import type { NewStream, StreamPatch, StreamRecord } from '../domain/stream.js';

/**
 * The index port: stream metadata and resource tags (fragments join in the ingest work).
 * Adapters: storage/sqlite (embedded default), later storage/postgres. Every adapter passes
 * test/contract/index-store.contract.ts. Methods are async so that networked adapters fit;
 * each call is atomic on its own.
 */
export interface IndexStore {
  /** Inserts a stream; returns undefined when the name is taken (the caller answers ResourceInUse). */
  createStream(stream: NewStream, tags: Readonly<Record<string, string>>): Promise<StreamRecord | undefined>;
  getStreamByName(name: string): Promise<StreamRecord | undefined>;
  getStreamByArn(arn: string): Promise<StreamRecord | undefined>;
  /** Streams ordered by name, strictly after `afterName`, optionally only names starting with `namePrefix`. */
  listStreams(query: { afterName?: string; namePrefix?: string; limit: number }): Promise<StreamRecord[]>;
  /**
   * Applies `patch` only if the stream still has `expectedVersion`; returns the updated record,
   * or undefined when the stream is gone or its version moved on (compare-and-swap).
   */
  updateStream(streamId: number, expectedVersion: string, patch: StreamPatch): Promise<StreamRecord | undefined>;
  /** Removes the stream and its tags, if it still has `expectedVersion`; returns whether it did. */
  deleteStream(streamId: number, expectedVersion: string): Promise<boolean>;

  /** Tags of any resource, keyed by its ARN. */
  listTags(resourceArn: string): Promise<Record<string, string>>;
  /**
   * Adds or overwrites tags; refuses (returns false, changes nothing) when the resource would end
   * up with more than `maxTags` tags.
   */
  putTags(resourceArn: string, tags: Readonly<Record<string, string>>, maxTags: number): Promise<boolean>;
  /** Removes the given keys; unknown keys are ignored. */
  removeTags(resourceArn: string, keys: readonly string[]): Promise<void>;

  close(): Promise<void>;
}
