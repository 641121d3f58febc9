/**
 * The trak box both MP4 flavours share (ISO/IEC 14496-12 §8.3–§8.7): tkhd, optional edts, and mdia
 * with mdhd, hdlr and minf / stbl around the caller's sample tables.
 */
import type { TrackCodec } from '../codecs/track-codec.js';
import { containerBox } from './box.js';
import { dinf, edts, hdlr, mdhd, smhd, tkhd, vmhd, type EditListEntry } from './movie-boxes.js';
import { sampleEntry, stsd, type AudioBitrates } from './sample-entries.js';

export interface TrakFields {
  readonly trackId: number;
  readonly codec: TrackCodec;
  /** Media timescale (mdhd). */
  readonly timescale: number;
  /** Sum of sample durations, in the media timescale (0 for an init segment). */
  readonly mediaDuration: number;
  /** Track duration in the movie timescale (tkhd): the sum of its edits. */
  readonly movieDuration: number;
  /** Edit list entries; none: no edts box. */
  readonly edits: readonly EditListEntry[];
  /** stts, ctts, stss, stsc, stsz, stco… in that order (ISO/IEC 14496-12 §8.5.1 recommends it). */
  readonly sampleTables: readonly Uint8Array[];
  readonly bitrates?: AudioBitrates;
}

/** Display width: the coded width stretched by the sample aspect ratio (tkhd width, §8.3.2.3). */
function displayWidth(codec: TrackCodec): number {
  return codec.media === 'video' ? (codec.width * codec.sarWidth) / codec.sarHeight : 0;
}

/** §8.3.1 TrackBox. */
export function trak(fields: TrakFields): Uint8Array {
  const { codec } = fields;
  const audio = codec.media === 'audio';
  const header = tkhd({
    trackId: fields.trackId,
    duration: fields.movieDuration,
    audio,
    width: displayWidth(codec),
    height: codec.media === 'video' ? codec.height : 0,
  });
  const stbl = containerBox('stbl', [stsd([sampleEntry(codec, fields.bitrates)]), ...fields.sampleTables]);
  const minf = containerBox('minf', [audio ? smhd() : vmhd(), dinf(), stbl]);
  const mdia = containerBox('mdia', [
    mdhd(fields.timescale, fields.mediaDuration),
    hdlr(audio ? 'soun' : 'vide', audio ? 'SoundHandler' : 'VideoHandler'),
    minf,
  ]);
  return containerBox('trak', fields.edits.length > 0 ? [header, edts(fields.edits), mdia] : [header, mdia]);
}
