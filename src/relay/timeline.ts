/**
 * Source clock → ABSOLUTE producer timestamps (epoch ms). ffmpeg hands over a Cluster only when
 * the next key frame arrives, so a Cluster's start happened about its duration before it reached
 * us: each Cluster gives an estimate of the offset between the source clock and wall time
 * (arrival − duration − source time). Late arrivals only make that estimate too large (ffmpeg
 * probing a new connection releases its first GOPs in a burst, a busy machine delays a pipe), so
 * the wall clock's view is the smallest estimate of the last WINDOW Clusters. A run's first
 * Clusters wait until one arrives at its own pace (the burst is over) before any is mapped (at
 * most HOLD of them).
 *
 * Within a run, fragments follow the source clock exactly (each starts where the source says,
 * relative to the previous one), so frames stay evenly spaced across fragment boundaries; the
 * wall clock only steps in when the two disagree by more than DEAD_BAND_MS (a camera clock that
 * drifts, a changed network delay). Behind it, the next fragment jumps to it (a gap, which every
 * player takes); ahead of it, the next fragment is pulled back to within half the band, but
 * never before the previous fragment's last frame (KVS's 4004 rule). Pulling back on every
 * new smallest estimate instead (jitter of a few ms to tens of ms) put two frames closer than a
 * frame apart at many boundaries, which players at a constant frame rate see as two frames in
 * one slot (ffmpeg: "non monotonically increasing dts"). The Clusters a run's start-up burst
 * releases are all mapped by one offset, the one the paced Cluster that released them gives: the
 * burst's own estimates are too large, and judging the released Clusters by them jumped the
 * second one forward and pulled the third back (two frames 45 ms apart at 15 fps).
 *
 * Across runs and sessions timestamps never go back: a new run starts after the previous
 * fragment's end. A fragment placed by the wall clock rather than the source (a run's first, a
 * jump forward) is moved by at most half a frame so that its video frames continue the frame
 * grid of the fragments before it. Off that grid by about half a frame, millisecond timecodes
 * (66 or 67 ms apart at 15 fps) fall on both sides of a player's constant-rate ticks, and pairs
 * of frames share one (ffmpeg reading the HLS across a reconnect: "non monotonically
 * increasing dts", for the whole new run).
 */
import { MatroskaId } from '../formats/matroska/ids.js';
import { readVintSize, vintWidth } from '../formats/matroska/vint.js';
import { elementHeader, uintElement } from '../formats/matroska/writer.js';

/** Most Clusters held while a run's start-up burst lasts. */
export const HOLD = 8;
export const WINDOW = 10;
/** How far the source clock may stray from the wall clock before the wall clock wins (the budget is 100 ms). */
export const DEAD_BAND_MS = 50;

export interface Timed {
  readonly sourceMs: number;
  readonly durationMs: number;
  readonly lastFrameMs: number;
  /** The first video frame's time from the start (0 when it opens the fragment). */
  readonly videoStartMs?: number;
  /** The video's nominal frame interval, when the source declares one: what the frame grid is made of. */
  readonly frameMs?: number | undefined;
}

export class Timeline<T extends Timed> {
  private estimates: number[] = [];
  private held: Array<{ item: T; arrivedMs: number }> = [];
  /** Earliest start for the next fragment of this run: just after the last one's last frame. */
  private lastEndMs = 0;
  /** Where the last fragment handed out ends, its last frame's duration included. */
  private lastFullEndMs = 0;
  /** The last fragment of this run placed: its source time and where it was put. */
  private previous: { sourceMs: number; startMs: number } | undefined;
  /** The last fragment placed (of any run): where its first video frame is, and the frame interval. */
  private grid: { videoMs: number; frameMs: number } | undefined;

  /** A new ffmpeg run: its clock starts wherever it likes. Returns what was still held. */
  newRun(): Array<{ item: T; startMs: number }> {
    const out = this.flush();
    this.estimates = [];
    this.previous = undefined;
    // A new run has no timing relation to the last one: its first fragment starts after the
    // previous one's end, not within its last frame's duration.
    this.lastEndMs = this.lastFullEndMs;
    return out;
  }

  /** A Cluster that arrived at `arrivedMs`; returns the Clusters that can now be timestamped. */
  add(item: T, arrivedMs: number): Array<{ item: T; startMs: number }> {
    this.estimates.push(arrivedMs - item.durationMs - item.sourceMs);
    if (this.estimates.length > WINDOW) this.estimates.shift();
    const previous = this.held.at(-1);
    this.held.push({ item, arrivedMs });
    if (this.estimates.length > this.held.length) return this.flush(); // live: nothing held
    // Still in the start-up burst while Clusters come faster than their media lasts: the first
    // one arriving at its own pace gives an honest estimate, and releases the others with it.
    const paced = previous !== undefined && arrivedMs - previous.arrivedMs >= item.durationMs / 2;
    return paced || this.held.length >= HOLD ? this.flush() : [];
  }

