/**
 * The archive as the timeline sees it: every fragment's producer start, duration and size, in
 * flat typed arrays (7 days of 2-s fragments is 302,400 of them: 7 MB here, and never one DOM
 * node each). Filled progressively from ListFragments pages; the timeline summarises it per
 * pixel column.
 */
import { ListFragmentsCommand, type Fragment, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import type { Kvs } from './api';

interface Chunk {
  starts: number[];
  durations: number[];
  sizes: number[];
}

export interface Newest {
  /** Producer start of the newest fragment. */
  readonly producerMs: number;
  /** Its server timestamp: when its first byte reached the server. */
  readonly serverMs: number;
  readonly durationMs: number;
}

export class FragmentSet {
  /** Keyed by the start of the time window each chunk was loaded from. */
  private readonly chunks = new Map<number, Chunk>();
  private flat: { starts: Float64Array; ends: Float64Array; sizes: Float64Array } | undefined;
  private liveSeen = new Set<string>();
  /**
   * Fragments starting at or after this are de-duplicated by number whichever load brings them:
   * the recent polls overlap the archive load (a fragment that started before the page opened
   * may be indexed only after the archive load asked for it).
   */
  dedupeFromMs = Number.POSITIVE_INFINITY;
  newest: Newest | undefined;
  /** Bumped on every change: views redraw when it moves. */
  version = 0;

  private total = 0;

  get count(): number {
    return this.total;
  }

  add(windowStartMs: number, fragments: readonly Fragment[], dedupe = false): void {
    let chunk = this.chunks.get(windowStartMs);
    if (!chunk) this.chunks.set(windowStartMs, (chunk = { starts: [], durations: [], sizes: [] }));
    for (const f of fragments) {
      const start = f.ProducerTimestamp?.getTime();
      if (start === undefined) continue;
      if (dedupe || start >= this.dedupeFromMs) {
        if (!f.FragmentNumber || this.liveSeen.has(f.FragmentNumber)) continue;
        this.liveSeen.add(f.FragmentNumber);
      }
      this.total++;
      chunk.starts.push(start);
      chunk.durations.push(f.FragmentLengthInMilliseconds ?? 0);
      chunk.sizes.push(f.FragmentSizeInBytes ?? 0);
      const server = f.ServerTimestamp?.getTime();
      if (server !== undefined && (!this.newest || server > this.newest.serverMs)) {
        this.newest = { producerMs: start, serverMs: server, durationMs: f.FragmentLengthInMilliseconds ?? 0 };
      }
    }
    this.flat = undefined;
    this.version++;
  }

  /** Sorted by start; rebuilt lazily after changes. */
  arrays(): { starts: Float64Array; ends: Float64Array; sizes: Float64Array } {
    if (this.flat) return this.flat;
    let total = 0;
    for (const c of this.chunks.values()) total += c.starts.length;
    const order: number[] = new Array(total);
    const starts = new Float64Array(total);
    const ends = new Float64Array(total);
    const sizes = new Float64Array(total);
    let i = 0;
    for (const key of [...this.chunks.keys()].sort((a, b) => a - b)) {
      const c = this.chunks.get(key)!;
      for (let k = 0; k < c.starts.length; k++, i++) {
        starts[i] = c.starts[k]!;
        ends[i] = c.starts[k]! + c.durations[k]!;
        sizes[i] = c.sizes[k]!;
      }
    }
    let sorted = true;
    for (let k = 1; k < total; k++) if (starts[k]! < starts[k - 1]!) sorted = false;
    if (!sorted) {
      for (let k = 0; k < total; k++) order[k] = k;
      order.sort((a, b) => starts[a]! - starts[b]!);
      const s = starts.slice();
      const e = ends.slice();
      const z = sizes.slice();
      for (let k = 0; k < total; k++) {
        starts[k] = s[order[k]!]!;
        ends[k] = e[order[k]!]!;
        sizes[k] = z[order[k]!]!;
      }
    }
    this.flat = { starts, ends, sizes };
    return this.flat;
  }

  /** Index of the first fragment starting at or after `t`. */
  lowerBound(t: number): number {
    const { starts } = this.arrays();
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The fragment holding instant `t`, if any. */
  containing(t: number): number | undefined {
    const { starts, ends } = this.arrays();
    const i = this.lowerBound(t + 1) - 1;
    return i >= 0 && starts[i]! <= t && t < Math.max(ends[i]!, starts[i]! + 1) ? i : undefined;
  }

  /**
   * Per pixel column from t0 to t1: 0 nothing recorded, 1 partly, 2 wholly covered. Walks only the
   * fragments in view (binary search to the first).
   */
  columns(t0: number, t1: number, width: number): Uint8Array {
    const out = new Uint8Array(width);
    const coverage = new Float64Array(width);
    const { starts, ends } = this.arrays();
    const msPerPx = (t1 - t0) / width;
    // Fragments may reach back up to their duration: start from one that could overlap t0.
    let i = Math.max(0, this.lowerBound(t0) - 1);
    for (; i < starts.length; i++) {
      const s = starts[i]!;
      if (s >= t1) break;
      const e = Math.max(ends[i]!, s + 1);
      if (e <= t0) continue;
      const a = Math.max(s, t0);
      const b = Math.min(e, t1);
      let col = Math.floor((a - t0) / msPerPx);
      const last = Math.min(width - 1, Math.floor((b - t0 - 1e-6) / msPerPx));
      for (; col <= last; col++) {
        const colStart = t0 + col * msPerPx;
        coverage[col]! += Math.min(b, colStart + msPerPx) - Math.max(a, colStart);
      }
    }
    for (let c = 0; c < width; c++) {
      const covered = coverage[c]!;
      out[c] = covered <= 0 ? 0 : covered >= msPerPx * 0.95 ? 2 : 1;
    }
    return out;
  }

  /** Fragments whose start lies in [a, b]: what GetClip with this range returns. */
  between(a: number, b: number): { first: number; end: number } {
    return { first: this.lowerBound(a), end: this.lowerBound(b + 1) };
  }
}

export interface LoadProgress {
  readonly loadedMs: number;
  readonly totalMs: number;
  readonly pages: number;
}

/** Fragments per ListFragments time window while loading the archive (see loadArchive). */
const WINDOW_FRAGMENTS = 4000;

/** GetClip's limits (kvs-api.md; openkvs enforces the same): per call. */
export const CLIP_MAX_FRAGMENTS = 200;
export const CLIP_MAX_BYTES = 100 * 1024 * 1024;
export const CLIP_MAX_SPAN_MS = 24 * 3600 * 1000;

/**
 * The fragments of `streamName` whose `by` timestamp lies in [fromMs, toMs], one ListFragments page
 * (at most 1000) at a time, following NextToken; stops asking once `signal` is aborted.
 */
export async function* fragmentPages(
  client: KinesisVideoArchivedMediaClient,
  streamName: string,
  by: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP',
  fromMs: number,
  toMs: number,
  signal?: AbortSignal,
): AsyncGenerator<Fragment[]> {
  let nextToken: string | undefined;
  do {
    if (signal?.aborted) return;
    const page = await client.send(
      new ListFragmentsCommand(
        nextToken
          ? { StreamName: streamName, NextToken: nextToken, MaxResults: 1000 }
          : {
              StreamName: streamName,
              MaxResults: 1000,
              FragmentSelector: { FragmentSelectorType: by, TimestampRange: { StartTimestamp: new Date(fromMs), EndTimestamp: new Date(toMs) } },
            },
      ),
      { abortSignal: signal },
    );
    yield page.Fragments ?? [];
    nextToken = page.NextToken ?? undefined;
  } while (nextToken);
}

/**
 * Loads [fromMs, toMs] into `set` from ListFragments pages: the newest `firstWindowMs` first (the
 * first screen), then the rest in windows loaded `concurrency` at a time, newest first, each page
 * added as it arrives. Resolves when all is loaded or `signal` aborts.
 */
export async function loadArchive(
  kvs: Kvs,
  streamName: string,
  set: FragmentSet,
  fromMs: number,
  toMs: number,
  options: { firstWindowMs: number; windowMs: number; concurrency: number; signal: AbortSignal; onProgress: (p: LoadProgress) => void },
): Promise<void> {
  const client = await kvs.archived(streamName, 'LIST_FRAGMENTS');
  let pages = 0;
  let loadedMs = 0;
  const totalMs = toMs - fromMs;
  const loadWindow = async (a: number, b: number) => {
    for await (const fragments of fragmentPages(client, streamName, 'PRODUCER_TIMESTAMP', a, b, options.signal)) {
      pages++;
      set.add(a, fragments);
      options.onProgress({ loadedMs, totalMs, pages });
    }
    if (options.signal.aborted) return;
    loadedMs += b - a;
    options.onProgress({ loadedMs, totalMs, pages });
  };
  const firstFrom = Math.max(fromMs, toMs - options.firstWindowMs);
  const before = set.count;
  await loadWindow(firstFrom, toMs);
  // The rest, as non-overlapping windows (TimestampRange is inclusive at both ends), each holding
  // about WINDOW_FRAGMENTS at the newest hour's density: the server answers a time range of up
  // to 5,000 fragments from its timestamp index, a longer one by walking the stream's fragments.
  const density = Math.max(set.count - before, 1) / Math.max(toMs - firstFrom, 1);
  const windowMs = Math.min(options.windowMs, Math.max(600_000, Math.floor(WINDOW_FRAGMENTS / density)));
  const windows: [number, number][] = [];
  for (let b = firstFrom - 1; b > fromMs; b -= windowMs) windows.push([Math.max(fromMs, b - windowMs + 1), b]);
  let next = 0;
  const worker = async () => {
    while (next < windows.length && !options.signal.aborted) {
      const [a, b] = windows[next++]!;
      await loadWindow(a, b);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

/** New fragments since `sinceMs` (producer time), for the live edge of the timeline. */
export async function loadRecent(kvs: Kvs, streamName: string, set: FragmentSet, windowKey: number, sinceMs: number, signal: AbortSignal): Promise<void> {
  const client = await kvs.archived(streamName, 'LIST_FRAGMENTS');
  for await (const fragments of fragmentPages(client, streamName, 'PRODUCER_TIMESTAMP', sinceMs, Date.now() + 60_000, signal)) {
    set.add(windowKey, fragments, true);
  }
}

export interface ClipPart {
  readonly a: number;
  readonly b: number;
  readonly fragments: number;
  readonly bytes: number;
}

/**
 * Splits [a, b] into GetClip calls that each stay within its limits (200 fragments, 100 MiB,
 * 24 hours): GetClip would silently stop at a limit, so the console never asks it for more.
 */
export function planClip(set: FragmentSet, a: number, b: number): ClipPart[] {
  const { starts, sizes } = set.arrays();
  // Start with the fragment holding `a`: the clip then begins at its key frame.
  const holding = set.containing(a);
  const { first, end } = set.between(holding !== undefined ? starts[holding]! : a, b);
  const parts: ClipPart[] = [];
  for (let i = first; i < end; ) {
    let j = i;
    let total = 0;
    while (
      j < end &&
      j - i < CLIP_MAX_FRAGMENTS &&
      (j === i || total + sizes[j]! <= CLIP_MAX_BYTES * 0.95) &&
      starts[j]! - starts[i]! < CLIP_MAX_SPAN_MS
    ) {
      total += sizes[j]!;
      j++;
    }
    // Inclusive range: from the first fragment's start to just after the last one's.
    parts.push({ a: starts[i]!, b: starts[j - 1]! + 1, fragments: j - i, bytes: total });
    i = j;
  }
  return parts;
}

