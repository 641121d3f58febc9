import { parseTimestampMs } from '../shapes/validate.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type { FragmentTimestampKind } from '../../storage/index-store.js';

/**
 * What a GetHLSStreamingSessionURL / GetDASHStreamingSessionURL call asks for, with AWS's defaults
 * filled in and AWS's cross-field rules checked (kvs-api.md §4.5, §4.6). Shape constraints (enums,
 * ranges of Expires and Max*FragmentResults) were already checked by the HTTP layer.
 */
export type PlaybackProtocol = 'HLS' | 'DASH';
export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type DiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';

export interface SessionOptions {
  readonly protocol: PlaybackProtocol;
  readonly mode: PlaybackMode;
  /** Which fragment timestamp selects and orders fragments. */
  readonly by: FragmentTimestampKind;
  /** Inclusive range on the fragment start; LIVE has neither end, LIVE_REPLAY may lack `endMs`. */
  readonly startMs?: number;
  readonly endMs?: number;
  /** DASH is always fMP4. */
  readonly container: ContainerFormat;
  /** HLS only; DASH sessions carry NEVER. */
  readonly discontinuity: DiscontinuityMode;
  /** HLS: #EXT-X-PROGRAM-DATE-TIME; DASH: kvs:ts. */
  readonly displayTimestamp: boolean;
  /** DASH only: kvs:fn. */
  readonly displayNumber: boolean;
  /** MaxMediaPlaylistFragmentResults / MaxManifestFragmentResults. */
  readonly maxFragments: number;
  /** Session length in seconds (Expires). */
  readonly expiresInSeconds: number;
}

/** The fields the two operations share, as they arrive on the wire. */
interface CommonInput {
  PlaybackMode?: PlaybackMode;
  DisplayFragmentTimestamp?: 'ALWAYS' | 'NEVER';
  Expires?: number;
}

interface SelectorInput {
  FragmentSelectorType?: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
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
  DisplayFragmentNumber?: 'ALWAYS' | 'NEVER';
  MaxManifestFragmentResults?: number;
}

const DEFAULT_EXPIRES_SECONDS = 300;
const MAX_RANGE_MS = 24 * 3600 * 1000;
const DEFAULT_LIVE_FRAGMENTS = 5;
const DEFAULT_ON_DEMAND_FRAGMENTS = 1000;

export function hlsSessionOptions(input: HlsSessionInput, nowMs: number): SessionOptions {
  const mode = input.PlaybackMode ?? 'LIVE';
  const selector = selectorOf(input.HLSFragmentSelector, 'HLSFragmentSelector', mode, nowMs);
  return {
    protocol: 'HLS',
    mode,
    ...selector,
    container: input.ContainerFormat ?? 'FRAGMENTED_MP4',
    discontinuity: input.DiscontinuityMode ?? (selector.by === 'server' ? 'ALWAYS' : 'NEVER'),
    displayTimestamp: input.DisplayFragmentTimestamp === 'ALWAYS',
    displayNumber: false,
    maxFragments: input.MaxMediaPlaylistFragmentResults ?? defaultMaxFragments(mode),
    expiresInSeconds: input.Expires ?? DEFAULT_EXPIRES_SECONDS,
  };
}

export function dashSessionOptions(input: DashSessionInput, nowMs: number): SessionOptions {
  const mode = input.PlaybackMode ?? 'LIVE';
  const selector = selectorOf(input.DASHFragmentSelector, 'DASHFragmentSelector', mode, nowMs);
  return {
    protocol: 'DASH',
    mode,
    ...selector,
    container: 'FRAGMENTED_MP4',
    discontinuity: 'NEVER',
    displayTimestamp: input.DisplayFragmentTimestamp === 'ALWAYS',
    displayNumber: input.DisplayFragmentNumber === 'ALWAYS',
    maxFragments: input.MaxManifestFragmentResults ?? defaultMaxFragments(mode),
    expiresInSeconds: input.Expires ?? DEFAULT_EXPIRES_SECONDS,
  };
}

function defaultMaxFragments(mode: PlaybackMode): number {
  return mode === 'ON_DEMAND' ? DEFAULT_ON_DEMAND_FRAGMENTS : DEFAULT_LIVE_FRAGMENTS;
}

type Selector = Pick<SessionOptions, 'by' | 'startMs' | 'endMs'>;

/** The selector rules of kvs-api.md §4.5: which modes need, allow or refuse a timestamp range. */
function selectorOf(selector: SelectorInput | undefined, field: string, mode: PlaybackMode, nowMs: number): Selector {
  const by: FragmentTimestampKind = selector?.FragmentSelectorType === 'PRODUCER_TIMESTAMP' ? 'producer' : 'server';
  const range = selector?.TimestampRange;
  if (mode === 'LIVE') {
    if (range) throw new InvalidArgumentException(`${field}.TimestampRange must not be set when PlaybackMode is LIVE.`);
    return { by };
  }
  if (!range) throw new InvalidArgumentException(`${field}.TimestampRange is required when PlaybackMode is ${mode}.`);
  const startMs = timestampOf(range.StartTimestamp, `${field}.TimestampRange.StartTimestamp`, mode);
  const endMs = range.EndTimestamp == null ? undefined : timestampOf(range.EndTimestamp, `${field}.TimestampRange.EndTimestamp`, mode);
  if (startMs === undefined) throw new InvalidArgumentException(`${field}.TimestampRange.StartTimestamp is required.`);
  if (endMs === undefined) {
    if (mode === 'ON_DEMAND') throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND.`);
    return { by, startMs };
  }
  checkRange(field, by, startMs, endMs, nowMs);
  return { by, startMs, endMs };
}

function timestampOf(value: unknown, field: string, mode: PlaybackMode): number | undefined {
  if (value == null) return undefined;
  const ms = parseTimestampMs(value);
  if (ms === undefined) throw new InvalidArgumentException(`${field} is not a valid timestamp (PlaybackMode ${mode}).`);
  return ms;
}

function checkRange(field: string, by: FragmentTimestampKind, startMs: number, endMs: number, nowMs: number): void {
  if (endMs <= startMs) throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp must be later than StartTimestamp.`);
  if (endMs - startMs > MAX_RANGE_MS) {
    throw new InvalidArgumentException(`${field}.TimestampRange must not span more than 24 hours.`);
  }
  if (by === 'server' && endMs > nowMs) {
    throw new InvalidArgumentException(`${field}.TimestampRange.EndTimestamp must be in the past for SERVER_TIMESTAMP.`);
  }
}
