import { parseTimestampMs } from '../shapes/validate.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type {
  ContainerFormat,
  DashSessionOptions,
  DiscontinuityMode,
  DisplayOption,
  FragmentSelectorType,
  HlsSessionOptions,
  PlaybackMode,
} from '../../playback/session.js';

/**
 * What a GetHLSStreamingSessionURL / GetDASHStreamingSessionURL call asks for, with AWS's defaults
 * filled in and AWS's cross-field rules checked (kvs-api.md §4.5, §4.6): the session, short of the
 * stream and first fragment the operation binds it to (playback/session.ts bindSession). Shape
 * constraints (enums, ranges of Expires and Max*FragmentResults) were already checked by the HTTP
 * layer.
 */

/** The fields the two operations share, as they arrive on the wire. */
interface CommonInput {
  PlaybackMode?: PlaybackMode;
  DisplayFragmentTimestamp?: DisplayOption;
  Expires?: number;
}

interface SelectorInput {
  FragmentSelectorType?: FragmentSelectorType;
  TimestampRange?: { StartTimestamp?: unknown; EndTimestamp?: unknown };
}

export interface HlsSessionInput extends CommonInput {
  HLSFragmentSelector?: SelectorInput;
  ContainerFormat?: ContainerFormat;
  DiscontinuityMode?: DiscontinuityMode;
  MaxMediaPlaylistFragmentResults?: number;
}

export interface DashSessionInput extends CommonInput {
  DASHFragmentSelector?: SelectorInput;
  DisplayFragmentNumber?: DisplayOption;
  MaxManifestFragmentResults?: number;
}

const DEFAULT_EXPIRES_SECONDS = 300;
const MAX_RANGE_MS = 24 * 3600 * 1000;
const DEFAULT_LIVE_FRAGMENTS = 5;
const DEFAULT_ON_DEMAND_FRAGMENTS = 1000;

export function hlsSessionOptions(input: HlsSessionInput, nowMs: number): HlsSessionOptions {
  const playbackMode = input.PlaybackMode ?? 'LIVE';
  const selector = selectorOf(input.HLSFragmentSelector, 'HLSFragmentSelector', playbackMode, nowMs);
  return {
    protocol: 'HLS',
    playbackMode,
    ...selector,
    containerFormat: input.ContainerFormat ?? 'FRAGMENTED_MP4',
    // Server timestamps of consecutive fragments never line up exactly; producer ones do.
    discontinuityMode: input.DiscontinuityMode ?? (selector.fragmentSelectorType === 'SERVER_TIMESTAMP' ? 'ALWAYS' : 'NEVER'),
    displayFragmentTimestamp: input.DisplayFragmentTimestamp ?? 'NEVER',
    maxFragmentResults: input.MaxMediaPlaylistFragmentResults ?? defaultMaxFragments(playbackMode),
    ...lifetime(input, nowMs),
  };
}

export function dashSessionOptions(input: DashSessionInput, nowMs: number): DashSessionOptions {
  const playbackMode = input.PlaybackMode ?? 'LIVE';
  const selector = selectorOf(input.DASHFragmentSelector, 'DASHFragmentSelector', playbackMode, nowMs);
  return {
    protocol: 'DASH',
    playbackMode,
    ...selector,
    displayFragmentTimestamp: input.DisplayFragmentTimestamp ?? 'NEVER',
    displayFragmentNumber: input.DisplayFragmentNumber ?? 'NEVER',
    maxFragmentResults: input.MaxManifestFragmentResults ?? defaultMaxFragments(playbackMode),
    ...lifetime(input, nowMs),
  };
}

function lifetime(input: CommonInput, nowMs: number): { createdAtMs: number; expiresAtMs: number } {
  const createdAtMs = Math.floor(nowMs);
  return { createdAtMs, expiresAtMs: createdAtMs + (input.Expires ?? DEFAULT_EXPIRES_SECONDS) * 1000 };
}

function defaultMaxFragments(mode: PlaybackMode): number {
  return mode === 'ON_DEMAND' ? DEFAULT_ON_DEMAND_FRAGMENTS : DEFAULT_LIVE_FRAGMENTS;
}

interface Selector {
  readonly fragmentSelectorType: FragmentSelectorType;
  readonly startTimestampMs: number | undefined;
  readonly endTimestampMs: number | undefined;
}

/** The selector rules of kvs-api.md §4.5: which modes need, allow or refuse a timestamp range. */
function selectorOf(selector: SelectorInput | undefined, field: string, mode: PlaybackMode, nowMs: number): Selector {
  const fragmentSelectorType = selector?.FragmentSelectorType ?? 'SERVER_TIMESTAMP';
  const range = selector?.TimestampRange;
  if (mode === 'LIVE') {
    if (range) throw new InvalidArgumentException(`${field}.TimestampRange must not be set when PlaybackMode is LIVE.`);
    return { fragmentSelectorType, startTimestampMs: undefined, endTimestampMs: undefined };
  }
  if (!range) throw new InvalidArgumentException(`${field}.TimestampRange is required when PlaybackMode is ${mode}.`);
  const startMs = timestampOf(range.StartTimestamp, `${field}.TimestampRange.StartTimestamp`, mode);
  const endMs = range.EndTimestamp == null ? undefined : timestampOf(range.EndTimestamp, `${field}.TimestampRange.EndTimestamp`, mode);
  if (startMs === undefined) throw new InvalidArgumentException(`${field}.TimestampRange.StartTimestamp is required.`);
  if (endMs === undefined) {
    if (mode === 'ON_DEMAND') throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND.`);
    return { fragmentSelectorType, startTimestampMs: startMs, endTimestampMs: undefined };
  }
  checkRange(field, fragmentSelectorType, startMs, endMs, nowMs);
  return { fragmentSelectorType, startTimestampMs: startMs, endTimestampMs: endMs };
}

/**
 * A timestamp of the range in whole milliseconds: the start rounded up and the end down would
 * change nothing (fragment timestamps are whole milliseconds), but the token carries integers.
 */
function timestampOf(value: unknown, field: string, mode: PlaybackMode): number | undefined {
  if (value == null) return undefined;
  const ms = parseTimestampMs(value);
  if (ms === undefined || ms < 0) throw new InvalidArgumentException(`${field} is not a valid timestamp (PlaybackMode ${mode}).`);
  return Math.round(ms);
}

function checkRange(field: string, type: FragmentSelectorType, startMs: number, endMs: number, nowMs: number): void {
  if (endMs <= startMs) throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp must be later than StartTimestamp.`);
  if (endMs - startMs > MAX_RANGE_MS) {
    throw new InvalidArgumentException(`${field}.TimestampRange must not span more than 24 hours.`);
  }
  if (type === 'SERVER_TIMESTAMP' && endMs > nowMs) {
    throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp must be in the past for SERVER_TIMESTAMP.`);
  }
}
