/**
 * Test helper: a Matroska fixture as the inputs the TS muxer takes. Frames come from our
 * Matroska parser; the avcC / hvcC / AudioSpecificConfig readers here are deliberately minimal
 * and local (the real codec parsers live elsewhere), enough for the committed fixtures.
 * Spec: ISO/IEC 14496-15 §5.3.3.1 (avcC), §8.3.3.1 (hvcC); ISO/IEC 14496-3 §1.6.2.1 (ASC).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrackInfo } from '../../../../src/formats/matroska/events.js';
import { MkvParser } from '../../../../src/formats/matroska/parser.js';
import type { TsSample, TsTrack } from '../../../../src/formats/mpeg-ts/muxer.js';
import { REPO_ROOT } from '../../../helpers/process.js';

export interface FixtureMedia {
  readonly bytes: Uint8Array;
  readonly tracks: TsTrack[];
  /** Decode order, as stored; pts from the blocks, dts derived (Matroska stores only pts). */
  readonly samples: TsSample[];
}

export function fixturePath(name: string): string {
  return path.join(REPO_ROOT, 'test/fixtures', name);
}

export function loadFixture(name: string): FixtureMedia {
  const bytes = new Uint8Array(readFileSync(fixturePath(name)));
  const parser = new MkvParser();
  const events = parser.push(bytes);
  parser.end(events);
  let infos: readonly TrackInfo[] = [];
  let clusterTimecode = 0;
  const raw: Array<{ trackNumber: number; pts: number; key: boolean; payload: Uint8Array }> = [];
  for (const event of events) {
    if (event.kind === 'tracks') infos = event.tracks;
    else if (event.kind === 'cluster-timecode') clusterTimecode = event.timecode;
    else if (event.kind === 'frame') {
      raw.push({ trackNumber: event.track, pts: clusterTimecode + event.timecode, key: event.key, payload: bytes.subarray(event.offset, event.offset + event.size) });
    }
  }
  const tracks = infos.map(toTsTrack);
  const dtsOf = decodeTimes(raw);
  const samples = raw.map((frame, index) => ({ ...frame, dts: dtsOf[index] as number }));
  return { bytes, tracks, samples };
}

/**
 * Decode times for presentation-ordered-by-decode frames: per track, the sorted pts shifted back
 * by the largest reorder delay, so dts is increasing and never after pts.
 */
function decodeTimes(frames: ReadonlyArray<{ trackNumber: number; pts: number }>): number[] {
  const out = new Array<number>(frames.length);
  for (const track of new Set(frames.map((f) => f.trackNumber))) {
    const indexes = frames.flatMap((f, i) => (f.trackNumber === track ? [i] : []));
    const sorted = indexes.map((i) => (frames[i] as { pts: number }).pts).sort((a, b) => a - b);
    let shift = 0;
    indexes.forEach((i, k) => (shift = Math.max(shift, (sorted[k] as number) - (frames[i] as { pts: number }).pts)));
    indexes.forEach((i, k) => (out[i] = (sorted[k] as number) - shift));
  }
  return out;
}

function toTsTrack(info: TrackInfo): TsTrack {
  const codecPrivate = info.codecPrivate ?? new Uint8Array(0);
  if (info.codecId === 'V_MPEG4/ISO/AVC') return { codec: 'H264', trackNumber: info.number, timescale: 1000, ...avcConfig(codecPrivate) };
  if (info.codecId === 'V_MPEGH/ISO/HEVC') return { codec: 'H265', trackNumber: info.number, timescale: 1000, ...hevcConfig(codecPrivate) };
  if (info.codecId === 'A_AAC') return { codec: 'AAC', trackNumber: info.number, timescale: 1000, ...audioSpecificConfig(codecPrivate) };
  throw new Error(`fixture track codec ${info.codecId} is not one the TS tests use`);
}

/** avcC: lengthSizeMinusOne in byte 4; then SPS count (low 5 bits of byte 5), SPSs, PPS count, PPSs, each with a 16-bit length. */
export function avcConfig(record: Uint8Array): { nalLengthSize: number; parameterSets: Uint8Array[] } {
  const parameterSets: Uint8Array[] = [];
  let at = 5;
  for (const countMask of [0x1f, 0xff]) {
    const count = (record[at] as number) & countMask;
    at += 1;
    for (let k = 0; k < count; k++) {
      const length = ((record[at] as number) << 8) | (record[at + 1] as number);
      parameterSets.push(record.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
  }
  return { nalLengthSize: ((record[4] as number) & 0x03) + 1, parameterSets };
}

/** hvcC: lengthSizeMinusOne in byte 21; numOfArrays in byte 22; arrays of (type byte, 16-bit count, 16-bit-length NAL units). Keeps VPS, SPS, PPS. */
export function hevcConfig(record: Uint8Array): { nalLengthSize: number; parameterSets: Uint8Array[] } {
  const byType = new Map<number, Uint8Array[]>();
  let at = 23;
  for (let array = 0; array < (record[22] as number); array++) {
    const type = (record[at] as number) & 0x3f;
    const count = ((record[at + 1] as number) << 8) | (record[at + 2] as number);
    at += 3;
    for (let k = 0; k < count; k++) {
      const length = ((record[at] as number) << 8) | (record[at + 1] as number);
      const units = byType.get(type) ?? [];
      units.push(record.subarray(at + 2, at + 2 + length));
      byType.set(type, units);
      at += 2 + length;
    }
  }
  const parameterSets = [32, 33, 34].flatMap((type) => byType.get(type) ?? []);
  return { nalLengthSize: ((record[21] as number) & 0x03) + 1, parameterSets };
}

/** AudioSpecificConfig: audioObjectType (5 bits), samplingFrequencyIndex (4), channelConfiguration (4). */
export function audioSpecificConfig(asc: Uint8Array): { audioObjectType: number; samplingFrequencyIndex: number; channelConfiguration: number } {
  const bits = ((asc[0] as number) << 8) | (asc[1] as number);
  return { audioObjectType: bits >> 11, samplingFrequencyIndex: (bits >> 7) & 0x0f, channelConfiguration: (bits >> 3) & 0x0f };
}
