/**
 * Test helpers: a Matroska file as the archive would hold it (track header bytes, fragments with
 * a frame index), built with the ingest's parser the way PutMedia indexes frames; an MP4 written
 * from a plan; and ffmpeg/ffprobe as the judge of the result.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MkvEvent } from '../../../../src/formats/matroska/events.js';
import { MkvParser } from '../../../../src/formats/matroska/parser.js';
import type { IndexedFragment, IndexedFrame } from '../../../../src/formats/isobmff/fragment-samples.js';
import { REPO_ROOT } from '../../../helpers/process.js';

export const FFMPEG = '/usr/bin/ffmpeg';
export const FFPROBE = '/usr/bin/ffprobe';
export const skipWithoutFfmpeg = !existsSync(FFMPEG) || !existsSync(FFPROBE) ? 'ffmpeg/ffprobe not installed' : false;

export function fixturePath(name: string): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', name);
}

export interface ArchivedFile {
  /** Info + Tracks elements, as the ingest stores them. */
  readonly header: Uint8Array;
  readonly timecodeScaleNs: number;
  /** One per Cluster; frame offsets are positions in the whole file. */
  readonly fragments: IndexedFragment[];
}

/** Parses `bytes` and indexes its frames as the ingest does (laced frames spread by DefaultDuration). */
export function archive(bytes: Uint8Array): ArchivedFile {
  const events: MkvEvent[] = [];
  const parser = new MkvParser();
  parser.push(bytes, events);
  parser.end(events);
  let info: Uint8Array = new Uint8Array(0);
  let tracks: Uint8Array = new Uint8Array(0);
  let timecodeScaleNs = 1_000_000;
  const defaultTicks = new Map<number, number | undefined>();
  const fragments: { producerTimestampMs: number; frames: IndexedFrame[] }[] = [];
  for (const e of events) {
    if (e.kind === 'info') {
      info = e.bytes;
      timecodeScaleNs = e.timecodeScaleNs;
    } else if (e.kind === 'tracks') {
      tracks = e.bytes;
      for (const t of e.tracks) defaultTicks.set(t.number, t.defaultDurationNs === undefined ? undefined : Math.round(t.defaultDurationNs / timecodeScaleNs));
    } else if (e.kind === 'cluster-start') fragments.push({ producerTimestampMs: 0, frames: [] });
    else if (e.kind === 'cluster-timecode') fragments[fragments.length - 1]!.producerTimestampMs = Math.round((e.timecode * timecodeScaleNs) / 1e6);
    else if (e.kind === 'frame') {
      const ticks = defaultTicks.get(e.track);
      fragments[fragments.length - 1]!.frames.push({
        track: e.track,
        timecode: e.timecode + e.laceIndex * (ticks ?? 0),
        duration: e.duration ?? ticks ?? 0,
        key: e.key,
        offset: e.offset,
        size: e.size,
      });
    }
  }
  const header = new Uint8Array(info.length + tracks.length);
  header.set(info, 0);
  header.set(tracks, info.length);
  return { header, timecodeScaleNs, fragments };
}

/** header + every payload range (offsets into `source`), as GetClip streams them. */
export function assemble(header: Uint8Array, payloadRanges: readonly Uint32Array[], source: Uint8Array): Buffer {
  const parts: Uint8Array[] = [header];
  for (const ranges of payloadRanges) for (let i = 0; i < ranges.length; i += 2) parts.push(source.subarray(ranges[i]!, ranges[i]! + ranges[i + 1]!));
  return Buffer.concat(parts);
}

export interface Packet {
  /** Seconds. */
  readonly pts: number;
  readonly size: number;
  readonly md5: string;
}

/** ffmpeg's per-packet MD5 of one stream kind, copied without decoding; times in seconds. */
export function framemd5(file: string, stream: 'v' | 'a'): Packet[] {
  const out = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', `0:${stream}`, '-c', 'copy', '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const timeBase = /#tb 0: (\d+)\/(\d+)/.exec(out);
  if (!timeBase) throw new Error(`no time base in framemd5 output of ${file}`);
  const seconds = Number(timeBase[1]) / Number(timeBase[2]);
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, , pts, , size, md5] = line.split(',').map((f) => f.trim());
      return { pts: Number(pts) * seconds, size: Number(size), md5: md5! };
    });
}

/** MD5 of the decoded PCM of the audio stream (for codecs whose packetisation may differ). */
export function decodedAudioMd5(file: string): string {
  return execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:a', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
}

/** Decodes every stream; returns what ffmpeg printed at level error (empty: a clean decode). */
export function decodeErrors(file: string): string {
  const run = spawnSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  if (run.status !== 0) return `ffmpeg exited with ${run.status}: ${run.stderr}`;
  return run.stderr.trim();
}

export interface ProbedStream {
  codec_name: string;
  codec_tag_string: string;
  codec_type: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
}

export function probe(file: string): { streams: ProbedStream[]; format: { duration: string; format_name: string; start_time: string } } {
  const json = execFileSync(FFPROBE, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(json) as { streams: ProbedStream[]; format: { duration: string; format_name: string; start_time: string } };
}
