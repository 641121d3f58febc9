/**
 * HLS playlists of a KVS streaming session (RFC 8216), in the shape KVS serves them
 * (kvs-api.md §5): a master playlist naming one media playlist per track (fMP4, audio as an
 * alternative rendition) or one for the muxed TS, and media playlists listing one segment per
 * KVS fragment. Inputs are plain values; choosing the fragments is the caller's job.
 */
import { HlsResource, SessionQuery, queryString, resourceUrl } from './resources.js';
import { decimalSeconds, isoInstant } from './text.js';

export type HlsContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type HlsPlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type HlsDiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';

/** The rendition group id of the audio track in fMP4 sessions. */
export const HLS_AUDIO_GROUP_ID = 'audio';
/** ON_DISCONTINUITY marks gaps and overlaps between fragments larger than this (KVS docs). */
export const DISCONTINUITY_THRESHOLD_MS = 50;

export interface HlsVideoTrack {
  readonly trackNumber: number;
  /** RFC 6381 codec string, e.g. "avc1.64000c" (from the SPS / hvcC, computed elsewhere). */
  readonly codecs: string;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  /** Frames per second. */
  readonly frameRate?: number | undefined;
}

export interface HlsAudioTrack {
  readonly trackNumber: number;
  /** e.g. "mp4a.40.2". */
  readonly codecs: string;
  readonly channels?: number | undefined;
}

export interface HlsMasterPlaylistInput {
  readonly sessionToken: string;
  readonly containerFormat: HlsContainerFormat;
  /** At least one of video and audio (audio alone: an audio-only stream). */
  readonly video?: HlsVideoTrack | undefined;
  readonly audio?: HlsAudioTrack | undefined;
  /** Peak bits per second of the whole variant, all tracks (RFC 8216 §4.3.4.2 BANDWIDTH). */
  readonly bandwidth: number;
  readonly averageBandwidth?: number | undefined;
}

/**
 * The master playlist (RFC 8216 §4.3.4). fMP4 with video and audio: the audio track is an
 * EXT-X-MEDIA rendition (§4.3.4.1) the variant refers to by GROUP-ID, each track with its own
 * media playlist (TrackNumber). MPEG-TS: one variant whose media playlist carries both.
 */
export function hlsMasterPlaylist(input: HlsMasterPlaylistInput): string {
  const { video, audio, sessionToken } = input;
  if (video === undefined && audio === undefined) throw new RangeError('a master playlist needs a video or an audio track');
  if (!(input.bandwidth > 0)) throw new RangeError(`BANDWIDTH ${input.bandwidth}`);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const token: [string, string] = [SessionQuery.SessionToken, sessionToken];
  const playlistOf = (trackNumber: number) => resourceUrl(HlsResource.MediaPlaylist, [token, [SessionQuery.TrackNumber, trackNumber]]);
  const separateAudio = input.containerFormat === 'FRAGMENTED_MP4' && video !== undefined && audio !== undefined;
  if (separateAudio) lines.push(audioRendition(audio, playlistOf(audio.trackNumber)));
  const attributes = [`BANDWIDTH=${Math.ceil(input.bandwidth)}`];
  if (input.averageBandwidth !== undefined) attributes.push(`AVERAGE-BANDWIDTH=${Math.ceil(input.averageBandwidth)}`);
  attributes.push(`CODECS="${[video?.codecs, audio?.codecs].filter((c) => c !== undefined).join(',')}"`);
  if (video?.width !== undefined && video.height !== undefined) attributes.push(`RESOLUTION=${video.width}x${video.height}`);
  if (video?.frameRate !== undefined) attributes.push(`FRAME-RATE=${video.frameRate.toFixed(3)}`);
  if (separateAudio) attributes.push(`AUDIO="${HLS_AUDIO_GROUP_ID}"`);
  lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`);
  if (input.containerFormat === 'MPEG_TS') lines.push(resourceUrl(HlsResource.MediaPlaylist, [token]));
  else lines.push(playlistOf((video ?? (audio as HlsAudioTrack)).trackNumber));
  return `${lines.join('\n')}\n`;
}

/** EXT-X-MEDIA for the audio track (§4.3.4.1); DEFAULT=YES so every player picks it without asking. */
function audioRendition(audio: HlsAudioTrack, uri: string): string {
  const attributes = [`TYPE=AUDIO`, `GROUP-ID="${HLS_AUDIO_GROUP_ID}"`, `NAME="audio"`, 'DEFAULT=YES', 'AUTOSELECT=YES'];
  if (audio.channels !== undefined) attributes.push(`CHANNELS="${audio.channels}"`);
  attributes.push(`URI="${uri}"`);
  return `#EXT-X-MEDIA:${attributes.join(',')}`;
}

export interface HlsPlaylistFragment {
  /** The KVS fragment number (47 digits), repeated in the segment URL. */
  readonly fragmentNumber: string;
  /** Start of the fragment by the session's selector (producer or server time), epoch ms. */
  readonly timestampMs: number;
  readonly durationMs: number;
  /**
   * fMP4 only: which init segment (codec private data version) the fragment needs. When it
   * changes, a new EXT-X-MAP with SequenceNumber and a discontinuity precede the fragment.
   * Undefined: one init segment for the whole session, no SequenceNumber in its URL.
   */
  readonly initSequenceNumber?: number | undefined;
}

