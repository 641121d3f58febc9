/**
 * A playback session: everything GetHLSStreamingSessionURL / GetDASHStreamingSessionURL decided
 * (kvs-api.md §4.5, §4.6), carried inside the session token so that any node can serve the
 * session's resources without shared state. The one session type: the API operations build it
 * (api/archived/session-options.ts fills in AWS's defaults), the token carries it, the playlist
 * window and every resource read it.
 */
import type { FragmentTimestampKind } from '../storage/index-store.js';

export type PlaybackProtocol = 'HLS' | 'DASH';
export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type FragmentSelectorType = 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type DiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';
export type DisplayOption = 'ALWAYS' | 'NEVER';

interface SessionCommon {
  /** 16 hex digits, random (newSessionId): names the session in logs and keys its cached playlists. */
  readonly sessionId: string;
  /**
   * The stream, by its internal id (never reused: a stream re-created under the same name gets a
   * new one) and its name, which each request looks up to check the id still answers to it.
   * Both are far shorter than the ARN, and the token is repeated in every playlist URL.
   */
  readonly streamId: number;
  readonly streamName: string;
  readonly playbackMode: PlaybackMode;
  readonly fragmentSelectorType: FragmentSelectorType;
  /** TimestampRange, epoch ms; undefined when not given (LIVE; LIVE_REPLAY without an end). */
  readonly startTimestampMs: number | undefined;
  readonly endTimestampMs: number | undefined;
  readonly displayFragmentTimestamp: DisplayOption;
  /** MaxMediaPlaylistFragmentResults (HLS) or MaxManifestFragmentResults (DASH), 1–5000. */
  readonly maxFragmentResults: number;
  /** When the session was created, epoch ms: LIVE_REPLAY advances from here. */
  readonly createdAtMs: number;
  /** The token is refused from this instant on, epoch ms. */
  readonly expiresAtMs: number;
  /**
   * Timestamp (by the selector) of the first fragment the session ever lists: LIVE, the oldest
   * fragment of its first playlist; otherwise the first fragment in range. Media sequence numbers
   * (HLS) and segment numbers (DASH $Number$) count fragments from it, so they stay stable from
   * one reload to the next and on every node.
   */
  readonly anchorMs: number;
}

export interface HlsSession extends SessionCommon {
  readonly protocol: 'HLS';
  readonly containerFormat: ContainerFormat;
  readonly discontinuityMode: DiscontinuityMode;
}

export interface DashSession extends SessionCommon {
  readonly protocol: 'DASH';
  readonly displayFragmentNumber: DisplayOption;
}

export type PlaybackSession = HlsSession | DashSession;

/** What the session URL call decides before it knows the stream and its fragments. */
type Binding = 'sessionId' | 'streamId' | 'streamName' | 'anchorMs';
export type HlsSessionOptions = Omit<HlsSession, Binding>;
export type DashSessionOptions = Omit<DashSession, Binding>;
export type SessionOptions = HlsSessionOptions | DashSessionOptions;

/** Bounds of MaxMediaPlaylistFragmentResults / MaxManifestFragmentResults (service model). */
export const MAX_FRAGMENT_RESULTS_LIMIT = 5000;

/** Which fragment timestamp selects and orders the session's fragments. */
export function selectorKind(session: Pick<SessionCommon, 'fragmentSelectorType'>): FragmentTimestampKind {
  return session.fragmentSelectorType === 'PRODUCER_TIMESTAMP' ? 'producer' : 'server';
}

/** The options bound to a stream and its first fragment: the session the token will carry. */
export function bindSession(options: SessionOptions, binding: Pick<SessionCommon, Binding>): PlaybackSession {
  return { ...options, ...binding };
}
