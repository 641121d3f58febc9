/** The Segment Info element (RFC 9559 §5.1.2): only TimestampScale matters to the ingest. */
import { forEachChild, readUint, type Span } from './ebml-reader.js';
import { MkvFormatError } from './events.js';
import { MatroskaId } from './ids.js';

/** TimestampScale default (RFC 9559 §5.1.2): 1 ms ticks. */
export const DEFAULT_TIMESTAMP_SCALE_NS = 1_000_000;

export interface SegmentInfo {
  /** TimestampScale (formerly TimecodeScale): nanoseconds per tick. */
  readonly timecodeScaleNs: number;
}

/** Decodes an Info element's data. */
export function decodeInfo(info: Span): SegmentInfo {
  let timecodeScaleNs = DEFAULT_TIMESTAMP_SCALE_NS;
  forEachChild(info, (id, child) => {
    if (id === MatroskaId.TimestampScale) timecodeScaleNs = readUint(child);
  });
  if (timecodeScaleNs === 0) throw new MkvFormatError('TimestampScale is 0', info.base + info.start);
  return { timecodeScaleNs };
}
