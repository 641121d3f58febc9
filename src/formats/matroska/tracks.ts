/** The Tracks element (RFC 9559 §5.1.4): one TrackInfo per TrackEntry. Any CodecID is accepted. */
import { forEachChild, readBinary, readFloat, readString, readUint, readUintBig, type Span } from './ebml-reader.js';
import { MkvFormatError, type TrackInfo } from './events.js';
import { MatroskaId } from './ids.js';

interface TrackDraft {
  number: number | undefined;
  uid: bigint | undefined;
  type: number | undefined;
  codecId: string | undefined;
  codecPrivate: Uint8Array | undefined;
  defaultDurationNs: number | undefined;
  name: string | undefined;
  video: TrackInfo['video'];
  audio: TrackInfo['audio'];
}

type FieldReader = (draft: TrackDraft, child: Span) => void;

/** TrackEntry children the ingest keeps; the rest are skipped. */
const TRACK_ENTRY_FIELDS: ReadonlyMap<number, FieldReader> = new Map<number, FieldReader>([
  [MatroskaId.TrackNumber, (d, c) => (d.number = readUint(c))],
  [MatroskaId.TrackUID, (d, c) => (d.uid = readUintBig(c))],
  [MatroskaId.TrackType, (d, c) => (d.type = readUint(c))],
  [MatroskaId.CodecID, (d, c) => (d.codecId = readString(c))],
  [MatroskaId.CodecPrivate, (d, c) => (d.codecPrivate = readBinary(c))],
  [MatroskaId.DefaultDuration, (d, c) => (d.defaultDurationNs = readUint(c))],
  [MatroskaId.Name, (d, c) => (d.name = readString(c))],
  [MatroskaId.Video, (d, c) => (d.video = decodeVideo(c))],
  [MatroskaId.Audio, (d, c) => (d.audio = decodeAudio(c))],
]);

/**
 * Decodes a Tracks element's data. `codecPrivate` values are views into `tracks.bytes`, so pass
 * bytes you own. TrackNumber, TrackType and CodecID are mandatory; TrackNumbers must be unique
 * and non-zero.
 */
export function decodeTracks(tracks: Span): TrackInfo[] {
  const out: TrackInfo[] = [];
  forEachChild(tracks, (id, child) => {
    if (id !== MatroskaId.TrackEntry) return;
    const track = decodeTrackEntry(child);
    if (out.some((t) => t.number === track.number)) {
      throw new MkvFormatError(`TrackNumber ${track.number} appears twice`, child.base + child.start);
    }
    out.push(track);
  });
  return out;
}

function decodeTrackEntry(entry: Span): TrackInfo {
  const d: TrackDraft = {
    number: undefined,
    uid: undefined,
    type: undefined,
    codecId: undefined,
    codecPrivate: undefined,
    defaultDurationNs: undefined,
    name: undefined,
    video: undefined,
    audio: undefined,
  };
  forEachChild(entry, (id, child) => TRACK_ENTRY_FIELDS.get(id)?.(d, child));
  const at = entry.base + entry.start;
  if (d.number === undefined || d.number === 0) throw new MkvFormatError('TrackEntry without a non-zero TrackNumber', at);
  if (d.type === undefined) throw new MkvFormatError(`track ${d.number} has no TrackType`, at);
  if (d.codecId === undefined) throw new MkvFormatError(`track ${d.number} has no CodecID`, at);
  return {
    number: d.number,
    uid: d.uid,
    type: d.type,
    codecId: d.codecId,
    codecPrivate: d.codecPrivate,
    defaultDurationNs: d.defaultDurationNs,
    name: d.name,
    video: d.video,
    audio: d.audio,
  };
}

/** Video (RFC 9559 §5.1.4): PixelWidth and PixelHeight are mandatory. */
function decodeVideo(video: Span): NonNullable<TrackInfo['video']> {
  let pixelWidth: number | undefined;
  let pixelHeight: number | undefined;
  forEachChild(video, (id, child) => {
    if (id === MatroskaId.PixelWidth) pixelWidth = readUint(child);
    else if (id === MatroskaId.PixelHeight) pixelHeight = readUint(child);
  });
  if (pixelWidth === undefined || pixelHeight === undefined) {
    throw new MkvFormatError('Video without PixelWidth and PixelHeight', video.base + video.start);
  }
  return { pixelWidth, pixelHeight };
}

/** Audio (RFC 9559 §5.1.4): SamplingFrequency defaults to 8000 Hz and Channels to 1; BitDepth has no default. */
function decodeAudio(audio: Span): NonNullable<TrackInfo['audio']> {
  let samplingFrequency = 8000;
  let channels = 1;
  let bitDepth: number | undefined;
  forEachChild(audio, (id, child) => {
    if (id === MatroskaId.SamplingFrequency) samplingFrequency = readFloat(child);
    else if (id === MatroskaId.Channels) channels = readUint(child);
    else if (id === MatroskaId.BitDepth) bitDepth = readUint(child);
  });
  return { samplingFrequency, channels, bitDepth };
}
