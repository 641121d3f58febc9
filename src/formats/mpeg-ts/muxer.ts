/**
 * The MPEG-TS segment muxer of HLS MPEG_TS sessions: tracks and samples in (decode order,
 * timestamps in each track's timescale, payload bytes as the archive stores them), 188-byte
 * transport packets out. ISO/IEC 13818-1 for the stream; RFC 8216 §3.2 for what HLS asks of
 * it: one program, PAT and PMT at the start of every segment.
 *
 * Layout: PAT, PMT, then one PES per video access unit (Annex B with AUD, parameter sets before
 * each IDR/IRAP) and one PES per run of consecutive ADTS frames of an audio track. The PCR rides
 * in the first packet of each PES of the first video track (or of the first track when there is
 * no video). Payload bytes are copied once: from the caller's arrays into the packets.
 */
import { adtsHeader, checkAdtsConfig, type AdtsConfig } from './adts.js';
import { annexBAccessUnit, piecesLength } from './annexb.js';
import {
  AUDIO_STREAM_ID,
  FIRST_ELEMENTARY_PID,
  PAT_PID,
  PMT_PID,
  PROGRAM_NUMBER,
  StreamType,
  SYSTEM_CLOCK_90KHZ,
  TRANSPORT_STREAM_ID,
  TS_PACKET_SIZE,
  VIDEO_STREAM_ID,
} from './constants.js';
import { packetizePayload, type AdaptationFlags } from './packet.js';
import { pesHeader, to90kHz } from './pes.js';
import { programAssociationSection, programMapSection, sectionPacket } from './psi.js';

export type TsCodec = 'H264' | 'H265' | 'AAC';

interface TsTrackBase {
  /** The Matroska TrackNumber samples refer to. */
  readonly trackNumber: number;
  /** Ticks per second of the samples' pts and dts (1000 for Matroska milliseconds). */
  readonly timescale: number;
}

export interface TsVideoTrack extends TsTrackBase {
  readonly codec: 'H264' | 'H265';
  /** lengthSizeMinusOne + 1 of the avcC/hvcC record. */
  readonly nalLengthSize: number;
  /** From the avcC/hvcC record: SPS, PPS (H.264) or VPS, SPS, PPS (H.265), as bare NAL units. */
  readonly parameterSets: readonly Uint8Array[];
}

export interface TsAacTrack extends TsTrackBase, AdtsConfig {
  readonly codec: 'AAC';
}

export type TsTrack = TsVideoTrack | TsAacTrack;

export interface TsSample {
  readonly trackNumber: number;
  /** Decode and presentation times in the track's timescale. */
  readonly dts: number;
  readonly pts: number;
  /** A key frame (sets random_access_indicator). */
  readonly key: boolean;
  /** Video: one length-prefixed access unit. AAC: one raw frame. Read, never kept past the call. */
  readonly payload: Uint8Array;
}

export interface TsMuxerOptions {
  /**
   * Continuity counters to continue from, by PID (another muxer's continuityCounters()), for a
   * caller that writes several segments of one session back to back. Default: every PID at 0.
   */
  readonly continuityCounters?: ReadonlyMap<number, number>;
}

/** A run of AAC frames longer than this goes in a new PES (ffmpeg's default PES payload size). */
const MAX_AUDIO_PES_PAYLOAD = 2930;
/** ISO/IEC 13818-1 §2.7.2 wants a PCR at least every 100 ms; bounds audio runs on the PCR PID. */
const MAX_PCR_INTERVAL_90K = SYSTEM_CLOCK_90KHZ / 10;
/** Samples per AAC frame (14496-3: 1024 for AAC LC/Main/LTP with the standard frame length). */
const AAC_SAMPLES_PER_FRAME = 1024;
/** 14496-3 Table 1.18: sampling frequency of each sampling_frequency_index. */
const AAC_SAMPLING_FREQUENCIES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

interface AudioRun {
  readonly pts90k: number;
  /** Where the next frame of the run would start if it follows without a gap. */
  nextPts90k: number;
  readonly pieces: Uint8Array[];
  bytes: number;
}

