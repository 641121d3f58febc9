/**
 * The MPD of a KVS DASH session (ISO/IEC 23009-1): one Period per run of fragments sharing a track
 * header (codec private data), one AdaptationSet per track, each with a SegmentTemplate and
 * SegmentTimeline whose segments are the session's fragments. As KVS documents, segments are
 * addressed by their sequence number in the session ($Number$), the timeline is whatever the
 * caller lays out (KVS closes gaps so players keep playing), and the real fragment timestamp and
 * number can ride on each S element as kvs:ts and kvs:fn.
 *
 * A new Period per codec private data is ours: KVS documents that a DASH session does not
 * support CPD changes at all ("Video playback track requirements"). Periods are how DASH carries
 * an init segment change (§5.3.2), and dash.js and Shaka play through them.
 */
import { DashResource, SessionQuery, queryString, resourceUrl } from './resources.js';
import { isoInstant, xmlAttribute, xsDuration } from './text.js';

/**
 * The namespace of the kvs: attributes. KVS's own namespace URI has not been captured
 * (kvs-api.md §9), so this one is ours; players that read kvs:ts / kvs:fn by name work either way.
 */
export const KVS_DASH_NAMESPACE = 'urn:openkvs:dash:kvs:2024';
/** MPD timescale: KVS timestamps and durations are milliseconds. */
const TIMESCALE = 1000;

export interface DashTrack {
  readonly trackNumber: number;
  readonly contentType: 'video' | 'audio';
  /** RFC 6381 codecs: "avc1.64000c", "hvc1.1.6.L93.B0", "mp4a.40.2", "alaw", "ulaw". */
  readonly codecs: string;
  /** Bits per second (§5.3.5.2 @bandwidth, required). */
  readonly bandwidth: number;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly frameRate?: number | undefined;
  readonly audioSamplingRate?: number | undefined;
  readonly audioChannels?: number | undefined;
}

export interface DashFragment {
  readonly fragmentNumber: string;
  /** The real fragment start (producer or server time per the session's selector), epoch ms: kvs:ts. */
  readonly timestampMs: number;
  /** Where the segment sits on the MPD timeline, ms (its media must start there: tfdt). */
  readonly timelineStartMs: number;
  readonly durationMs: number;
}

export type DashPresentation =
  | { readonly type: 'static' }
  | {
      readonly type: 'dynamic';
      /** Wall-clock instant of timeline position 0 (adjusted by presentationTimeOffsetMs). */
      readonly availabilityStartTimeMs: number;
      readonly publishTimeMs: number;
      readonly minimumUpdatePeriodMs: number;
      readonly timeShiftBufferDepthMs: number;
      readonly suggestedPresentationDelayMs: number;
    };

/** Consecutive fragments sharing one track header: one Period. */
export interface DashPeriod {
  /** Period@id: unique in the MPD and stable across a dynamic MPD's updates. */
  readonly id: string;
  readonly tracks: readonly DashTrack[];
  /** In timeline order, contiguous with the previous Period's; at least one. */
  readonly fragments: readonly DashFragment[];
  /** The session sequence number of the Period's first fragment (SegmentTemplate@startNumber). */
  readonly startNumber: number;
  /** Which track header the init segment is built from (SequenceNumber in its URL); none: the session's first. */
  readonly initSequenceNumber?: number | undefined;
}

export interface DashManifestInput {
  readonly sessionToken: string;
  readonly presentation: DashPresentation;
  /** One Period (the fields below) or several (`periods`, which then replaces them). */
  readonly tracks?: readonly DashTrack[] | undefined;
  /** In timeline order; at least one. */
  readonly fragments?: readonly DashFragment[] | undefined;
  /** The session sequence number of the first fragment listed (SegmentTemplate@startNumber). */
  readonly startNumber?: number | undefined;
  readonly periods?: readonly DashPeriod[] | undefined;
  readonly displayFragmentTimestamp: boolean;
  readonly displayFragmentNumber: boolean;
  /** Timeline position of Period start, ms (SegmentTemplate@presentationTimeOffset). Default 0. */
  readonly presentationTimeOffsetMs?: number | undefined;
  /** MPD@minBufferTime. Default: the longest fragment. */
  readonly minBufferTimeMs?: number | undefined;
}

