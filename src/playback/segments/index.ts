/**
 * HLS / DASH media segments of stored KVS fragments (kvs-api.md §5): fMP4 init and media
 * segments per track, MPEG-TS segments of all tracks, and the session timeline that places them.
 */
export { initSegment, planMediaSegment, type MediaSegmentPlan } from './fmp4-segments.js';
export { mediaSegment, tsSegment, MP4_CONTENT_TYPE, TS_CONTENT_TYPE, type SegmentBody } from './segment-io.js';
export { segmentTracks, type SegmentTrack, type SegmentTracks, type TrackSelection } from './segment-tracks.js';
export { fragmentTimelineMs, type SegmentTiming } from './timeline.js';
export { muxFragmentTs, TS_TIMELINE_OFFSET_MS } from './ts-segments.js';
