/**
 * A deliberately tiny Matroska reader for checking the test fixtures: it lists the Segment's
 * children, the tracks, every Cluster's timecode and blocks, and the Tags that follow each
 * Cluster. It is independent of both the server's parser and scripts/mkv_surgery.py, so a
 * fixture's claimed quirk is confirmed by a third reading. Element ids: RFC 9559 section 5.1.
 */

const ID = {
  segment: 0x18538067,
  info: 0x1549a966,
  timestampScale: 0x2ad7b1,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackType: 0x83,
  codecId: 0x86,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
  referenceBlock: 0xfb,
  tags: 0x1254c367,
  tag: 0x7373,
  simpleTag: 0x67c8,
  tagName: 0x45a3,
  tagString: 0x4487,
  seekHead: 0x114d9b74,
  cues: 0x1c53bb6b,
  void: 0xec,
} as const;

const NAMES = new Map<number, string>([
  [ID.seekHead, 'SeekHead'],
  [ID.info, 'Info'],
  [ID.tracks, 'Tracks'],
  [ID.cluster, 'Cluster'],
  [ID.cues, 'Cues'],
  [ID.tags, 'Tags'],
  [ID.void, 'Void'],
]);

/** Segment children that end an unknown-size Cluster (RFC 9559, unknown-size elements). */
const LEVEL1 = new Set<number>([ID.seekHead, ID.info, ID.tracks, ID.cluster, ID.cues, ID.tags, 0x1043a770, 0x1941a469]);

export interface OutlineBlock {
  track: number;
  /** Relative to the Cluster, in TimecodeScale ticks. */
  timecode: number;
  key: boolean;
}

export interface OutlineCluster {
  offset: number;
  sizeUnknown: boolean;
  timecode: number | undefined;
  blocks: OutlineBlock[];
  /** SimpleTags of the level-1 Tags elements between this Cluster and the next one. */
  tagsAfter: Array<{ name: string; value: string }>;
}

export interface MkvOutline {
  segmentSizeUnknown: boolean;
  timecodeScaleNs: number | undefined;
  tracks: Array<{ number: number; type: number; codecId: string }>;
  /** Names of the Segment's children in order ('0x…' for others). */
  level1: string[];
  clusters: OutlineCluster[];
  /** Where the walk met bytes that cannot start an element; undefined when it read to the end. */
  invalidAt: number | undefined;
}

interface Header {
  id: number;
  dataStart: number;
  /** undefined: unknown size. */
  size: number | undefined;
}

export function outlineMkv(bytes: Uint8Array): MkvOutline {
  const outline: MkvOutline = { segmentSizeUnknown: false, timecodeScaleNs: undefined, tracks: [], level1: [], clusters: [], invalidAt: undefined };
  const ebml = readHeader(bytes, 0);
  const segment = ebml?.size === undefined ? undefined : readHeader(bytes, ebml.dataStart + ebml.size);
  if (!segment || segment.id !== ID.segment) throw new Error('no EBML header followed by a Segment');
  outline.segmentSizeUnknown = segment.size === undefined;
  const end = segment.size === undefined ? bytes.length : segment.dataStart + segment.size;
  let pos = segment.dataStart;
  while (pos < end) {
    const header = readHeader(bytes, pos);
    if (!header) {
      outline.invalidAt = pos;
      break;
    }
    outline.level1.push(NAMES.get(header.id) ?? `0x${header.id.toString(16)}`);
    const dataEnd = header.size === undefined ? unknownSizeEnd(bytes, header.dataStart) : header.dataStart + header.size;
    readLevel1(outline, bytes, header, pos, dataEnd);
    pos = dataEnd;
  }
  return outline;
}

function readLevel1(outline: MkvOutline, bytes: Uint8Array, header: Header, offset: number, dataEnd: number): void {
  const children = () => childrenOf(bytes, header.dataStart, dataEnd);
  if (header.id === ID.info) {
    const scale = children().find((c) => c.id === ID.timestampScale);
    outline.timecodeScaleNs = scale ? readUint(bytes, scale) : undefined;
  } else if (header.id === ID.tracks) {
    for (const entry of children().filter((c) => c.id === ID.trackEntry)) outline.tracks.push(readTrackEntry(bytes, entry));
  } else if (header.id === ID.cluster) {
    outline.clusters.push(readCluster(bytes, children(), offset, header.size === undefined));
  } else if (header.id === ID.tags) {
    outline.clusters.at(-1)?.tagsAfter.push(...readSimpleTags(bytes, children()));
  }
}

function readTrackEntry(bytes: Uint8Array, entry: Header) {
  const fields = childrenOf(bytes, entry.dataStart, entry.dataStart + (entry.size ?? 0));
  const field = (id: number) => fields.find((c) => c.id === id);
  const codec = field(ID.codecId);
  return {
    number: readUint(bytes, field(ID.trackNumber)),
    type: readUint(bytes, field(ID.trackType)),
    codecId: codec ? readText(bytes, codec) : '',
  };
}

