import type { KeyStore } from '../access/key-store.js';
import type { RequestAccess } from '../access/request-access.js';
import type { StreamSlots } from '../archive/connection-slots.js';
import type { Retention } from '../archive/retention-sweeper.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { PlaybackService } from '../playback/playback-service.js';
import type { StillPool } from '../stills/still-pool.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { FragmentFeed } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { KvsMetrics } from '../util/metrics.js';
import type { RelayView } from './openkvs/list-relays.js';

/** What every operation may use: the storage ports and the server's identity. */
export interface AppContext {
  readonly index: IndexStore;
  readonly blobs: BlobStore;
  readonly region: string;
  readonly accountId: string;
  /** Base URL returned by GetDataEndpoint: no path, no trailing slash. */
  readonly publicUrl: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** PutMedia's shared parts: fragment numbers, group commit, track headers. */
  readonly ingest: IngestService;
  /** New fragments and deleted streams, for live readers. */
  readonly feed: FragmentFeed;
  /** GetMedia's per-stream connection cap, counted for the whole server. */
  readonly getMediaSlots: StreamSlots;
  /** HLS/DASH sessions: the token signer and what their resources cache. */
  readonly playback: PlaybackService;
  /** Expiring fragments and freeing storage now rather than at the next sweep. */
  readonly retention: Retention;
  /** GetImages' decoders: worker threads, bounded, started on first use. */
  readonly stills: StillPool;
  /** The accepted keys (secured mode), for issuing credentials and watching long requests; undefined in open mode. */
  readonly keys: KeyStore | undefined;
  /** Prometheus metrics (`/metrics`), named after the KVS CloudWatch metrics. */
  readonly metrics: KvsMetrics;
  /** The relays this process runs (`serve --relays`), for ListRelays; undefined when none. */
  readonly relays?: () => readonly RelayView[];
}

export interface RequestContext extends AppContext {
  readonly requestId: string;
  /** Who is calling and what the operation may do for them (api/control/stream-access.ts checks it). */
  readonly access: RequestAccess;
  /**
   * What the request turned out to be about, for its metrics: the HTTP layer fills it from the
   * input (StreamName / StreamARN); playback resources set the stream of their session.
   */
  readonly observed: { operation?: string; stream?: string };
}