interface TrackState {
  readonly track: TsTrack;
  readonly pid: number;
  readonly carriesPcr: boolean;
  continuityCounter: number;
  run: AudioRun | undefined;
}

export class TsMuxer {
  private readonly states: TrackState[];
  private readonly byTrackNumber = new Map<number, TrackState>();
  private patCounter: number;
  private pmtCounter: number;

  constructor(tracks: readonly TsTrack[], options: TsMuxerOptions = {}) {
    if (tracks.length === 0) throw new RangeError('a TS segment needs at least one track');
    const counters = options.continuityCounters ?? new Map<number, number>();
    const pcrIndex = Math.max(0, tracks.findIndex((track) => track.codec !== 'AAC'));
    this.states = tracks.map((track, index) => {
      checkTrack(track);
      const pid = FIRST_ELEMENTARY_PID + index;
      return { track, pid, carriesPcr: index === pcrIndex, continuityCounter: counters.get(pid) ?? 0, run: undefined };
    });
    for (const state of this.states) {
      if (this.byTrackNumber.has(state.track.trackNumber)) throw new RangeError(`track ${state.track.trackNumber} given twice`);
      this.byTrackNumber.set(state.track.trackNumber, state);
    }
    this.patCounter = counters.get(PAT_PID) ?? 0;
    this.pmtCounter = counters.get(PMT_PID) ?? 0;
  }

  /** The elementary PID of a track. */
  pidOf(trackNumber: number): number {
    return this.stateOf(trackNumber).pid;
  }

  /** PAT and PMT, two packets: what every segment starts with. */
  programTables(): Uint8Array {
    const pcrState = this.states.find((state) => state.carriesPcr) as TrackState;
    const pat = programAssociationSection({ transportStreamId: TRANSPORT_STREAM_ID, programNumber: PROGRAM_NUMBER, programMapPid: PMT_PID });
    const pmt = programMapSection({
      programNumber: PROGRAM_NUMBER,
      pcrPid: pcrState.pid,
      streams: this.states.map((state) => ({ streamType: streamTypeOf(state.track.codec), elementaryPid: state.pid })),
    });
    const out = new Uint8Array(2 * TS_PACKET_SIZE);
    out.set(sectionPacket(PAT_PID, this.patCounter, pat), 0);
    out.set(sectionPacket(PMT_PID, this.pmtCounter, pmt), TS_PACKET_SIZE);
    this.patCounter = (this.patCounter + 1) & 0x0f;
    this.pmtCounter = (this.pmtCounter + 1) & 0x0f;
    return out;
  }

  /**
   * Muxes one sample. Returns the packets that became complete: a video sample's own PES, or for
   * audio the previous run of frames once this frame cannot join it (undefined while it can).
   */
  writeSample(sample: TsSample): Uint8Array | undefined {
    const state = this.stateOf(sample.trackNumber);
    const track = state.track;
    const pts90k = to90kHz(sample.pts, track.timescale);
    if (track.codec === 'AAC') return this.addAudioFrame(state, track, pts90k, sample.payload);
    const dts90k = to90kHz(sample.dts, track.timescale);
    const pieces = annexBAccessUnit(sample.payload, track);
    return this.emitPes(state, pieces, { pts90k, dts90k, pcr90k: dts90k, randomAccess: sample.key });
  }