/** The whole MPD document. */
export function dashManifest(input: DashManifestInput): string {
  const periods = periodsOf(input);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<MPD ${mpdAttributes(input, periods)}>`];
  const originMs = input.presentationTimeOffsetMs ?? 0;
  periods.forEach((period, i) => {
    // The first Period starts the presentation (its media time originMs plays at 0: static MPDs
    // start at their first segment, dynamic ones at the session timeline's 0). A later Period
    // starts where its first segment sits, and presentationTimeOffset (§5.3.9.2) names that media
    // time, so every Period maps media time to presentation time alike: segment times never
    // move, whichever Period a dynamic MPD's sliding window happens to begin with.
    const firstMs = Math.round((period.fragments[0] as DashFragment).timelineStartMs);
    const startMs = i === 0 ? 0 : Math.max(0, firstMs - originMs);
    const ptoMs = i === 0 ? originMs : firstMs;
    const timeline = segmentTimeline(input, period);
    lines.push(`  <Period id="${xmlAttribute(period.id)}" start="${xsDuration(startMs)}">`);
    for (const track of period.tracks) lines.push(adaptationSet(input, period, track, timeline, ptoMs));
    lines.push('  </Period>');
  });
  lines.push(...utcTiming(input.presentation), '</MPD>', '');
  return lines.join('\n');
}

function periodsOf(input: DashManifestInput): readonly DashPeriod[] {
  const periods = input.periods ?? [{ id: '0', tracks: input.tracks ?? [], fragments: input.fragments ?? [], startNumber: input.startNumber ?? 0 }];
  if (periods.length === 0) throw new RangeError('an MPD needs at least one Period');
  for (const period of periods) {
    if (period.tracks.length === 0) throw new RangeError('an MPD needs at least one track');
    if (period.fragments.length === 0) throw new RangeError('an MPD needs at least one fragment (SegmentTimeline needs an S)');
    if (!Number.isInteger(period.startNumber) || period.startNumber < 0) throw new RangeError(`startNumber ${period.startNumber}`);
  }
  return periods;
}

/**
 * UTCTiming (§5.8.4.11, after the Periods) of a dynamic MPD: the server's clock when it wrote the
 * MPD (the `direct` scheme, §5.8.5.7), so players place the live edge by this server's time
 * instead of asking a time server on the internet (dash.js refuses to start when it cannot).
 */
function utcTiming(presentation: DashPresentation): string[] {
  if (presentation.type === 'static') return [];
  return [`  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="${isoInstant(presentation.publishTimeMs)}"/>`];
}

/** MPD element attributes (§5.3.1.2): common, then static or dynamic ones. */
function mpdAttributes(input: DashManifestInput, periods: readonly DashPeriod[]): string {
  const fragments = periods.flatMap((p) => p.fragments);
  const longestMs = Math.max(...fragments.map((f) => f.durationMs));
  const attributes: Array<[string, string]> = [
    ['xmlns', 'urn:mpeg:dash:schema:mpd:2011'],
    ['xmlns:kvs', KVS_DASH_NAMESPACE],
    ['profiles', 'urn:mpeg:dash:profile:isoff-live:2011'],
    ['type', input.presentation.type],
    ['minBufferTime', xsDuration(input.minBufferTimeMs ?? longestMs)],
    ['maxSegmentDuration', xsDuration(longestMs)],
  ];
  const presentation = input.presentation;
  if (presentation.type === 'static') {
    const last = fragments[fragments.length - 1] as DashFragment;
    const endMs = last.timelineStartMs + last.durationMs - (input.presentationTimeOffsetMs ?? 0);
    attributes.push(['mediaPresentationDuration', xsDuration(Math.max(0, endMs))]);
  } else {
    attributes.push(
      ['availabilityStartTime', isoInstant(presentation.availabilityStartTimeMs)],
      ['publishTime', isoInstant(presentation.publishTimeMs)],
      ['minimumUpdatePeriod', xsDuration(presentation.minimumUpdatePeriodMs)],
      ['timeShiftBufferDepth', xsDuration(presentation.timeShiftBufferDepthMs)],
      ['suggestedPresentationDelay', xsDuration(presentation.suggestedPresentationDelayMs)],
    );
  }
  return attributes.map(([name, value]) => `${name}="${xmlAttribute(value)}"`).join(' ');
}

/** AdaptationSet (§5.3.3) with one Representation (§5.3.5) and its SegmentTemplate (§5.3.9.4). */
function adaptationSet(input: DashManifestInput, period: DashPeriod, track: DashTrack, timeline: string, ptoMs: number): string {
  const video = track.contentType === 'video';
  const set: Array<[string, string | number]> = [
    ['id', track.trackNumber],
    ['contentType', track.contentType],
    ['mimeType', video ? 'video/mp4' : 'audio/mp4'],
    ['segmentAlignment', 'true'],
    ['startWithSAP', 1],
  ];
  const representation: Array<[string, string | number]> = [
    ['id', track.trackNumber],
    ['bandwidth', Math.ceil(track.bandwidth)],
    ['codecs', track.codecs],
  ];
  if (track.width !== undefined && track.height !== undefined) representation.push(['width', track.width], ['height', track.height]);
  if (track.frameRate !== undefined) representation.push(['frameRate', frameRateValue(track.frameRate)]);
  if (track.audioSamplingRate !== undefined) representation.push(['audioSamplingRate', track.audioSamplingRate]);
  const lines = [`    <AdaptationSet ${attributeText(set)}>`, `      <Representation ${attributeText(representation)}>`];
  if (track.audioChannels !== undefined) {
    // §5.8.4.7 / ISO/IEC 23001-8 channel configuration scheme: the value is the channel count.
    lines.push(`        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${track.audioChannels}"/>`);
  }
  lines.push(`        <SegmentTemplate ${attributeText(segmentTemplateAttributes(input, period, track, ptoMs))}>`, '          <SegmentTimeline>', timeline, '          </SegmentTimeline>', '        </SegmentTemplate>');
  lines.push('      </Representation>', '    </AdaptationSet>');
  return lines.join('\n');
}

