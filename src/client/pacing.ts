/**
 * Real-time pacing of a Matroska upload: each Cluster (one KVS fragment) is released when as much
 * wall time has passed since the first Cluster as its timecode says, so a recorded file arrives
 * the way a live camera would send it.
 *
 * The scanner reads only what pacing needs, forward, as the bytes pass: it enters Segment, Info
 * and Cluster, reads TimestampScale and each Cluster's Timecode, and skips every other element by
 * its size. It is no Matroska parser (that is src/formats/matroska); if it meets something it
 * cannot step over (e.g. an unknown-size element other than Segment and Cluster), it stops and
 * the rest of the upload goes out unpaced. Element ids: RFC 9559 section 5.1.
 */

const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMESTAMP_SCALE = 0x2ad7b1;
const CLUSTER = 0x1f43b675;
const TIMECODE = 0xe7;
/** Masters whose children the scanner walks through instead of skipping. */
const ENTERED = new Set([SEGMENT, INFO, CLUSTER]);
/** Unknown size is only legal on these (RFC 9559 section 6.2); the scanner steps into them anyway. */
const UNKNOWN_SIZE_OK = new Set([SEGMENT, CLUSTER]);

export type ScanEvent =
  /** `offset`: the Cluster's first byte (its id), counted from the start of the stream. */
  | { readonly kind: 'cluster'; readonly offset: number }
  /** `offset`: the first byte after the Timecode element. `timecode` is in TimestampScale ticks. */
  | { readonly kind: 'cluster-timecode'; readonly offset: number; readonly timecode: number }
  | { readonly kind: 'timestamp-scale'; readonly offset: number; readonly scaleNs: number };

interface ElementHeader {
  id: number;
  headerLength: number;
  /** undefined: unknown size. */
  size: number | undefined;
}

/** Feed it the stream chunk by chunk; it reports where Clusters start and their timecodes. */
export class ClusterTimecodeScanner {
  /** Bytes of an element header (or a small value) cut by a chunk boundary. */
  private carry = new Uint8Array(0);
  /** Stream offset of the next byte push() will receive. */
  private received = 0;
  /** Bytes of the current element's data still to step over. */
  private skipRemaining = 0;
  private stopped = false;

  push(chunk: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    const data = this.carry.length > 0 ? concat(this.carry, chunk) : chunk;
    const dataOffset = this.received - this.carry.length;
    this.received += chunk.length;
    this.carry = new Uint8Array(0);
    let pos = Math.min(this.skipRemaining, data.length);
    this.skipRemaining -= pos;
    while (!this.stopped && pos < data.length) {
      const header = readHeader(data, pos);
      if (header === 'invalid') {
        this.stopped = true;
      } else if (header === 'incomplete' || !this.valueComplete(data, pos, header)) {
        this.carry = data.slice(pos);
        break;
      } else {
        pos = this.step(data, pos, header, dataOffset, events);
      }
    }
    return events;
  }

  /** True once the scanner gave up on the stream. */
  get gaveUp(): boolean {
    return this.stopped;
  }

  /** Handles one element whose header starts at pos; returns where scanning continues. */
  private step(data: Uint8Array, pos: number, header: ElementHeader, dataOffset: number, events: ScanEvent[]): number {
    const dataStart = pos + header.headerLength;
    if (ENTERED.has(header.id) && (header.size !== undefined || UNKNOWN_SIZE_OK.has(header.id))) {
      if (header.id === CLUSTER) events.push({ kind: 'cluster', offset: dataOffset + pos });
      return dataStart;
    }
    if (header.size === undefined) {
      this.stopped = true;
      return data.length;
    }
    if (header.id === TIMECODE || header.id === TIMESTAMP_SCALE) {
      const value = readUint(data, dataStart, header.size);
      const offset = dataOffset + dataStart + header.size;
      events.push(header.id === TIMECODE ? { kind: 'cluster-timecode', offset, timecode: value } : { kind: 'timestamp-scale', offset, scaleNs: value });
      return dataStart + header.size;
    }
    const available = Math.min(header.size, data.length - dataStart);
    this.skipRemaining = header.size - available;
    return dataStart + available;
  }

