import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { findTool } from './process.js';

/**
 * The Matroska structure of a file as mkvtoolnix's `mkvinfo` sees it: an independent parser, so
 * tests judge our ingest with someone else's reading of the bytes, not with our own.
 */
export const MKVINFO = findTool(['mkvinfo']);

export interface MkvinfoFrame {
  readonly track: number;
  readonly key: boolean;
  /** Absolute block timestamp in ns (all laces of a block share it). */
  readonly timestampNs: number;
  /** Absolute file position and size of the frame payload. */
  readonly at: number;
  readonly size: number;
}

export interface MkvinfoCluster {
  /** File position of the Cluster's ID and its size including the header. */
  readonly at: number;
  readonly size: number;
  readonly timestampNs: number;
  readonly frames: MkvinfoFrame[];
}

export function mkvinfoClusters(file: string): MkvinfoCluster[] {
  const out = execFileSync(MKVINFO!, ['-v', '-z', '-P', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const clusters: MkvinfoCluster[] = [];
  let block: { track: number; key: boolean; timestampNs: number } | undefined;
  // An unknown-size cluster ends where the next level-1 element starts (or the file ends).
  let unsized: { at: number; size: number } | undefined;
  const closeUnsized = (end: number) => {
    if (unsized) unsized.size = end - unsized.at;
    unsized = undefined;
  };
  for (const line of out.split('\n')) {
    const levelOne = /^\|\+ .* at (\d+)/.exec(line);
    if (levelOne) closeUnsized(Number(levelOne[1]));
    const cluster = /^\|\+ Cluster at (\d+) size (\d+|is unknown)/.exec(line);
    if (cluster) {
      const entry = { at: Number(cluster[1]), size: Number(cluster[2]), timestampNs: 0, frames: [] };
      if (cluster[2] === 'is unknown') unsized = entry;
      clusters.push(entry);
      continue;
    }
    const current = clusters[clusters.length - 1];
    if (!current) continue;
    const timestamp = /Cluster timestamp: ([\d:.]+)/.exec(line);
    if (timestamp) {
      (current as { timestampNs: number }).timestampNs = parseDuration(timestamp[1]!);
      continue;
    }
    const blockLine = /\+ (?:Simple block|Block): (key, )?track number (\d+), \d+ frame\(s\), timestamp ([\d:.]+)/.exec(line);
    if (blockLine) {
      block = { track: Number(blockLine[2]), key: blockLine[1] !== undefined, timestampNs: parseDuration(blockLine[3]!) };
      continue;
    }
    const frame = /\+ Frame at (\d+) size (\d+)/.exec(line);
    if (frame && block) current.frames.push({ ...block, at: Number(frame[1]), size: Number(frame[2]) });
  }
  closeUnsized(statSync(file).size);
  return clusters;
}

/** "HH:MM:SS.nnnnnnnnn" → ns. */
function parseDuration(text: string): number {
  const [h, m, s] = text.split(':');
  const [whole, fraction = ''] = s!.split('.');
  return ((Number(h) * 60 + Number(m)) * 60 + Number(whole)) * 1e9 + Number(fraction.padEnd(9, '0').slice(0, 9));
}
