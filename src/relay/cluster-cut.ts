/**
 * Cuts a Cluster at every video key frame, so that each fragment is exactly one GOP. ffmpeg's
 * Matroska muxer starts a Cluster at a key frame only when the current one holds more than 4 KB
 * (libavformat/matroskaenc.c), so a small GOP (a still scene, a low-resolution stream, a camera
 * that inserts an IDR when a client joins) would share a fragment with the next one. Blocks are
 * copied as they are; only their 16-bit timecodes, relative to their Cluster, are rewritten.
 */
import { MatroskaId } from '../formats/matroska/ids.js';
import { readVintSize, readVintValue, vintWidth } from '../formats/matroska/vint.js';
import { concatBytes } from '../formats/bytes/read.js';
import { elementHeader, uintElement } from '../formats/matroska/writer.js';

export interface CutCluster {
  readonly bytes: Uint8Array;
  /** Cluster Timestamp in ticks. */
  readonly timecode: number;
  /** Largest block timecode in the Cluster (ticks, relative). */
  readonly maxBlockTc: number;
  /** The first video block's timecode (ticks, relative): an audio block may open the Cluster. */
  readonly videoStartTc: number;
  readonly frames: number;
  readonly videoFrames: number;
  readonly startsWithKey: boolean;
  /** The first video frame's data when it is an unlaced key frame (its in-band parameter sets: key-frame.ts). */
  readonly keyFrame: Uint8Array | undefined;
}

interface Block {
  /** The whole SimpleBlock or BlockGroup element. */
  readonly bytes: Uint8Array;
  readonly track: number;
  /** Absolute, in ticks. */
  readonly time: number;
  readonly key: boolean;
  /** Where the 16-bit relative timecode sits inside `bytes`. */
  readonly tcAt: number;
  /** A SimpleBlock without lacing (whose payload can be joined with another's). */
  readonly plain: boolean;
  /** Without lacing: the frame is everything after the flags byte. */
  readonly unlaced: boolean;
}

/**
 * The Cluster's blocks regrouped into Clusters that each open at a video key frame; without its
 * last video frame when `dropLastVideoFrame` (a picture ffmpeg was still reading when it was stopped).
 */
export function cutAtKeyFrames(
  cluster: Uint8Array,
  videoTrack: number | undefined,
  ticksPerMs = 1,
  dropLastVideoFrame = false,
  /** A key frame's data rewritten (key-frame.ts tidyKeyFrame), or undefined to keep it. */
  tidyKeyFrame: (frame: Uint8Array) => Uint8Array | undefined = () => undefined,
): CutCluster[] {
  const sizeWidth = vintWidth(cluster[4]!);
  const size = readVintSize(cluster, 4, sizeWidth);
  const end = size < 0 ? cluster.length : 4 + sizeWidth + size;
  let timecode = 0;
  const blocks: Block[] = [];
  for (let at = 4 + sizeWidth; at < end; ) {
    const idW = vintWidth(cluster[at]!);
    let id = 0;
    for (let i = 0; i < idW; i++) id = id * 256 + cluster[at + i]!;
    const sW = vintWidth(cluster[at + idW]!);
    const len = readVintSize(cluster, at + idW, sW);
    const dataAt = at + idW + sW;
    const next = len < 0 ? end : dataAt + len;
    if (id === MatroskaId.Timestamp) {
      timecode = 0;
      for (let i = dataAt; i < next; i++) timecode = timecode * 256 + cluster[i]!;
    } else if (id === MatroskaId.SimpleBlock) {
      blocks.push(block(cluster.subarray(at, next), dataAt - at, true, timecode));
    } else if (id === MatroskaId.BlockGroup) {
      const b = blockGroup(cluster.subarray(at, next), dataAt - at, timecode);
      if (b) blocks.push(b);
    }
    at = next;
  }
  const out: CutCluster[] = [];
  let group: Block[] = [];
  const read = blocks.length;
  mergeSameTime(blocks, videoTrack, KEY_MERGE_MS * ticksPerMs);
  let rewritten = blocks.length !== read;
  for (const [i, b] of blocks.entries()) {
    if (b.track !== videoTrack || !b.key || !b.plain) continue;
    const tidy = tidyKeyFrame(b.bytes.subarray(b.tcAt + 3));
    if (tidy) {
      blocks[i] = withFrame(b, tidy);
      rewritten = true;
    }
  }
  if (dropLastVideoFrame) {
    const last = blocks.findLastIndex((b) => b.track === videoTrack);
    if (last >= 0) {
      blocks.splice(last, 1);
      rewritten = true;
    }
  }
  // The usual Cluster (one GOP, nothing merged, tidied or dropped, timed from its first block)
  // stays as ffmpeg wrote it: rebuilding it would copy the whole GOP twice more, and such copies'
  // garbage collection was most of the relay process's CPU (bench/README.md, relay.js).
  if (!rewritten && end === cluster.length && oneGop(blocks, videoTrack) && blocks[0]?.time === timecode) {
    return [{ ...summary(blocks, videoTrack), bytes: cluster }];
  }
  const flush = () => {
    if (group.length > 0) out.push(build(group, videoTrack));
    group = [];
  };
  for (const b of blocks) {
    // A GOP is its key frame(s) then the frames that depend on them; consecutive key frames stay
    // together (ffmpeg's RTP depacketizer gives parameter sets and the IDR picture as two key
    // packets at the same time, which must not become a fragment of their own).
    if (b.track === videoTrack && b.key && group.some((g) => g.track === videoTrack && !g.key)) flush();
    group.push(b);
  }
  flush();
  return out;
}

/** Key packets closer than this are one access unit (no camera sends 50 key frames a second). */
const KEY_MERGE_MS = 20;

