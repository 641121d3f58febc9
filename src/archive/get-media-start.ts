import { InvalidArgumentException } from '../domain/errors.js';
import { parseFragmentNumber, type FragmentRecord } from '../domain/fragment.js';
import type { StreamRecord } from '../domain/stream.js';
import { MAX_FRAGMENT_DURATION_MS } from '../ingest/limits.js';
import type { FragmentTimestampKind, IndexStore } from '../storage/index-store.js';
import { decodeContinuationToken } from './continuation-token.js';

export type StartSelectorType = 'NOW' | 'EARLIEST' | 'FRAGMENT_NUMBER' | 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP' | 'CONTINUATION_TOKEN';

/** GetMedia's StartSelector, its wire shape validated and StartTimestamp read as epoch ms. */
export interface StartSelector {
  readonly type: StartSelectorType;
  readonly afterFragmentNumber?: string;
  readonly startTimestampMs?: number;
  readonly continuationToken?: string;
}

/** Where a GetMedia starts: with a given fragment, or with whatever follows a fragment number. */
export type StartPoint = { readonly first: FragmentRecord } | { readonly after: string };

interface StartQuery {
  readonly index: IndexStore;
  readonly stream: StreamRecord;
  readonly selector: StartSelector;
}

/** Sorts before every fragment number: "after" it is the very first fragment. */
const BEFORE_ALL = '';
const ALL_TIME = { startMs: Number.MIN_SAFE_INTEGER, endMs: Number.MAX_SAFE_INTEGER };

/**
 * StartSelector → start point, per type (kvs-api.md §3.1, AWS StartSelector docs). NOW, EARLIEST
 * and CONTINUATION_TOKEN need nothing else (other members are ignored); FRAGMENT_NUMBER needs
 * AfterFragmentNumber, the timestamp types StartTimestamp, CONTINUATION_TOKEN its token: a missing
 * one is an InvalidArgumentException.
 */
const starters: Readonly<Record<StartSelectorType, (query: StartQuery) => Promise<StartPoint>>> = {
  // "Start with the latest chunk on the stream", then follow it live.
  NOW: async ({ index, stream }) => {
    const newest = await newestFragment(index, stream.streamId);
    return newest ? { first: newest } : { after: BEFORE_ALL };
  },
  // "Start with earliest available chunk on the stream."
  EARLIEST: async () => ({ after: BEFORE_ALL }),
  // "Start with the chunk after a specific fragment." The fragment need not still exist (a reader
  // resuming after a fragment that retention removed goes on with the next one).
  FRAGMENT_NUMBER: async ({ selector }) => {
    const number = required(selector.afterFragmentNumber, 'AfterFragmentNumber', 'FRAGMENT_NUMBER');
    if (parseFragmentNumber(number) === undefined) throw new InvalidArgumentException(`AfterFragmentNumber ${number} is not a fragment number.`);
    return { after: number };
  },
  SERVER_TIMESTAMP: (query) => startAtTime(query, 'server'),
  PRODUCER_TIMESTAMP: (query) => startAtTime(query, 'producer'),
  CONTINUATION_TOKEN: async ({ stream, selector }) => {
    const token = required(selector.continuationToken, 'ContinuationToken', 'CONTINUATION_TOKEN');
    return { after: decodeContinuationToken(stream.arn, token) };
  },
};

export function resolveStart(index: IndexStore, stream: StreamRecord, selector: StartSelector): Promise<StartPoint> {
  return starters[selector.type]({ index, stream, selector });
}

function required<T>(value: T | undefined, member: string, type: StartSelectorType): T {
  if (value === undefined || value === null) throw new InvalidArgumentException(`StartSelector.${member} is required when StartSelectorType is ${type}.`);
  return value;
}

/**
 * "Start with the chunk containing a fragment with the specified timestamp": the latest fragment
 * starting at or before it, if it lasts past it; otherwise the first fragment starting after it;
 * otherwise (the time is past every fragment) whatever arrives next.
 */
async function startAtTime(query: StartQuery, by: FragmentTimestampKind): Promise<StartPoint> {
  const { index, stream, selector } = query;
  const atMs = required(selector.startTimestampMs, 'StartTimestamp', by === 'server' ? 'SERVER_TIMESTAMP' : 'PRODUCER_TIMESTAMP');
  const startOf = (f: FragmentRecord) => (by === 'server' ? f.serverTimestampMs : f.producerTimestampMs);
  // A fragment lasts at most MAX_FRAGMENT_DURATION_MS, so one containing atMs starts no earlier.
  const [latest] = await index.fragmentsByTime(stream.streamId, {
    range: { by, startMs: atMs - MAX_FRAGMENT_DURATION_MS, endMs: atMs },
    limit: 1,
    newestFirst: true,
  });
  if (latest && startOf(latest) + latest.durationMs > atMs) {
    // Of fragments starting at the same instant, the first to arrive: the others follow it.
    const [first] = await index.fragmentsByTime(stream.streamId, { range: { by, startMs: startOf(latest), endMs: startOf(latest) }, limit: 1 });
    return { first: first ?? latest };
  }
  const [after] = await index.fragmentsByTime(stream.streamId, { range: { by, startMs: atMs, endMs: ALL_TIME.endMs }, limit: 1 });
  if (after) return { first: after };
  const newest = await newestFragment(index, stream.streamId);
  return { after: newest?.fragmentNumber ?? BEFORE_ALL };
}

/**
 * The stream's newest fragment. Server timestamps are taken when a fragment's first byte arrives,
 * as its number is handed out, so the newest by server time (ties: the higher number) is the
 * newest by number, but for concurrent sessions on one stream within the same millisecond.
 */
async function newestFragment(index: IndexStore, streamId: number): Promise<FragmentRecord | undefined> {
  const [newest] = await index.fragmentsByTime(streamId, { range: { by: 'server', ...ALL_TIME }, limit: 1, newestFirst: true });
  return newest;
}
