/**
 * A playback session: everything GetHLSStreamingSessionURL / GetDASHStreamingSessionURL decided
 * (kvs-api.md §4.5, §4.6), carried inside the session token so that any node can serve the
 * session's resources without shared state.
 */

export type PlaybackProtocol = 'HLS' | 'DASH';
export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type FragmentSelectorType = 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type DiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';
export type DisplayOption = 'ALWAYS' | 'NEVER';

interface SessionCommon {
  /** 16 hex digits, random (newSessionId): names the session in logs and per-session limits. */
  readonly sessionId: string;
  /** The stream's ARN; it embeds the creation time, so a re-created stream of the same name is another stream. */
  readonly streamArn: string;
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

/** Bounds of MaxMediaPlaylistFragmentResults / MaxManifestFragmentResults (service model). */
export const MAX_FRAGMENT_RESULTS_LIMIT = 5000;
