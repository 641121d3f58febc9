/**
 * Parse speed of MkvParser on a synthetic PutMedia-like body: ~100 MB, unknown-size Segment and
 * Clusters (one per second of 30 fps video), 30 KB SimpleBlocks, a Tags element after each
 * Cluster. Prints MB/s (median of several runs) for a few chunk sizes.
 *
 * A second body of 500 B frames shows the per-frame cost, which 30 KB frames hide.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/mkv-parse.js
 */
import { concatBytes } from '../src/formats/bytes/read.js';
import type { MkvEvent } from '../src/formats/matroska/events.js';
import { MatroskaId as Id } from '../src/formats/matroska/ids.js';
import { MkvParser } from '../src/formats/matroska/parser.js';
import {
  blockData,
  ebmlHeaderElement,
  element,
  elementHeader,
  stringElement,
  uintElement,
} from '../src/formats/matroska/writer.js';

const TARGET_BYTES = 100 * 1024 * 1024;
const FRAMES_PER_CLUSTER = 30;
const RUNS = 7;

function buildBody(frameBytes: number): Uint8Array {
  const payload = new Uint8Array(frameBytes).map((_, i) => (i * 31) & 0xff);
  const parts: Uint8Array[] = [ebmlHeaderElement(), elementHeader(Id.Segment, undefined)];
  parts.push(element(Id.Info, [uintElement(Id.TimestampScale, 1_000_000), stringElement(Id.MuxingApp, 'bench')]));
  parts.push(
    element(Id.Tracks, [
      element(Id.TrackEntry, [
        uintElement(Id.TrackNumber, 1),
        uintElement(Id.TrackType, 1),
        stringElement(Id.CodecID, 'V_MPEG4/ISO/AVC'),
        element(Id.Video, [uintElement(Id.PixelWidth, 1280), uintElement(Id.PixelHeight, 720)]),
      ]),
    ]),
  );
  const tags = element(Id.Tags, [element(Id.Tag, [element(Id.SimpleTag, [stringElement(Id.TagName, 'bench'), stringElement(Id.TagString, 'x')])])]);
  let size = 0;
  for (let cluster = 0; size < TARGET_BYTES; cluster++) {
    parts.push(elementHeader(Id.Cluster, undefined), uintElement(Id.Timestamp, cluster * 1000));
    for (let f = 0; f < FRAMES_PER_CLUSTER; f++) {
      const data = blockData({ track: 1, timecode: f * 33, key: f === 0, frames: [payload] });
      parts.push(element(Id.SimpleBlock, data));
      size += data.length;
    }
    parts.push(tags);
  }
  return concatBytes(parts);
}

function run(body: Uint8Array, chunkBytes: number): { seconds: number; frames: number } {
  const parser = new MkvParser();
  let frames = 0;
  const events: MkvEvent[] = [];
  const start = process.hrtime.bigint();
  for (let at = 0; at < body.length; at += chunkBytes) {
    events.length = 0;
    parser.push(body.subarray(at, at + chunkBytes), events);
    for (const e of events) if (e.kind === 'frame') frames++;
  }
  parser.end();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, frames };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

for (const frameBytes of [30 * 1024, 500]) {
  const body = buildBody(frameBytes);
  const megabytes = body.length / 1e6;
  console.log(`body: ${megabytes.toFixed(1)} MB of ${frameBytes} B frames, median of ${RUNS} runs`);
  for (const chunkBytes of [1024, 16 * 1024, 64 * 1024, 1024 * 1024]) {
    run(body, chunkBytes); // warm-up
    const rates: number[] = [];
    let frames = 0;
    for (let r = 0; r < RUNS; r++) {
      const result = run(body, chunkBytes);
      rates.push(megabytes / result.seconds);
      frames = result.frames;
    }
    console.log(`  chunks of ${String(chunkBytes).padStart(7)} B: ${median(rates).toFixed(0).padStart(6)} MB/s (${frames} frames)`);
  }
}