  /** Values the scanner reads must be whole in `data` before it acts on them. */
  private valueComplete(data: Uint8Array, pos: number, header: ElementHeader): boolean {
    if (header.id !== TIMECODE && header.id !== TIMESTAMP_SCALE) return true;
    if (header.size === undefined || header.size > 8) {
      this.stopped = true;
      return true;
    }
    return pos + header.headerLength + header.size <= data.length;
  }
}

export interface PacingOptions {
  /** Test seams: the clock and the wait. */
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Passes the bytes through, holding each Cluster back until its time has come relative to the
 * first one. A Cluster's bytes go out together, from its first byte, once its timecode is known.
 */
export async function* paceByClusterTimecodes(source: AsyncIterable<Uint8Array>, options: PacingOptions = {}): AsyncGenerator<Uint8Array> {
  const nowMs = options.nowMs ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const scanner = new ClusterTimecodeScanner();
  let scaleNs = 1_000_000; // Matroska's default TimestampScale: 1 ms
  let first: { wallMs: number; timecodeMs: number } | undefined;
  let held: Uint8Array[] = [];
  let holding = false;
  let chunkStart = 0;
  for await (const chunk of source) {
    let pos = 0;
    for (const event of scanner.push(chunk)) {
      const at = Math.max(pos, Math.min(chunk.length, event.offset - chunkStart));
      if (at > pos) {
        if (holding) held.push(chunk.subarray(pos, at));
        else yield chunk.subarray(pos, at);
        pos = at;
      }
      if (event.kind === 'timestamp-scale') scaleNs = event.scaleNs;
      if (event.kind === 'cluster') holding = true;
      if (event.kind === 'cluster-timecode') {
        const timecodeMs = (event.timecode * scaleNs) / 1e6;
        first ??= { wallMs: nowMs(), timecodeMs };
        const waitMs = first.wallMs + (timecodeMs - first.timecodeMs) - nowMs();
        if (waitMs > 0) await sleep(waitMs);
        yield* held;
        held = [];
        holding = false;
      }
    }
    if (pos < chunk.length) {
      if (holding) held.push(chunk.subarray(pos));
      else yield chunk.subarray(pos);
    }
    chunkStart += chunk.length;
  }
  yield* held;
}

/** EBML element id and data size (RFC 8794 section 4); ids keep their marker bits. */
function readHeader(data: Uint8Array, pos: number): ElementHeader | 'incomplete' | 'invalid' {
  const idWidth = vintWidth(data[pos]);
  if (idWidth === undefined || idWidth > 4) return 'invalid';
  const sizeAt = pos + idWidth;
  if (sizeAt >= data.length) return 'incomplete';
  const sizeWidth = vintWidth(data[sizeAt]);
  if (sizeWidth === undefined) return 'invalid';
  if (sizeAt + sizeWidth > data.length) return 'incomplete';
  const id = readUint(data, pos, idWidth);
  let size = (data[sizeAt] ?? 0) & (0xff >> sizeWidth);
  let allOnes = size === 0xff >> sizeWidth;
  for (let i = 1; i < sizeWidth; i++) {
    const byte = data[sizeAt + i] ?? 0;
    size = size * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { id, headerLength: idWidth + sizeWidth, size: allOnes ? undefined : size };
}

/** Leading zero bits + 1; undefined for 0x00, which starts no valid VINT. */
function vintWidth(first: number | undefined): number | undefined {
  if (first === undefined || first === 0) return undefined;
  return Math.clz32(first) - 23;
}

function readUint(data: Uint8Array, start: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + (data[start + i] ?? 0);
  return value;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
