/**
 * Test helper: an independent ISO BMFF box walker (ISO/IEC 14496-12 §4.2), to look inside what
 * the builders made. It knows which boxes are containers and nothing else about them.
 */

export interface BoxNode {
  readonly type: string;
  /** Offset of the box's first byte in the file. */
  readonly offset: number;
  readonly size: number;
  /** The body after size/type (and largesize), version and flags included for full boxes. */
  readonly body: Buffer;
  readonly children: BoxNode[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'dinf', 'edts', 'mvex', 'moof', 'traf']);
/** Sample entries hold boxes after a fixed part: visual 78 bytes, audio 28 (§12.1.3, §12.2.3). */
const SAMPLE_ENTRY_FIXED: Record<string, number> = { avc1: 78, hvc1: 78, mp4a: 28, alaw: 28, ulaw: 28 };

export function parseBoxes(bytes: Uint8Array, start = 0, end = bytes.length, base = 0): BoxNode[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BoxNode[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) throw new Error(`box ${type} at ${base + at} of size ${size} overruns its parent (end ${base + end})`);
    const body = buf.subarray(at + header, at + size);
    let children: BoxNode[] = [];
    if (CONTAINERS.has(type)) children = parseBoxes(buf, at + header, at + size, base);
    else if (type === 'stsd') children = parseBoxes(buf, at + header + 8, at + size, base);
    else if (type === 'dref') children = parseBoxes(buf, at + header + 8, at + size, base);
    else if (SAMPLE_ENTRY_FIXED[type] !== undefined) children = parseBoxes(buf, at + header + SAMPLE_ENTRY_FIXED[type]!, at + size, base);
    out.push({ type, offset: base + at, size, body, children });
    at += size;
  }
  if (at !== end) throw new Error(`${end - at} stray bytes at ${base + at}`);
  return out;
}

/** The first box at a '/'-separated path of types, e.g. 'moov/trak/mdia/minf/stbl/stsz'. */
export function find(boxes: readonly BoxNode[], path: string): BoxNode | undefined {
  const [head, ...rest] = path.split('/');
  const box = boxes.find((b) => b.type === head);
  if (!box || rest.length === 0) return box;
  return find(box.children, rest.join('/'));
}

/** Every box at a path (e.g. each trak). */
export function findAll(boxes: readonly BoxNode[], path: string): BoxNode[] {
  const parts = path.split('/');
  let level: readonly BoxNode[] = boxes;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = level.find((b) => b.type === parts[i]);
    if (!next) return [];
    level = next.children;
  }
  return level.filter((b) => b.type === parts[parts.length - 1]);
}

/** The 32-bit words of a full box's body after version/flags. */
export function words(box: BoxNode, from = 4): number[] {
  const out: number[] = [];
  for (let at = from; at + 4 <= box.body.length; at += 4) out.push(box.body.readUInt32BE(at));
  return out;
}
