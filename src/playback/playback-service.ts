/**
 * What every HLS/DASH request shares: the token signer and a few caches of things that never
 * change once made — track headers (immutable by id), their playable tracks, the fragment list of
 * an ON_DEMAND session (static by definition) and its rendered playlists, and the stored bytes of
 * recently served fragments (every viewer of a live stream asks for the same newest segments
 * within a second: one storage read serves them all). LIVE windows are never cached: a new
 * fragment must show the moment it is indexed. Every cache is per process and only saves work; a
 * node that misses recomputes the same answer from the index, so nodes stay stateless and any
 * node serves any session.
 */
import { readFragmentBytes } from '../archive/fragment-bytes.js';
import { ResourceNotFoundException } from '../domain/errors.js';
import type { FragmentRecord } from '../domain/fragment.js';
import { BlobNotFoundError, type BlobStore } from '../storage/blob-store.js';
import type { FragmentFeed } from '../storage/fragment-feed.js';
import type { IndexStore } from '../storage/index-store.js';
import { LruCache } from './lru-cache.js';
import { playlistWindow, type PlaylistWindow, type ReplayState } from './playlist-window.js';
import type { PlaybackProtocol, PlaybackSession } from './session.js';
import { SessionTokens } from './session-token.js';
import { describeStreamMedia, type StreamMedia } from './stream-media.js';

export interface PlaybackCacheLimits {
  /** Track header bytes kept. */
  readonly headerBytes: number;
  /** Fragments kept across all cached ON_DEMAND windows (each ~100 bytes). */
  readonly windowFragments: number;
  /** Bytes of rendered ON_DEMAND playlists and manifests kept. */
  readonly renderedBytes: number;
  /** Stored fragment bytes kept for segment requests. */
  readonly fragmentBytes: number;
}

const DEFAULT_LIMITS: PlaybackCacheLimits = { headerBytes: 16 << 20, windowFragments: 500_000, renderedBytes: 64 << 20, fragmentBytes: 128 << 20 };

export class PlaybackService {
  readonly tokens: SessionTokens;
  private readonly headers: LruCache<number, Uint8Array>;
  private readonly media = new LruCache<string, StreamMedia>(4096);
  private readonly windows: LruCache<string, PlaylistWindow>;
  private readonly rendered: LruCache<string, Buffer>;
  /** LIVE_REPLAY progress per session: replays only move forward, so each reload reads on from here. */
  private readonly replays = new LruCache<string, ReplayState>(10_000);
  /** Promises, so that concurrent requests for one fragment share one read. */
  private readonly fragments: LruCache<string, Promise<Uint8Array>>;

  constructor(
    private readonly index: IndexStore,
    readonly feed: FragmentFeed,
    secret: Uint8Array,
    limits: PlaybackCacheLimits = DEFAULT_LIMITS,
  ) {
    this.tokens = new SessionTokens(secret);
    this.headers = new LruCache(limits.headerBytes, (bytes) => bytes.byteLength);
    this.windows = new LruCache(limits.windowFragments, (window) => Math.max(1, window.fragments.length));
    this.rendered = new LruCache(limits.renderedBytes, (bytes) => bytes.byteLength);
    this.fragments = new LruCache(limits.fragmentBytes);
  }

  /**
   * A fragment's stored bytes (the Cluster as received; frame payloads are views of it).
   * ResourceNotFound when they are gone (retention reclaimed them after the index lookup).
   */
  fragmentBytes(blobs: BlobStore, fragment: FragmentRecord): Promise<Uint8Array> {
    const key = `${fragment.streamId}/${fragment.fragmentNumber}`;
    const cached = this.fragments.get(key);
    if (cached) return cached;
    const read = readFragmentBytes(blobs, fragment).catch((err: unknown) => {
      this.fragments.delete(key);
      if (err instanceof BlobNotFoundError) throw new ResourceNotFoundException(`Fragment ${fragment.fragmentNumber} is no longer stored.`);
      throw err;
    });
    this.fragments.set(key, read, fragment.size);
    return read;
  }

  /** A stored track header; ResourceNotFound if the index has none under that id. */
  trackHeader(headerId: number): Promise<Uint8Array> {
    return this.headers.getOrCompute(headerId, async () => {
      const bytes = await this.index.getTrackHeader(headerId);
      if (!bytes) throw new ResourceNotFoundException(`Track header ${headerId} is not found.`);
      return bytes;
    });
  }

  /** The playable tracks of a header for a protocol, or the AWS error that says why there are none. */
  streamMedia(headerId: number, protocol: PlaybackProtocol): Promise<StreamMedia> {
    return this.media.getOrCompute(`${protocol}:${headerId}`, async () => describeStreamMedia(await this.trackHeader(headerId), protocol));
  }

  /** The fragments the session lists now; an ON_DEMAND session's list is computed once. */
  window(session: PlaybackSession, nowMs: number): Promise<PlaylistWindow> {
    if (session.playbackMode !== 'ON_DEMAND') return playlistWindow(this.index, session, nowMs, this.replays);
    return this.windows.getOrCompute(session.sessionId, () => playlistWindow(this.index, session, nowMs));
  }

  /**
   * A rendered resource of a static (ON_DEMAND) session, built once per node: the token repeated
   * in every URL is most of a 5000-fragment playlist's bytes and of its build time.
   */
  renderedOnce(session: PlaybackSession, resource: string, render: () => Promise<string>): Promise<Buffer> {
    if (session.playbackMode !== 'ON_DEMAND') return render().then((text) => Buffer.from(text));
    return this.rendered.getOrCompute(`${session.sessionId}/${resource}`, async () => Buffer.from(await render()));
  }
}
