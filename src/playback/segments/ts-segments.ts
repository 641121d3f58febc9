/**
 * HLS MPEG-TS segments of KVS fragments (RFC 8216 §3.2, ISO/IEC 13818-1): every playable track
 * of one fragment — H.264 or H.265 video, AAC audio — muxed into one segment by the TS muxer
 * (Annex B with parameter sets before each IDR, ADTS, PCR on the video PID). Pure: the stored
 * track header, frame index and fragment bytes in, transport packets out.
 *
 * Timing: one 90 kHz-convertible clock for all tracks, the session timeline (timeline.ts) plus
 * TS_TIMELINE_OFFSET_MS, so consecutive segments continue each other and audio and video keep the
 * offsets the producer gave them. Presentation times are the stored ones (audio snapped to its
 * frame grid); decode times come from the one derivation in formats/isobmff/timing.ts (the
 * sorted presentation times pushed back by the fragment's reorder delay). Samples go into the
 * stream in decode-time order across tracks, so both tracks start at the segment's start.
 */
import { InvalidMediaFrameException, UnsupportedStreamMediaTypeException } from '../../domain/errors.js';
import { decodeFrameIndex } from '../../domain/frame-index.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import { AAC_SAMPLING_FREQUENCIES } from '../../formats/codecs/aac.js';
import { HevcNalType, hevcParameterSets } from '../../formats/codecs/hevc.js';
import type { AacCodec } from '../../formats/codecs/track-codec.js';
import { collectSamples, type TrackSamples } from '../../formats/isobmff/fragment-samples.js';
import { trackTimeline } from '../../formats/isobmff/track-timing.js';
import { NalUnitFormatError } from '../../formats/mpeg-ts/annexb.js';
import { muxTsSegment, type TsSample, type TsTrack } from '../../formats/mpeg-ts/muxer.js';
import { playableTracks } from '../media-support.js';
import { describeStoredHeader, segmentTrack, type SegmentTrack } from './segment-tracks.js';
import { checkedStartMs, type SegmentTiming } from './timeline.js';

/**
 * Where the session timeline's 0 falls on the TS clock. Decode times run ahead of presentation
 * by the reorder delay of B-frames, and must not go below 0 (the 33-bit counter would wrap);
 * 10 s is more than any encoder's reorder delay.
 */
export const TS_TIMELINE_OFFSET_MS = 10_000;

/**
 * The MPEG-TS segment of one fragment: PAT, PMT, then every frame of its playable tracks.
 * UnsupportedStreamMediaTypeException for a stream HLS cannot play or ADTS cannot describe;
 * InvalidMediaFrameException for video frames that are not length-prefixed NAL units.
 */
export function muxFragmentTs(fragment: FragmentRecord, trackHeader: Uint8Array, fragmentBytes: Uint8Array, timing: SegmentTiming): Uint8Array[] {
  const startMs = checkedStartMs(timing);
  const header = describeStoredHeader(trackHeader);
  const playable = playableTracks(
    'HLS',
    header.tracks.map((track) => ({ trackNumber: track.number, codecId: track.codecId, codecPrivate: track.codecPrivate })),
  );
  const wanted = new Set([playable.video?.trackNumber, playable.audio?.trackNumber]);
  const tracks = header.tracks.filter((track) => wanted.has(track.number)).map(segmentTrack);
  const selected = tracks.map(({ trackNumber, timescale }) => ({ trackNumber, timescale }));
  const frames = decodeFrameIndex(fragment.frameIndex);
  const collected = collectSamples([{ producerTimestampMs: startMs + TS_TIMELINE_OFFSET_MS, frames }], selected, header.timecodeScaleNs, 0);
  const perTrack = tracks.map((track, i) => timedSamples(track, collected.tracks[i]!, header.timecodeScaleNs));
  const ranges = collected.payloadRanges[0]!;
  const payloadOf = (frame: number) => fragmentBytes.subarray(ranges[2 * frame]!, ranges[2 * frame]! + ranges[2 * frame + 1]!);
  const samples = interleave(perTrack, collected.order, payloadOf);
  try {
    // Every segment's continuity counters start at 0: segments are built one request at a time, and
    // players (hls.js, ffmpeg) take each segment's PAT/PMT as a fresh start.
    return muxTsSegment({ tracks: tracks.map(tsTrack), samples });
  } catch (err) {
    if (err instanceof NalUnitFormatError) throw new InvalidMediaFrameException(`Fragment ${fragment.fragmentNumber}: ${err.message}`);
    throw err;
  }
}

