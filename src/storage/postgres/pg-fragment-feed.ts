import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../util/logger.js';
import { LocalFragmentFeed, type FeedEvent, type FeedListener, type FragmentFeed } from '../fragment-feed.js';

/**
 * The fragment feed across nodes (DESIGN §6): every event is delivered to this node's subscribers
 * at once and sent to the other nodes with PostgreSQL NOTIFY on one channel; each node LISTENs on
 * a dedicated connection and hands what the others sent to its own subscribers.
 *
 * Events are wake-ups (readers re-read the index), so losing some is survivable: when the LISTEN
 * connection drops, the feed reconnects with backoff and then wakes every subscribed stream once,
 * so nothing published while it was away stays unseen.
 */
export const FEED_CHANNEL = 'openkvs_fragment_feed';

interface WireEvent {
  /** The node that published it: a node ignores its own echoes (already delivered locally). */
  readonly node: string;
  readonly event: FeedEvent;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export class PgFragmentFeed implements FragmentFeed {
  private readonly local = new LocalFragmentFeed();
  private readonly subscribed = new Map<number, number>();
  private readonly node = randomUUID();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  /** Connects and starts listening; rejects if the first connection fails. */
  static async open(connectionString: string, log: Logger): Promise<PgFragmentFeed> {
    const feed = new PgFragmentFeed(connectionString, log);
    await feed.connect();
    return feed;
  }

  publish(event: FeedEvent): void {
    this.local.publish(event);
    const client = this.client;
    if (!client) return;
    const payload = JSON.stringify({ node: this.node, event } satisfies WireEvent);
    client.query('SELECT pg_notify($1, $2)', [FEED_CHANNEL, payload]).catch((err: unknown) => {
      this.log.warn({ err }, 'fragment feed: NOTIFY failed; other nodes catch up on their next wake-up');
    });
  }

  subscribe(streamId: number, listener: FeedListener): () => void {
    const unsubscribe = this.local.subscribe(streamId, listener);
    this.subscribed.set(streamId, (this.subscribed.get(streamId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      const left = (this.subscribed.get(streamId) ?? 1) - 1;
      if (left > 0) this.subscribed.set(streamId, left);
      else this.subscribed.delete(streamId);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await this.local.close();
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => this.received(message.payload));
    await client.connect();
    await client.query(`LISTEN ${FEED_CHANNEL}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.reconnectDelayMs = RECONNECT_MIN_MS;
  }

  private received(payload: string | undefined): void {
    let wire: WireEvent;
    try {
      wire = JSON.parse(payload ?? '') as WireEvent;
    } catch {
      this.log.warn({ payload }, 'fragment feed: ignored a malformed notification');
      return;
    }
    if (wire.node !== this.node) this.local.publish(wire.event);
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.log.warn({ err }, 'fragment feed: LISTEN connection lost; reconnecting');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.connect()
        .then(() => this.wakeEveryone())
        .catch((err: unknown) => {
          this.log.warn({ err, retryInMs: this.reconnectDelayMs }, 'fragment feed: reconnect failed');
          this.scheduleReconnect();
        });
    }, delay);
  }

  /** After a gap in listening, every subscribed stream re-reads the index once. */
  private wakeEveryone(): void {
    for (const streamId of this.subscribed.keys()) {
      this.local.publish({ type: 'fragments-indexed', streamId, lastFragmentNumber: '' });
    }
  }
}