  /** The audio runs still held, as packets (call at the end of a segment). */
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const state of this.states) {
      const packets = this.flushRun(state);
      if (packets !== undefined) out.push(packets);
    }
    return out;
  }

  /** The next continuity counter of every PID, to continue in the session's next segment. */
  continuityCounters(): Map<number, number> {
    const counters = new Map<number, number>([
      [PAT_PID, this.patCounter],
      [PMT_PID, this.pmtCounter],
    ]);
    for (const state of this.states) counters.set(state.pid, state.continuityCounter);
    return counters;
  }

  private stateOf(trackNumber: number): TrackState {
    const state = this.byTrackNumber.get(trackNumber);
    if (state === undefined) throw new RangeError(`sample for track ${trackNumber}, which the segment does not have`);
    return state;
  }

  /**
   * Adds a frame to the track's run of ADTS frames, first closing the run when the frame would
   * make it too big, would leave a timestamp gap (a PES has one PTS; the frames after the first
   * are timed by counting), or would space this PID's PCRs too far apart.
   */
  private addAudioFrame(state: TrackState, track: TsAacTrack, pts90k: number, frame: Uint8Array): Uint8Array | undefined {
    const header = adtsHeader(track, frame.length);
    const frameBytes = header.length + frame.length;
    const frameTicks = (AAC_SAMPLES_PER_FRAME * SYSTEM_CLOCK_90KHZ) / (AAC_SAMPLING_FREQUENCIES[track.samplingFrequencyIndex] as number);
    let done: Uint8Array | undefined;
    const run = state.run;
    if (run !== undefined) {
      const tooBig = run.bytes + frameBytes > MAX_AUDIO_PES_PAYLOAD;
      const gap = Math.abs(pts90k - run.nextPts90k) > frameTicks / 2;
      // Keeping this frame would put the next PES (and PCR) at least a frame after it.
      const pcrDue = state.carriesPcr && pts90k + frameTicks - run.pts90k > MAX_PCR_INTERVAL_90K;
      if (tooBig || gap || pcrDue) done = this.flushRun(state);
    }
    const current = state.run ?? (state.run = { pts90k, nextPts90k: pts90k, pieces: [], bytes: 0 });
    current.pieces.push(header, frame);
    current.bytes += frameBytes;
    current.nextPts90k = pts90k + frameTicks;
    return done;
  }

  private flushRun(state: TrackState): Uint8Array | undefined {
    const run = state.run;
    if (run === undefined) return undefined;
    state.run = undefined;
    const pcr90k = state.carriesPcr ? run.pts90k : undefined;
    return this.emitPes(state, run.pieces, { pts90k: run.pts90k, dts90k: undefined, pcr90k, randomAccess: true });
  }

  private emitPes(
    state: TrackState,
    payload: readonly Uint8Array[],
    timing: { pts90k: number; dts90k: number | undefined; pcr90k: number | undefined; randomAccess: boolean },
  ): Uint8Array {
    const isVideo = state.track.codec !== 'AAC';
    const header = pesHeader({
      streamId: isVideo ? VIDEO_STREAM_ID : AUDIO_STREAM_ID,
      payloadLength: piecesLength(payload),
      pts90k: timing.pts90k,
      dts90k: timing.dts90k,
      isVideo,
    });
    const flags: AdaptationFlags = { pcr90k: state.carriesPcr ? timing.pcr90k : undefined, randomAccess: timing.randomAccess };
    const { packets, nextContinuityCounter } = packetizePayload(state.pid, state.continuityCounter, [header, ...payload], flags);
    state.continuityCounter = nextContinuityCounter;
    return packets;
  }
}

export interface TsSegmentInput {
  readonly tracks: readonly TsTrack[];
  /** In decode order across all tracks. */
  readonly samples: Iterable<TsSample>;
}

/** A whole segment: PAT and PMT, then every sample; the chunks concatenated are the .ts file. */
export function muxTsSegment(input: TsSegmentInput, options: TsMuxerOptions = {}): Uint8Array[] {
  const muxer = new TsMuxer(input.tracks, options);
  const chunks: Uint8Array[] = [muxer.programTables()];
  for (const sample of input.samples) {
    const packets = muxer.writeSample(sample);
    if (packets !== undefined) chunks.push(packets);
  }
  chunks.push(...muxer.flush());
  return chunks;
}

function streamTypeOf(codec: TsCodec): number {
  return codec === 'H264' ? StreamType.H264 : codec === 'H265' ? StreamType.H265 : StreamType.AacAdts;
}

function checkTrack(track: TsTrack): void {
  if (!(track.timescale > 0) || !Number.isFinite(track.timescale)) throw new RangeError(`track ${track.trackNumber}: timescale ${track.timescale}`);
  if (track.codec === 'AAC') checkAdtsConfig(track);
  else if (![1, 2, 4].includes(track.nalLengthSize)) throw new RangeError(`track ${track.trackNumber}: NAL length size ${track.nalLengthSize}`);
}