  /** Maps everything held (the end of a run). */
  flush(): Array<{ item: T; startMs: number }> {
    const offset = Math.min(...this.estimates);
    // Whether the source clock has strayed is judged without the newest estimate: the Cluster
    // ffmpeg writes when its input ends (a file, a pipe) arrives a frame before it ends, not at
    // the next key frame, and must not pull the run's last fragment back. Not at all among the
    // Clusters a run's start releases: they follow its first one, placed by `offset`.
    const settled = this.previous === undefined ? undefined : this.estimates.length > 1 ? Math.min(...this.estimates.slice(0, -1)) : offset;
    const out = this.held.map(({ item }) => ({ item, startMs: this.place(item, offset, settled) }));
    this.held = [];
    return out;
  }

  private place(item: T, offset: number, settled: number | undefined): number {
    let start: number;
    if (!this.previous) {
      start = this.onGrid(item, Math.round(item.sourceMs + offset));
    } else {
      const source = this.previous.startMs + Math.round(item.sourceMs - this.previous.sourceMs);
      const wall = settled === undefined ? source : Math.round(item.sourceMs + settled);
      const ahead = source - wall;
      start = ahead > DEAD_BAND_MS ? wall + DEAD_BAND_MS / 2 : ahead < -DEAD_BAND_MS ? this.onGrid(item, wall) : source;
    }
    if (start < this.lastEndMs) start = this.lastEndMs;
    this.previous = { sourceMs: item.sourceMs, startMs: start };
    this.lastEndMs = start + Math.floor(item.lastFrameMs) + 1;
    this.lastFullEndMs = start + Math.ceil(item.durationMs);
    this.grid = item.frameMs ? { videoMs: start + (item.videoStartMs ?? 0), frameMs: item.frameMs } : undefined;
    return start;
  }

  /**
   * `start` moved to where the item's first video frame falls on the frame grid of the last
   * fragment placed, the nearest such place not before `lastEndMs`. Only for frame intervals
   * up to twice the dead band, so that the move (at most half a frame) stays within it.
   */
  private onGrid(item: T, start: number): number {
    const grid = this.grid;
    if (!grid || grid.frameMs > 2 * DEAD_BAND_MS) return start;
    const videoStart = item.videoStartMs ?? 0;
    const at = (n: number) => Math.round(grid.videoMs + n * grid.frameMs - videoStart);
    let n = Math.round((start + videoStart - grid.videoMs) / grid.frameMs);
    if (at(n) < this.lastEndMs) n = Math.ceil((this.lastEndMs + videoStart - grid.videoMs) / grid.frameMs);
    while (at(n) < this.lastEndMs) n++;
    return at(n);
  }
}

/**
 * The Cluster with its Timestamp replaced by `timestampMs` (in the stream's TimecodeScale ticks),
 * other children unchanged: block timecodes are relative to the Cluster, so they stay valid.
 * `tail` (the fragment's Tags) follows the Cluster. One copy of the media: this runs for every
 * fragment of every relay.
 */
export function rewriteClusterTimestamp(cluster: Uint8Array, timestampTicks: number, tail?: Uint8Array): Uint8Array {
  const idWidth = 4; // Cluster's ID is 4 octets
  const sizeWidth = vintWidth(cluster[idWidth]!);
  const timestamp = uintElement(MatroskaId.Timestamp, timestampTicks);
  const children: Array<[number, number]> = [];
  let bodyLength = timestamp.length;
  for (let at = idWidth + sizeWidth; at < cluster.length; ) {
    const idW = vintWidth(cluster[at]!);
    const id = readId(cluster, at, idW);
    const sW = vintWidth(cluster[at + idW]!);
    const size = readVintSize(cluster, at + idW, sW);
    const end = size < 0 ? cluster.length : at + idW + sW + size;
    if (id !== MatroskaId.Timestamp) {
      children.push([at, end]);
      bodyLength += end - at;
    }
    at = end;
  }
  const header = elementHeader(MatroskaId.Cluster, bodyLength);
  const out = new Uint8Array(header.length + bodyLength + (tail?.length ?? 0));
  out.set(header, 0);
  out.set(timestamp, header.length);
  let at = header.length + timestamp.length;
  for (const [from, to] of children) {
    out.set(cluster.subarray(from, to), at);
    at += to - from;
  }
  if (tail) out.set(tail, at);
  return out;
}

function readId(bytes: Uint8Array, at: number, width: number): number {
  let id = 0;
  for (let i = 0; i < width; i++) id = id * 256 + bytes[at + i]!;
  return id;
}
