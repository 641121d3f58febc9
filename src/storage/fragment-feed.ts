/**
 * What live readers (GetMedia tails, LIVE HLS/DASH playlists) wait on: word that a stream gained
 * fragments or was deleted. An event only wakes readers up; they then read the index after the
 * last fragment they delivered, so a missed or duplicated event can delay a reader but never make
 * it skip or repeat a fragment. In one process the feed is in memory; across nodes the PostgreSQL
 * adapter carries the same events over LISTEN/NOTIFY (DESIGN §6).
 */
export type FeedEvent =
  /** `lastFragmentNumber` is '' when unknown (a wake-up after the feed lost contact). */
  | { readonly type: 'fragments-indexed'; readonly streamId: number; readonly lastFragmentNumber: string }
  | { readonly type: 'stream-deleted'; readonly streamId: number };

export type FeedListener = (event: FeedEvent) => void;

export interface FragmentFeed {
  /** Tells every subscriber of the event's stream, on this node and (clustered) on the others. */
  publish(event: FeedEvent): void;
  /** Calls `listener` for each event of `streamId` from now on; returns the unsubscribe function. */
  subscribe(streamId: number, listener: FeedListener): () => void;
  close(): Promise<void>;
}

/** The single-process feed: subscribers of one stream in a set, called synchronously. */
export class LocalFragmentFeed implements FragmentFeed {
  private readonly listeners = new Map<number, Set<FeedListener>>();

  publish(event: FeedEvent): void {
    const set = this.listeners.get(event.streamId);
    if (!set) return;
    // A copy: a listener may unsubscribe (itself or another) while we iterate.
    for (const listener of [...set]) listener(event);
  }

  subscribe(streamId: number, listener: FeedListener): () => void {
    let set = this.listeners.get(streamId);
    if (!set) this.listeners.set(streamId, (set = new Set()));
    // Wrapped, so the same function subscribed twice is two subscriptions.
    const entry: FeedListener = (event) => listener(event);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.listeners.get(streamId) === set) this.listeners.delete(streamId);
    };
  }

  /** How many subscriptions are open (for tests and metrics). */
  get subscriberCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