function readCluster(bytes: Uint8Array, children: Header[], offset: number, sizeUnknown: boolean): OutlineCluster {
  const timecode = children.find((c) => c.id === ID.timecode);
  const blocks: OutlineBlock[] = [];
  for (const child of children) {
    if (child.id === ID.simpleBlock) blocks.push(readBlock(bytes, child, (flags) => (flags & 0x80) !== 0));
    if (child.id === ID.blockGroup) {
      const inner = childrenOf(bytes, child.dataStart, child.dataStart + (child.size ?? 0));
      const block = inner.find((c) => c.id === ID.block);
      const referencesOthers = inner.some((c) => c.id === ID.referenceBlock);
      if (block) blocks.push(readBlock(bytes, block, () => !referencesOthers));
    }
  }
  return { offset, sizeUnknown, timecode: timecode ? readUint(bytes, timecode) : undefined, blocks, tagsAfter: [] };
}

/** Block data: track number (VINT), signed 16-bit timecode, flags (RFC 9559 section 10.1). */
function readBlock(bytes: Uint8Array, block: Header, isKey: (flags: number) => boolean): OutlineBlock {
  const track = readVint(bytes, block.dataStart);
  if (!track) throw new Error(`bad block at ${block.dataStart}`);
  const at = block.dataStart + track.width;
  const timecode = (((bytes[at] ?? 0) << 24) >> 16) | (bytes[at + 1] ?? 0);
  return { track: track.value, timecode, key: isKey(bytes[at + 2] ?? 0) };
}

function readSimpleTags(bytes: Uint8Array, children: Header[]): Array<{ name: string; value: string }> {
  const tags: Array<{ name: string; value: string }> = [];
  for (const tag of children.filter((c) => c.id === ID.tag)) {
    for (const simple of childrenOf(bytes, tag.dataStart, tag.dataStart + (tag.size ?? 0)).filter((c) => c.id === ID.simpleTag)) {
      const fields = childrenOf(bytes, simple.dataStart, simple.dataStart + (simple.size ?? 0));
      const name = fields.find((c) => c.id === ID.tagName);
      const value = fields.find((c) => c.id === ID.tagString);
      tags.push({ name: name ? readText(bytes, name) : '', value: value ? readText(bytes, value) : '' });
    }
  }
  return tags;
}

function childrenOf(bytes: Uint8Array, start: number, end: number): Header[] {
  const children: Header[] = [];
  for (let pos = start; pos < end; ) {
    const header = readHeader(bytes, pos);
    if (!header || header.size === undefined) throw new Error(`bad child element at ${pos}`);
    children.push(header);
    pos = header.dataStart + header.size;
  }
  return children;
}

/** An unknown-size Cluster runs until the next Segment child or the end of the bytes. */
function unknownSizeEnd(bytes: Uint8Array, start: number): number {
  let pos = start;
  while (pos < bytes.length) {
    const header = readHeader(bytes, pos);
    if (!header || LEVEL1.has(header.id) || header.size === undefined) break;
    pos = header.dataStart + header.size;
  }
  return pos;
}

function readHeader(bytes: Uint8Array, pos: number): Header | undefined {
  const id = readVint(bytes, pos);
  if (!id || id.width > 4) return undefined;
  const size = readVint(bytes, pos + id.width);
  if (!size) return undefined;
  let idValue = 0;
  for (let i = 0; i < id.width; i++) idValue = idValue * 256 + (bytes[pos + i] ?? 0);
  return { id: idValue, dataStart: pos + id.width + size.width, size: size.allOnes ? undefined : size.value };
}

/** EBML VINT (RFC 8794 section 4): the count of leading zero bits gives the width. */
function readVint(bytes: Uint8Array, pos: number): { value: number; width: number; allOnes: boolean } | undefined {
  const first = bytes[pos];
  if (first === undefined || first === 0) return undefined;
  const width = Math.clz32(first) - 23;
  if (pos + width > bytes.length) return undefined;
  let value = first & (0xff >> width);
  let allOnes = value === 0xff >> width;
  for (let i = 1; i < width; i++) {
    const byte = bytes[pos + i] ?? 0;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, width, allOnes };
}

function readUint(bytes: Uint8Array, element: Header | undefined): number {
  if (!element) return NaN;
  let value = 0;
  for (let i = 0; i < (element.size ?? 0); i++) value = value * 256 + (bytes[element.dataStart + i] ?? 0);
  return value;
}

function readText(bytes: Uint8Array, element: Header): string {
  return new TextDecoder().decode(bytes.subarray(element.dataStart, element.dataStart + (element.size ?? 0))).replace(/\0+$/, '');
}