interface TimedSample {
  readonly trackNumber: number;
  readonly timescale: number;
  readonly dts: number;
  readonly pts: number;
  readonly key: boolean;
}

/** Decode and presentation times of a track's samples, in its media timescale. */
function timedSamples(track: SegmentTrack, samples: TrackSamples, timecodeScaleNs: number): TimedSample[] {
  if (samples.sizes.length === 0) return [];
  const timeline = trackTimeline(track.codec, samples, { timecodeScaleNs });
  const out: TimedSample[] = [];
  let dts = timeline.firstDecodeTime;
  for (let i = 0; i < samples.sizes.length; i++) {
    const pts = dts + (timeline.compositionOffsets?.[i] ?? 0);
    out.push({ trackNumber: track.trackNumber, timescale: track.timescale, dts, pts, key: samples.keys[i]! });
    dts += timeline.durations[i]!;
  }
  return out;
}

/**
 * Every track's samples in one list ordered by decode time (ties keep storage order), each with
 * its payload. `order` gives, for each collected frame in storage order, its track index.
 */
function interleave(perTrack: readonly TimedSample[][], order: Uint8Array, payloadOf: (frame: number) => Uint8Array): TsSample[] {
  const next = perTrack.map(() => 0);
  const inStorageOrder = Array.from(order, (track, frame) => ({ sample: perTrack[track]![next[track]!++]!, frame }));
  const seconds = (s: TimedSample) => s.dts / s.timescale;
  inStorageOrder.sort((a, b) => seconds(a.sample) - seconds(b.sample));
  return inStorageOrder.map(({ sample, frame }) => ({ ...sample, payload: payloadOf(frame) }));
}

/** What the TS muxer needs of a track. */
function tsTrack(track: SegmentTrack): TsTrack {
  const { codec, trackNumber, timescale } = track;
  switch (codec.kind) {
    case 'avc':
      return { codec: 'H264', trackNumber, timescale, nalLengthSize: codec.nalLengthSize, parameterSets: [...codec.config.sps, ...codec.config.pps] };
    case 'hevc': {
      const parameterSets = [HevcNalType.VPS, HevcNalType.SPS, HevcNalType.PPS].flatMap((type) => hevcParameterSets(codec.config, type));
      return { codec: 'H265', trackNumber, timescale, nalLengthSize: codec.nalLengthSize, parameterSets };
    }
    case 'aac':
      return { codec: 'AAC', trackNumber, timescale, ...adtsConfig(codec) };
    case 'g711':
      throw new UnsupportedStreamMediaTypeException(`Track ${trackNumber} is G.711, which MPEG-TS does not carry.`);
  }
}

/**
 * The ADTS header fields (ISO/IEC 13818-7 §6.2.1) of an AAC track: the core object type (HE-AAC
 * travels as its AAC-LC core, its SBR found in the stream), a tabled sampling frequency and a
 * channel configuration of 1-7.
 */
function adtsConfig(codec: AacCodec): { audioObjectType: number; samplingFrequencyIndex: number; channelConfiguration: number } {
  const { coreObjectType, samplingFrequency, channelConfiguration } = codec.config;
  const samplingFrequencyIndex = AAC_SAMPLING_FREQUENCIES.indexOf(samplingFrequency);
  if (coreObjectType < 1 || coreObjectType > 4 || samplingFrequencyIndex < 0 || channelConfiguration < 1 || channelConfiguration > 7) {
    throw new UnsupportedStreamMediaTypeException(
      `AAC object type ${coreObjectType} at ${samplingFrequency} Hz with channel configuration ${channelConfiguration} cannot be carried in ADTS (MPEG-TS).`,
    );
  }
  return { audioObjectType: coreObjectType, samplingFrequencyIndex, channelConfiguration };
}
