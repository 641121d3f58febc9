import type { FragmentRecord, FragmentSummary, NewFragment } from '../domain/fragment.js';
import type { NewStream, StreamPatch, StreamRecord } from '../domain/stream.js';

/** Which of a fragment's two start timestamps a query selects on. */
export type FragmentTimestampKind = 'producer' | 'server';

/** Fragments whose start timestamp of kind `by` lies in [startMs, endMs], both ends inclusive. */
export interface FragmentTimeRange {
  readonly by: FragmentTimestampKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** What deleteFragmentsBefore removed. */
export interface DeletedFragments {
  /** How many fragments. */
  readonly count: number;
  /** Every blob key the removed fragments pointed into, with the end of the furthest removed byte in it. */
  readonly blobEnds: ReadonlyMap<string, number>;
}

/**
 * The index port: stream metadata, resource tags, fragments and their track headers.
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
  /** Removes the stream, its tags and its fragment rows, if it still has `expectedVersion`; returns whether it did. */
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

  /**
   * Durably reserves `count` (a positive integer, else RangeError) consecutive fragment sequence
   * numbers and returns the first; the first reservation of a new store starts at 1. A number is
   * never handed out twice, not after a restart and not after a crash; later reservations get
   * larger numbers.
   */
  reserveFragmentSequence(count: number): Promise<bigint>;
  /**
   * Stores a track header (the Info and Tracks elements as received) once per content hash and
   * returns its id; the same hash again returns the same id and keeps the first bytes.
   */
  putTrackHeader(hash: string, bytes: Uint8Array): Promise<number>;
  getTrackHeader(headerId: number): Promise<Uint8Array | undefined>;
  /**
   * Indexes fragments whose bytes are already durable, in one transaction, durable when it
   * resolves. Returns, per input fragment, whether it was indexed: false when its stream no
   * longer exists (those rows are dropped). A fragment number its stream already has, or a
   * headerId putTrackHeader never returned, rejects the whole batch and indexes none of it.
   */
  commitFragments(fragments: readonly NewFragment[]): Promise<boolean[]>;
  /**
   * A stream's fragments in fragment-number order, strictly after `afterNumber`, only those in
   * `range` when given, at most `limit` (RangeError if negative). Number order is arrival order, so
   * paging by `afterNumber` never skips or repeats a fragment while new ones arrive.
   */
  listFragments(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentRecord[]>;
  /**
   * The same fragments as listFragments for the same query, as summaries: without the frame index,
   * tags and location, whose decoding dominates a 1000-row page (ListFragments needs none of them).
   */
  listFragmentSummaries(
    streamId: number,
    query: { afterNumber?: string; range?: FragmentTimeRange; limit: number },
  ): Promise<FragmentSummary[]>;
  /**
   * A stream's fragments in `range`, ordered by that timestamp then fragment number (newest first
   * when `newestFirst`), at most `limit`: what clips and playlists are cut from.
   */
  fragmentsByTime(
    streamId: number,
    query: { range: FragmentTimeRange; limit: number; newestFirst?: boolean },
  ): Promise<FragmentRecord[]>;
  /**
   * How many of the stream's fragments have a timestamp of kind `by` in [fromMs, beforeMs), plus
   * those at exactly `beforeMs` with a number below `beforeNumber`: the position of that fragment
   * in the (timestamp, number) order counted from `fromMs` (a live playlist's media sequence).
   */
  countFragmentsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string },
  ): Promise<number>;
  /**
   * How many distinct timestamps of kind `by` the stream's fragments have in [fromMs, beforeMs):
   * the position of the fragment at `beforeMs` in a list that keeps one fragment per timestamp
   * (playlists de-duplicate producer timestamps), counted from `fromMs`.
   */
  countTimestampsBefore(streamId: number, query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number }): Promise<number>;
  /**
   * How many discontinuities a playback session's list has up to and including the one into the
   * fragment at (`throughMs`, `throughNumber`), counted from `fromMs`: pairs of consecutive
   * listed fragments where the later one starts more than `gapThresholdMs` away from the
   * earlier one's end (undefined: never), or, with `headerChanges`, has another track header.
   * The HLS EXT-X-DISCONTINUITY-SEQUENCE of a live window starting at that fragment (RFC 8216
   * §4.3.3.3). `onePerTimestamp` as for sumDurationsBefore.
   */
  countDiscontinuitiesThrough(streamId: number, query: DiscontinuityQuery): Promise<number>;
  /**
   * The summed durations (ms) of the fragments a playback session lists before the one at
   * (`beforeMs`, `beforeNumber`), counted from `fromMs`: where that fragment starts on a timeline
   * that lays the session's fragments end to end (DASH, which closes gaps and overlaps as KVS
   * does). `onePerTimestamp`: of fragments sharing a timestamp only the largest number counts
   * (as countTimestampsBefore, for producer-timestamp sessions); otherwise the
   * (timestamp, number) order of countFragmentsBefore.
   */
  sumDurationsBefore(
    streamId: number,
    query: { by: FragmentTimestampKind; fromMs: number; beforeMs: number; beforeNumber: string; onePerTimestamp: boolean },
  ): Promise<number>;
  /**
   * Retention, in one transaction: removes the stream's fragments whose server timestamp is before
   * `serverTimestampMs`, oldest first, at most `limit` of them when given (a positive integer,
   * else RangeError). Their bytes stay until the blob objects they point into are reclaimed; the
   * result names those objects, so that reclaiming never has to guess which objects are garbage.
   */
  deleteFragmentsBefore(streamId: number, serverTimestampMs: number, limit?: number): Promise<DeletedFragments>;
  getFragment(streamId: number, fragmentNumber: string): Promise<FragmentRecord | undefined>;
  /** Crash recovery: for every blob key fragments point into, the end of the last referenced byte. */
  referencedBlobExtents(): Promise<Map<string, number>>;
  /** Whether any fragment (of any stream) points into the blob object `key`. */
  isBlobReferenced(key: string): Promise<boolean>;
  /** Whether a stream with this id exists (stream ids are never reused). */
  streamExists(streamId: number): Promise<boolean>;
  /**
   * Takes this round of a periodic task that every process on the index runs (the retention
   * sweep): true when the task was last taken `everyMs` or more ago (or never), and then it is
   * taken now; false otherwise. Of several nodes asking at once exactly one gets true, so they run
   * the task once between them instead of once each. Time is the store's own clock (a shared
   * index's database server), so the nodes' clocks need not agree.
   */
  claimPeriodicTask(task: string, everyMs: number): Promise<boolean>;

  close(): Promise<void>;
}

/** claimPeriodicTask's interval, as every adapter checks it: a non-negative integer of milliseconds. */
export function checkEveryMs(everyMs: number): void {
  if (!Number.isSafeInteger(everyMs) || everyMs < 0) throw new RangeError(`claimPeriodicTask everyMs must be a non-negative integer, got ${everyMs}`);
}

export interface DiscontinuityQuery {
  readonly by: FragmentTimestampKind;
  readonly fromMs: number;
  readonly throughMs: number;
  readonly throughNumber: string;
  readonly onePerTimestamp: boolean;
  readonly gapThresholdMs: number | undefined;
  readonly headerChanges: boolean;
}
