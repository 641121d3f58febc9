/**
 * Test helper: encode a short clip with ffmpeg into Matroska, then hand back the track's
 * CodecPrivate (read by the ingest's Matroska parser) next to what ffprobe says of the stream,
 * so codec parsers are judged by ffmpeg, not by themselves.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeTrackHeader, type TrackDescription } from '../../../../src/formats/codecs/track-info.js';
import { FFMPEG, archive, probe, type ProbedStream } from '../isobmff/mkv-source.js';

export interface EncodedTrack {
  readonly file: string;
  readonly track: TrackDescription;
  readonly codecPrivate: Uint8Array;
  readonly probed: ProbedStream & { level?: number; sample_aspect_ratio?: string; bits_per_raw_sample?: string; pix_fmt?: string };
}

/** Runs `ffmpeg -v error -y <args> <dir>/<name>.mkv` and describes its first track. */
export function encode(dir: string, name: string, args: readonly string[]): EncodedTrack {
  const file = path.join(dir, `${name}.mkv`);
  execFileSync(FFMPEG, ['-v', 'error', '-y', ...args, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const archived = archive(new Uint8Array(readFileSync(file)));
  const track = describeTrackHeader(archived.header).tracks[0];
  if (!track?.codecPrivate) throw new Error(`${name}: no codec private data`);
  return { file, track, codecPrivate: track.codecPrivate, probed: probe(file).streams[0] as EncodedTrack['probed'] };
}

/** ffmpeg inputs: a test pattern of the given size and rate, and a sine tone. */
export const video = (size: string, rate = '25'): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`, '-frames:v', '3'];
export const audio = (rate: number, channels: number): string[] => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`, '-t', '0.3', '-ac', String(channels)];
