/**
 * Where a fragment's media sits on a session's timeline. Every segment of a session (fMP4 tfdt,
 * MPEG-TS PTS/DTS) and every manifest position (DASH S@t) is computed from the same value, so
 * segments built one request at a time, on any node, line up with each other and with the
 * manifest.
 *
 * The timeline is the session's fragment timestamp — producer or server, as its
 * FragmentSelectorType says — minus an origin the session fixes once (its anchorMs: nothing it
 * lists is older). Producer timestamps are the producer's own clock, so consecutive fragments of
 * a continuous producer tile exactly; server timestamps are arrival times, which jitter with the
 * network (and a file uploaded faster than real time piles its fragments up), which is why KVS
 * marks discontinuities by default with that selector. All tracks of a fragment share the
 * fragment's start, so audio and video stay in sync whichever clock places the fragment.
 */
import { parseFragmentNumber, type FragmentRecord } from '../../domain/fragment.js';
import type { FragmentSelectorType } from '../session.js';

export interface SegmentTiming {
  /**
   * Where the fragment's Cluster timecode falls on the session timeline, whole ms ≥ 0: a frame
   * with block timecode t is presented at fragmentStartMs + t × TimestampScale. Use
   * fragmentTimelineMs() unless the session lays its timeline out some other way.
   */
  readonly fragmentStartMs: number;
  /**
   * mfhd sequence_number of fMP4 media segments (ISO/IEC 14496-12 §8.8.5): increasing across a
   * track's segments. Default: derived from the fragment number, which increases with arrival.
   */
  readonly sequenceNumber?: number | undefined;
}

/** The fragment's start on the timeline of a session with this selector and origin, ms. */
export function fragmentTimelineMs(fragment: FragmentRecord, selector: FragmentSelectorType, originMs: number): number {
  const timestampMs = selector === 'PRODUCER_TIMESTAMP' ? fragment.producerTimestampMs : fragment.serverTimestampMs;
  return timestampMs - originMs;
}

/** fragmentStartMs, checked: a timeline position is a whole number of ms, not before the origin. */
export function checkedStartMs(timing: SegmentTiming): number {
  const startMs = timing.fragmentStartMs;
  if (!Number.isSafeInteger(startMs) || startMs < 0) {
    throw new RangeError(`fragment start ${startMs} ms is not a whole number of ms at or after the session origin`);
  }
  return startMs;
}

/** mfhd allows 1 … 2^32 − 1. */
const MAX_SEQUENCE_NUMBER = 0xffffffffn;

/** The mfhd sequence number of a fragment's segments. */
export function segmentSequenceNumber(fragment: FragmentRecord, timing: SegmentTiming): number {
  if (timing.sequenceNumber !== undefined) {
    if (!Number.isInteger(timing.sequenceNumber) || timing.sequenceNumber < 1 || timing.sequenceNumber > Number(MAX_SEQUENCE_NUMBER)) {
      throw new RangeError(`sequence number ${timing.sequenceNumber}`);
    }
    return timing.sequenceNumber;
  }
  const sequence = parseFragmentNumber(fragment.fragmentNumber);
  return sequence === undefined ? 1 : Number(sequence % MAX_SEQUENCE_NUMBER) + 1;
}