/** SegmentTemplate attributes (§5.3.9.4): session-relative URLs, $Number$ for the fragment's sequence number. */
function segmentTemplateAttributes(input: DashManifestInput, period: DashPeriod, track: DashTrack, ptoMs: number): Array<[string, string | number]> {
  // Percent-encoding leaves no '$' of the token in the template, so no '$$' escaping is needed (§5.3.9.4.4).
  const token: [string, string] = [SessionQuery.SessionToken, input.sessionToken];
  const trackNumber: [string, number] = [SessionQuery.TrackNumber, track.trackNumber];
  const initParams: Array<[string, string | number]> = [token, trackNumber];
  if (period.initSequenceNumber !== undefined) initParams.push([SessionQuery.SequenceNumber, period.initSequenceNumber]);
  return [
    ['timescale', TIMESCALE],
    ['presentationTimeOffset', ptoMs],
    ['startNumber', period.startNumber],
    ['initialization', resourceUrl(DashResource.InitFragment, initParams)],
    ['media', `${DashResource.MediaFragment}?${SessionQuery.FragmentNumber}=$Number$&${queryString([token, trackNumber])}`],
  ];
}

/**
 * SegmentTimeline S elements (§5.3.9.6): @t where a segment does not start where the previous
 * ended; consecutive equal segments folded into @r when no kvs: attribute tells them apart.
 */
function segmentTimeline(input: DashManifestInput, period: DashPeriod): string {
  const perSegment = input.displayFragmentTimestamp || input.displayFragmentNumber;
  const lines: string[] = [];
  let runStart = -1;
  let runDuration = -1;
  let repeats = 0;
  let expectedStart = Number.NaN;
  const closeRun = () => {
    if (runDuration < 0) return;
    lines.push(`            <S${runStart >= 0 ? ` t="${runStart}"` : ''} d="${runDuration}"${repeats > 0 ? ` r="${repeats}"` : ''}/>`);
  };
  for (const fragment of period.fragments) {
    const start = Math.round(fragment.timelineStartMs);
    const duration = Math.round(fragment.durationMs);
    const contiguous = start === expectedStart;
    if (perSegment) {
      lines.push(`            <S${contiguous ? '' : ` t="${start}"`} d="${duration}"${kvsAttributes(input, fragment)}/>`);
    } else if (contiguous && duration === runDuration) {
      repeats++;
    } else {
      closeRun();
      runStart = contiguous ? -1 : start;
      runDuration = duration;
      repeats = 0;
    }
    expectedStart = start + duration;
  }
  if (!perSegment) closeRun();
  return lines.join('\n');
}

function kvsAttributes(input: DashManifestInput, fragment: DashFragment): string {
  let text = '';
  if (input.displayFragmentTimestamp) text += ` kvs:ts="${Math.round(fragment.timestampMs)}"`;
  if (input.displayFragmentNumber) text += ` kvs:fn="${xmlAttribute(fragment.fragmentNumber)}"`;
  return text;
}

/** FrameRateType (§5.3.12.4): an integer or a ratio, never a decimal ("30000/1001", not "29.97"). */
export function frameRateValue(framesPerSecond: number): string {
  if (!(framesPerSecond > 0) || !Number.isFinite(framesPerSecond)) throw new RangeError(`frame rate ${framesPerSecond}`);
  if (Number.isInteger(framesPerSecond)) return String(framesPerSecond);
  // NTSC-style rates are what non-integer camera rates usually are.
  const ntsc = Math.round(framesPerSecond * 1.001);
  if (Math.abs((ntsc * 1000) / 1001 - framesPerSecond) < 0.0005) return `${ntsc * 1000}/1001`;
  let numerator = Math.round(framesPerSecond * 1000);
  let denominator = 1000;
  const divisor = gcd(numerator, denominator);
  numerator /= divisor;
  denominator /= divisor;
  return denominator === 1 ? String(numerator) : `${numerator}/${denominator}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function attributeText(attributes: ReadonlyArray<readonly [string, string | number]>): string {
  return attributes.map(([name, value]) => `${name}="${xmlAttribute(String(value))}"`).join(' ');
}