export interface HlsMediaPlaylistInput {
  readonly sessionToken: string;
  readonly containerFormat: HlsContainerFormat;
  /** fMP4: the track this playlist is for. Ignored for MPEG_TS, whose segments carry every track. */
  readonly trackNumber?: number | undefined;
  readonly playbackMode: HlsPlaybackMode;
  readonly discontinuityMode: HlsDiscontinuityMode;
  /** DisplayFragmentTimestamp ALWAYS: EXT-X-PROGRAM-DATE-TIME before every segment. */
  readonly programDateTime: boolean;
  /** EXT-X-MEDIA-SEQUENCE: the session-wide index of the first fragment listed (the session's first is 0). */
  readonly mediaSequence: number;
  /**
   * EXT-X-DISCONTINUITY-SEQUENCE (§4.3.3.3) for live windows that dropped discontinuities off their
   * start. Default: `mediaSequence` in ALWAYS mode (every dropped segment had one), else none.
   */
  readonly discontinuitySequence?: number | undefined;
  /** In playback order. */
  readonly fragments: readonly HlsPlaylistFragment[];
  /** LIVE_REPLAY that reached its EndTimestamp: no more fragments will come (EXT-X-ENDLIST). */
  readonly complete?: boolean | undefined;
  /** A floor for EXT-X-TARGETDURATION, which must not change while a live playlist is reloaded. */
  readonly minimumTargetDurationSeconds?: number | undefined;
}

/**
 * A media playlist (RFC 8216 §4.3.3, §4.3.2): ON_DEMAND is a VOD playlist with EXT-X-ENDLIST;
 * LIVE and LIVE_REPLAY are sliding windows the player reloads.
 */
export function hlsMediaPlaylist(input: HlsMediaPlaylistInput): string {
  const fmp4 = input.containerFormat === 'FRAGMENTED_MP4';
  if (fmp4 && input.trackNumber === undefined) throw new RangeError('an fMP4 media playlist needs its TrackNumber');
  const onDemand = input.playbackMode === 'ON_DEMAND';
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${fmp4 ? 7 : 3}`];
  if (onDemand) lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  lines.push(`#EXT-X-TARGETDURATION:${targetDuration(input)}`, `#EXT-X-MEDIA-SEQUENCE:${input.mediaSequence}`);
  const discontinuitySequence = input.discontinuitySequence ?? (input.discontinuityMode === 'ALWAYS' ? input.mediaSequence : 0);
  if (discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`);
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  appendSegments(lines, input);
  if (onDemand || input.complete === true) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** §4.3.3.1: every EXTINF, rounded to the nearest integer, must be ≤ the target duration. */
function targetDuration(input: HlsMediaPlaylistInput): number {
  let longestMs = 0;
  for (const fragment of input.fragments) longestMs = Math.max(longestMs, fragment.durationMs);
  return Math.max(1, Math.round(longestMs / 1000), Math.ceil(input.minimumTargetDurationSeconds ?? 0));
}

/** One string per segment (all its tags and its URI): far cheaper to join than a string per line. */
function appendSegments(lines: string[], input: HlsMediaPlaylistInput): void {
  const fmp4 = input.containerFormat === 'FRAGMENTED_MP4';
  const token: [string, string] = [SessionQuery.SessionToken, input.sessionToken];
  // Hoisted: the only per-segment parts are the fragment number and timing.
  const segmentPrefix = `${fmp4 ? HlsResource.MediaFragment : HlsResource.TsFragment}?${SessionQuery.FragmentNumber}=`;
  const segmentSuffix = `&${queryString(fmp4 ? [token, [SessionQuery.TrackNumber, input.trackNumber as number]] : [token])}`;
  let previous: HlsPlaylistFragment | undefined;
  for (const fragment of input.fragments) {
    let text = '';
    const newInit = fmp4 && (previous === undefined || previous.initSequenceNumber !== fragment.initSequenceNumber);
    if (isDiscontinuity(input.discontinuityMode, previous, fragment) || (newInit && previous !== undefined)) text += '#EXT-X-DISCONTINUITY\n';
    if (newInit) text += `#EXT-X-MAP:URI="${initSegmentUrl(input, fragment.initSequenceNumber)}"\n`;
    if (input.programDateTime) text += `#EXT-X-PROGRAM-DATE-TIME:${isoInstant(fragment.timestampMs)}\n`;
    text += `#EXTINF:${decimalSeconds(fragment.durationMs)},\n${segmentPrefix}${encodeURIComponent(fragment.fragmentNumber)}${segmentSuffix}`;
    lines.push(text);
    previous = fragment;
  }
}

function isDiscontinuity(mode: HlsDiscontinuityMode, previous: HlsPlaylistFragment | undefined, fragment: HlsPlaylistFragment): boolean {
  if (mode === 'ALWAYS') return true;
  if (mode === 'NEVER' || previous === undefined) return false;
  const expectedStartMs = previous.timestampMs + previous.durationMs;
  return Math.abs(fragment.timestampMs - expectedStartMs) > DISCONTINUITY_THRESHOLD_MS;
}

function initSegmentUrl(input: HlsMediaPlaylistInput, initSequenceNumber: number | undefined): string {
  const params: Array<[string, string | number]> = [
    [SessionQuery.SessionToken, input.sessionToken],
    [SessionQuery.TrackNumber, input.trackNumber as number],
  ];
  if (initSequenceNumber !== undefined) params.push([SessionQuery.SequenceNumber, initSequenceNumber]);
  return resourceUrl(HlsResource.InitFragment, params);
}