/**
 * Joins consecutive video SimpleBlocks with the same time, or key ones less than KEY_MERGE_MS
 * apart, into one: ffmpeg's RTP depacketizer can hand over an access unit's parameter sets and
 * its picture as two packets (same timestamp, or 5 ms apart when a connection starts), and a
 * frame per block is what KVS and every player expect (two would be two frames with one decode
 * time). Both payloads are length-prefixed NAL units, so they concatenate.
 */
function mergeSameTime(blocks: Block[], videoTrack: number | undefined, keyMergeTicks: number): void {
  for (let i = blocks.length - 1; i > 0; i--) {
    const b = blocks[i]!;
    if (b.track !== videoTrack) continue;
    // The previous video block, past any audio interleaved between the two.
    let j = i - 1;
    while (j >= 0 && blocks[j]!.track !== videoTrack) j--;
    if (j < 0) continue;
    const a = blocks[j]!;
    if (!a.plain || !b.plain) continue;
    if (a.time !== b.time && !(a.key && b.key && b.time > a.time && b.time - a.time < keyMergeTicks)) continue;
    blocks.splice(i, 1);
    blocks[j] = withFrame(a, concatBytes([a.bytes.subarray(a.tcAt + 3), b.bytes.subarray(b.tcAt + 3)]), b.key);
  }
}

/** A plain SimpleBlock with its frame data replaced (key if it was, or if `key`). */
function withFrame(a: Block, frame: Uint8Array, key = false): Block {
  const trackVint = a.bytes.subarray(blockDataStart(a), a.tcAt);
  const flags = a.bytes[a.tcAt + 2]! | (key ? 0x80 : 0);
  const data = concatBytes([trackVint, a.bytes.subarray(a.tcAt, a.tcAt + 2), Uint8Array.of(flags), frame]);
  const element = concatBytes([elementHeader(MatroskaId.SimpleBlock, data.length), data]);
  const headerLen = element.length - data.length;
  return { bytes: element, track: a.track, time: a.time, key: a.key || key, tcAt: headerLen + trackVint.length, plain: true, unlaced: true };
}

/** Offset of a SimpleBlock's data (its track number) inside the element. */
function blockDataStart(b: Block): number {
  return 1 + vintWidth(b.bytes[1]!);
}

function block(bytes: Uint8Array, dataAt: number, simple: boolean, clusterTc: number, keyOverride?: boolean): Block {
  const trackW = vintWidth(bytes[dataAt]!);
  const track = readVintValue(bytes, dataAt, trackW);
  const tcAt = dataAt + trackW;
  const rel = ((bytes[tcAt]! << 8) | bytes[tcAt + 1]!) << 16 >> 16;
  const flags = bytes[tcAt + 2]!;
  const unlaced = (flags & 0x06) === 0;
  return { bytes, track, time: clusterTc + rel, key: keyOverride ?? (simple && (flags & 0x80) !== 0), tcAt, plain: simple && unlaced, unlaced };
}

/** A BlockGroup: key when it has no ReferenceBlock. */
function blockGroup(bytes: Uint8Array, dataAt: number, clusterTc: number): Block | undefined {
  let found: { at: number } | undefined;
  let referenced = false;
  for (let at = dataAt; at < bytes.length; ) {
    const idW = vintWidth(bytes[at]!);
    let id = 0;
    for (let i = 0; i < idW; i++) id = id * 256 + bytes[at + i]!;
    const sW = vintWidth(bytes[at + idW]!);
    const len = readVintSize(bytes, at + idW, sW);
    if (id === MatroskaId.Block) found = { at: at + idW + sW };
    if (id === MatroskaId.ReferenceBlock) referenced = true;
    at = at + idW + sW + len;
  }
  return found ? block(bytes, found.at, false, clusterTc, !referenced) : undefined;
}

/** No video key frame after a non-key one: the blocks are one GOP (or its start). */
function oneGop(blocks: readonly Block[], videoTrack: number | undefined): boolean {
  let sawDelta = false;
  for (const b of blocks) {
    if (b.track !== videoTrack) continue;
    if (b.key && sawDelta) return false;
    if (!b.key) sawDelta = true;
  }
  return true;
}

/** What a Cluster of these blocks, timed from the first one, holds. */
function summary(group: readonly Block[], videoTrack: number | undefined): Omit<CutCluster, 'bytes'> {
  const base = group[0]!.time;
  let maxBlockTc = 0;
  for (const b of group) if (b.time - base > maxBlockTc) maxBlockTc = b.time - base;
  const firstVideo = group.find((b) => b.track === videoTrack);
  return {
    timecode: base,
    maxBlockTc,
    videoStartTc: firstVideo ? firstVideo.time - base : 0,
    frames: group.length,
    videoFrames: group.filter((b) => b.track === videoTrack).length,
    startsWithKey: firstVideo ? firstVideo.key : videoTrack === undefined,
    keyFrame: firstVideo?.key && firstVideo.unlaced ? firstVideo.bytes.subarray(firstVideo.tcAt + 3) : undefined,
  };
}

function build(group: Block[], videoTrack: number | undefined): CutCluster {
  const base = group[0]!.time;
  const parts: Uint8Array[] = [uintElement(MatroskaId.Timestamp, base)];
  for (const b of group) {
    const rel = b.time - base;
    const copy = b.bytes.slice();
    copy[b.tcAt] = (rel >> 8) & 0xff;
    copy[b.tcAt + 1] = rel & 0xff;
    parts.push(copy);
  }
  const body = concatBytes(parts);
  return { ...summary(group, videoTrack), bytes: concatBytes([elementHeader(MatroskaId.Cluster, body.length), body]) };
}
