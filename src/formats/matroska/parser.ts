/**
 * The incremental Matroska parser of PutMedia ingest: bytes in, MkvEvents out, chunk by chunk of
 * any size, with the same events whatever the chunking. It buffers only element headers and the
 * small elements it decodes (EBML header, Info, Tracks, Tags, Cluster Timestamp, block headers,
 * BlockDuration, ReferenceBlock); frame payloads are skipped and reported as body offset ranges.
 *
 * Structure accepted (RFC 8794 for EBML, RFC 9559 for Matroska): one EBML Header, then one
 * Segment (known or unknown size) holding Info, Tracks, Clusters (known or unknown size) and
 * level-1 Tags; other level-1 elements are skipped. An unknown-size Cluster ends where a level-1
 * element starts (RFC 8794 §6.2). Errors throw MkvFormatError and leave the parser dead.
 */
import { newBlockHeader, parseBlockHeader, KEY_FLAG } from './block.js';
import { readInt, readUint, type Span } from './ebml-reader.js';
import { decodeEbmlHeader } from './ebml-header.js';
import { MkvFormatError, type MkvEvent } from './events.js';
import { MatroskaId as Id, SEGMENT_CHILD_IDS } from './ids.js';
import { decodeInfo } from './info.js';
import { decodeTags } from './tags.js';
import { decodeTracks } from './tracks.js';
import {
  MAX_ID_WIDTH,
  MAX_SIZE_WIDTH,
  UNKNOWN_SIZE,
  isValidElementId,
  readElementId,
  readVintSize,
  vintWidth,
  writeElementId,
  writeVint,
} from './vint.js';

/** Largest EBML Header the parser buffers. */
export const MAX_EBML_HEADER_SIZE = 64 * 1024;
/** Largest Info, Tracks or Tags element the parser buffers. */
export const MAX_BUFFERED_ELEMENT_SIZE = 4 * 1024 * 1024;
/** Longest block header (track, timestamp, flags, lace sizes) the parser accepts. */
export const MAX_BLOCK_HEADER_SIZE = 1024 * 1024;
/** Largest integer element (Timestamp, BlockDuration, ReferenceBlock): RFC 8794 §7.1–7.2. */
const MAX_INT_SIZE = 8;

type Mode = 'header' | 'skip' | 'collect' | 'block-header';
type ContainerKind = 'segment' | 'cluster' | 'block-group';
/** What happens when a skipped range ends: nothing, or a block's payload is done. */
type SkipEnd = 'plain' | 'simple-block' | 'group-block';

interface Container {
  readonly kind: ContainerKind;
  /** Offset of the element's ID. */
  readonly start: number;
  /** One past the element's last byte; Infinity while the size is unknown. */
  readonly end: number;
}

/** `data`: the element's data; `whole`: the element with its header, when the rule asked for a copy. */
type Decoder = (parser: MkvParser, data: Span, whole: Uint8Array) => void;

type Rule =
  | { readonly kind: 'skip' }
  | { readonly kind: 'open'; readonly container: ContainerKind }
  | { readonly kind: 'collect'; readonly maxSize: number; readonly copy: boolean; readonly decode: Decoder }
  | { readonly kind: 'block'; readonly simple: boolean }
  | { readonly kind: 'reject'; readonly message: string };

type CollectRule = Extract<Rule, { kind: 'collect' }>;

const SKIP: Rule = { kind: 'skip' };
const SEGMENT: Rule = { kind: 'open', container: 'segment' };
const SECOND_EBML: Rule = { kind: 'reject', message: 'second EBML header' };
const SECOND_SEGMENT: Rule = { kind: 'reject', message: 'second Segment' };
const EMPTY = new Uint8Array(0);
const HEADER_CARRY = MAX_ID_WIDTH + MAX_SIZE_WIDTH;

export class MkvParser {
  // Position and mode.
  private pos = 0;
  private mode: Mode = 'header';
  private failure: Error | undefined;
  private finished = false;
  private out: MkvEvent[] = [];

  // An element header split across chunks.
  private readonly head = new Uint8Array(HEADER_CARRY);
  private headLen = 0;
  private headStart = 0;

  // The element being read (fields reused: one element per frame must not allocate).
  private elId = 0;
  private elStart = 0;
  private elIdWidth = 0;
  private elSizeWidth = 0;
  /** Data size; UNKNOWN_SIZE when unknown. */
  private elSize = 0;
  private elDataStart = 0;
  /** Bytes of the element not consumed yet. */
  private remaining = 0;
  private skipEnd: SkipEnd = 'plain';
  private collectRule: CollectRule | undefined;
  private collectBuf: Uint8Array | undefined;
  private collectFill = 0;

  // The block being read.
  private readonly block = newBlockHeader();
  private blockCarry = EMPTY;
  private blockCarryLen = 0;
  private blockPayloadStart = 0;

  // Document structure.
  private readonly stack: Container[] = [];
  private sawEbmlHeader = false;
  private sawSegment = false;
  private segmentEnded = false;
  private clusterHasTimestamp = false;
  private clusterHasBlock = false;
  private groupHasBlock = false;
  private groupReferenced = false;
  private groupDuration: number | undefined;

  /**
   * Feeds the next bytes of the body. Returns the events they complete, appended to `into`
   * (which keeps the events found before an error when this throws). Frame events come once
   * the block's last byte has been pushed. The chunk is not retained.
   */
  push(chunk: Uint8Array, into: MkvEvent[] = []): MkvEvent[] {
    this.begin(into);
    try {
      let i = 0;
      while (i < chunk.length) i = this.step(chunk, i);
    } catch (error) {
      throw this.fail(error);
    }
    return into;
  }

  /** The body is complete: closes an unknown-size Cluster and Segment, or throws if the body stops mid-element. */
  end(into: MkvEvent[] = []): MkvEvent[] {
    this.begin(into);
    try {
      if (this.mode !== 'header' || this.headLen > 0) this.reject('body ends inside an element', this.pos);
      if (!this.sawEbmlHeader) this.reject('body has no EBML header', this.pos);
      if (!this.sawSegment) this.reject('body has no Segment', this.pos);
      for (let top = this.stack.at(-1); top !== undefined; top = this.stack.at(-1)) {
        if (top.end !== Infinity) this.reject(`body ends inside a ${top.kind}`, this.pos);
        this.closeTop(this.pos);
      }
      this.finished = true;
    } catch (error) {
      throw this.fail(error);
    }
    return into;
  }

  /** True between level-1 elements of an open Segment: no Cluster, Tags, ... nor element header in progress. */
  get atTopLevelBoundary(): boolean {
    return (
      this.failure === undefined && this.mode === 'header' && this.headLen === 0 && this.stack.length === 1 && this.stack[0]?.kind === 'segment'
    );
  }

  /** Bytes consumed so far (the body offset of the next byte). */
  get position(): number {
    return this.pos;
  }

  private begin(into: MkvEvent[]): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished) throw new Error('MkvParser: the body already ended');
    this.out = into;
  }

  private fail(error: unknown): Error {
    this.failure = error instanceof Error ? error : new Error(String(error));
    return this.failure;
  }

  private reject(message: string, at: number): never {
    throw new MkvFormatError(message, at);
  }

  private step(chunk: Uint8Array, i: number): number {
    switch (this.mode) {
      case 'header':
        return this.readHeader(chunk, i);
      case 'skip':
        return this.skip(chunk, i);
      case 'collect':
        return this.collect(chunk, i);
      case 'block-header':
        return this.readBlockHeader(chunk, i);
    }
  }

  // ---- Element headers: ID and data size (RFC 8794 §5, §6) ----

  private readHeader(chunk: Uint8Array, i: number): number {
    if (this.headLen === 0) {
      if (this.segmentEnded) this.reject('data after the end of the Segment', this.pos);
      const avail = chunk.length - i;
      const need = headerLength(chunk, i, avail, this.pos);
      if (need <= avail) {
        const start = this.pos;
        this.pos += need;
        this.onHeader(chunk, i, need, start);
        return i + need;
      }
      this.headStart = this.pos;
    }
    let need = headerLength(this.head, 0, this.headLen, this.headStart);
    while (this.headLen < need && i < chunk.length) {
      const k = Math.min(need - this.headLen, chunk.length - i);
      this.head.set(chunk.subarray(i, i + k), this.headLen);
      this.headLen += k;
      this.pos += k;
      i += k;
      need = headerLength(this.head, 0, this.headLen, this.headStart);
    }
    if (this.headLen >= need) {
      this.headLen = 0;
      this.onHeader(this.head, 0, need, this.headStart);
    }
    return i;
  }

  private onHeader(bytes: Uint8Array, at: number, length: number, start: number): void {
    const idWidth = vintWidth(bytes[at] as number);
    const id = readElementId(bytes, at, idWidth);
    if (!isValidElementId(id, idWidth)) this.reject(`reserved element ID 0x${id.toString(16)}`, start);
    this.elId = id;
    this.elStart = start;
    this.elIdWidth = idWidth;
    this.elSizeWidth = length - idWidth;
    this.elSize = readVintSize(bytes, at + idWidth, length - idWidth);
    this.elDataStart = start + length;
    this.dispatch();
  }

  /** Finds the element's parent and rule, checks its size against both, and starts reading it. */
  private dispatch(): void {
    this.closeClustersEndedBy(this.elId);
    const parent = this.stack.at(-1);
    const rule = parent === undefined ? this.topLevelRule() : (MkvParser.RULES[parent.kind].get(this.elId) ?? SKIP);
    if (rule.kind === 'reject') this.reject(rule.message, this.elStart);
    this.checkSize(rule);
    switch (rule.kind) {
      case 'open':
        return this.open(rule.container);
      case 'block':
        return this.startBlock(rule.simple);
      case 'collect':
        return this.startCollect(rule);
      case 'skip':
        return this.startSkip('plain', this.elSize);
    }
  }

  /** RFC 8794 §6.2: an unknown-size Cluster ends where an element that cannot be its child begins. */
  private closeClustersEndedBy(id: number): void {
    for (let top = this.stack.at(-1); top !== undefined; top = this.stack.at(-1)) {
      if (top.kind !== 'cluster' || top.end !== Infinity) return;
      if (!SEGMENT_CHILD_IDS.has(id) && id !== Id.EBML && id !== Id.Segment) return;
      this.closeTop(this.elStart);
    }
  }

  /** Only an EBML Header, then one Segment, may sit at the top (RFC 9559 §5.1). */
  private topLevelRule(): Rule {
    if (this.elId === Id.EBML && !this.sawEbmlHeader) return MkvParser.EBML_HEADER;
    if (this.elId === Id.Segment && this.sawEbmlHeader) return SEGMENT;
    if (this.elId === Id.EBML) return SECOND_EBML;
    if (!this.sawEbmlHeader) return { kind: 'reject', message: 'body does not start with an EBML header' };
    return { kind: 'reject', message: `expected a Segment, found element 0x${this.elId.toString(16)}` };
  }

  private checkSize(rule: Rule): void {
    let limit = Infinity;
    for (const container of this.stack) limit = Math.min(limit, container.end);
    if (this.elSize === UNKNOWN_SIZE) {
      const mayBeUnknown = rule.kind === 'open' && rule.container !== 'block-group';
      if (!mayBeUnknown) this.reject(`element 0x${this.elId.toString(16)} may not have an unknown size`, this.elStart);
      if (this.elDataStart > limit) this.reject('element header overruns its parent', this.elStart);
      return;
    }
    if (!Number.isSafeInteger(this.elSize)) this.reject('element size too large', this.elStart);
    if (this.elDataStart + this.elSize > limit) this.reject(`element 0x${this.elId.toString(16)} overruns its parent`, this.elStart);
  }

  // ---- Master elements kept open: Segment, Cluster, BlockGroup ----

  private open(kind: ContainerKind): void {
    const end = this.elSize === UNKNOWN_SIZE ? Infinity : this.elDataStart + this.elSize;
    const size = this.elSize === UNKNOWN_SIZE ? undefined : this.elSize;
    this.stack.push({ kind, start: this.elStart, end });
    if (kind === 'segment') {
      this.sawSegment = true;
      this.out.push({ kind: 'segment-start', offset: this.elStart, size });
    } else if (kind === 'cluster') {
      this.clusterHasTimestamp = false;
      this.clusterHasBlock = false;
      this.out.push({ kind: 'cluster-start', offset: this.elStart, size });
    } else {
      this.groupHasBlock = false;
      this.groupReferenced = false;
      this.groupDuration = undefined;
    }
    this.closeFinished();
  }

  /** Closes every open element whose known end is the current position (innermost first). */
  private closeFinished(): void {
    for (let j = this.stack.length - 1; j >= 0; j--) {
      if (this.stack[j]?.end === this.pos) while (this.stack.length > j) this.closeTop(this.pos);
    }
  }

  private closeTop(offset: number): void {
    const top = this.stack.pop();
    if (top === undefined) return;
    if (top.kind === 'segment') {
      this.segmentEnded = true;
      this.out.push({ kind: 'segment-end', offset });
    } else if (top.kind === 'cluster') {
      this.out.push({ kind: 'cluster-end', offset });
    } else {
      // RFC 9559 §10.4: a BlockGroup's frames are key frames unless it holds a ReferenceBlock,
      // which may follow the Block, so they are reported when the group ends.
      if (!this.groupHasBlock) this.reject('BlockGroup without a Block', top.start);
      this.emitFrames(!this.groupReferenced, this.groupDuration);
    }
  }

  // ---- Skipped ranges: unknown or unwanted elements, frame payloads ----

  private startSkip(then: SkipEnd, length: number): void {
    this.mode = 'skip';
    this.skipEnd = then;
    this.remaining = length;
    if (length === 0) this.skip(EMPTY, 0);
  }

  private skip(chunk: Uint8Array, i: number): number {
    const k = Math.min(this.remaining, chunk.length - i);
    this.remaining -= k;
    this.pos += k;
    if (this.remaining === 0) {
      this.mode = 'header';
      if (this.skipEnd === 'simple-block') this.emitFrames((this.block.flags & KEY_FLAG) !== 0, undefined);
      this.closeFinished();
    }
    return i + k;
  }

  // ---- Buffered elements ----

  private startCollect(rule: CollectRule): void {
    if (this.elSize > rule.maxSize) this.reject(`element 0x${this.elId.toString(16)} of ${this.elSize} bytes is too large`, this.elStart);
    this.mode = 'collect';
    this.collectRule = rule;
    this.collectBuf = undefined;
    this.remaining = this.elSize;
    if (this.remaining === 0) this.collect(EMPTY, 0);
  }

  private collect(chunk: Uint8Array, i: number): number {
    const rule = this.collectRule as CollectRule;
    const avail = chunk.length - i;
    if (this.collectBuf === undefined && !rule.copy && avail >= this.remaining) {
      const end = i + this.remaining; // whole element in this chunk: decode in place
      this.pos += this.remaining;
      this.remaining = 0;
      this.finishCollect(rule, { bytes: chunk, start: i, end, base: this.elDataStart - i }, EMPTY);
      return end;
    }
    const buf = this.collectBuf ?? this.newCollectBuffer(rule.copy);
    const k = Math.min(this.remaining, avail);
    buf.set(chunk.subarray(i, i + k), this.collectFill);
    this.collectFill += k;
    this.remaining -= k;
    this.pos += k;
    if (this.remaining === 0) {
      const start = buf.length - this.elSize;
      this.finishCollect(rule, { bytes: buf, start, end: buf.length, base: this.elDataStart - start }, buf);
    }
    return i + k;
  }

  /** A buffer for the element's data, preceded by its header octets as received when `withHeader`. */
  private newCollectBuffer(withHeader: boolean): Uint8Array {
    const headerLength = withHeader ? this.elIdWidth + this.elSizeWidth : 0;
    const buf = new Uint8Array(headerLength + this.elSize);
    if (withHeader) {
      writeElementId(buf, 0, this.elId);
      writeVint(buf, this.elIdWidth, this.elSize, this.elSizeWidth);
    }
    this.collectBuf = buf;
    this.collectFill = headerLength;
    return buf;
  }

  private finishCollect(rule: CollectRule, data: Span, whole: Uint8Array): void {
    this.mode = 'header';
    this.collectBuf = undefined;
    this.collectRule = undefined;
    rule.decode(this, data, whole);
    this.closeFinished();
  }

  private onEbmlHeader(data: Span): void {
    const { docType } = decodeEbmlHeader(data);
    this.sawEbmlHeader = true;
    this.out.push({ kind: 'ebml-header', docType });
  }

  private onInfo(data: Span, whole: Uint8Array): void {
    this.out.push({ kind: 'info', timecodeScaleNs: decodeInfo(data).timecodeScaleNs, bytes: whole });
  }

  private onTracks(data: Span, whole: Uint8Array): void {
    this.out.push({ kind: 'tracks', tracks: decodeTracks(data), bytes: whole });
  }

  private onTags(data: Span): void {
    this.out.push({ kind: 'tags', tags: decodeTags(data), offset: this.elStart, end: this.elDataStart + this.elSize });
  }

  /** RFC 9559 §5.1.3: the Cluster Timestamp comes once, before any block. */
  private onClusterTimestamp(data: Span): void {
    if (this.clusterHasTimestamp) this.reject('second Cluster Timestamp', this.elStart);
    if (this.clusterHasBlock) this.reject('Cluster Timestamp after a block', this.elStart);
    this.clusterHasTimestamp = true;
    this.out.push({ kind: 'cluster-timecode', timecode: readUint(data) });
  }

  private onBlockDuration(data: Span): void {
    this.groupDuration = readUint(data);
  }

  private onReferenceBlock(data: Span): void {
    readInt(data); // the value (a relative timestamp) does not matter, only that it exists
    this.groupReferenced = true;
  }

  // ---- Blocks (RFC 9559 §10) ----

  private startBlock(simple: boolean): void {
    if (!this.clusterHasTimestamp) this.reject('block before the Cluster Timestamp', this.elStart);
    if (!simple && this.groupHasBlock) this.reject('second Block in a BlockGroup', this.elStart);
    if (this.elSize < 4) this.reject(`block of ${this.elSize} bytes is too short`, this.elStart);
    this.groupHasBlock ||= !simple;
    this.clusterHasBlock = true;
    this.mode = 'block-header';
    this.skipEnd = simple ? 'simple-block' : 'group-block';
    this.remaining = this.elSize;
    this.blockCarryLen = 0;
  }

  /**
   * Reads the block header in place when the chunk holds it; otherwise carries its first bytes
   * over, growing the carry geometrically so a long lace header costs linear time.
   */
  private readBlockHeader(chunk: Uint8Array, i: number): number {
    const carried = this.blockCarryLen;
    const take = carried === 0 ? this.remaining : Math.max(carried, 16);
    const k = Math.min(take, this.remaining, chunk.length - i);
    let view: Uint8Array;
    if (carried === 0) {
      view = chunk.subarray(i, i + k);
    } else {
      if (this.blockCarry.length < carried + k) this.growBlockCarry(carried + k);
      this.blockCarry.set(chunk.subarray(i, i + k), carried);
      view = this.blockCarry.subarray(0, carried + k);
    }
    if (parseBlockHeader(view, this.elSize, this.elDataStart, this.block)) {
      const used = this.block.headerSize - carried;
      if (this.block.headerSize > MAX_BLOCK_HEADER_SIZE) this.reject('block header too large', this.elStart);
      this.pos += used;
      this.blockCarryLen = 0;
      this.blockPayloadStart = this.elDataStart + this.block.headerSize;
      this.startSkip(this.skipEnd, this.elSize - this.block.headerSize);
      return i + used;
    }
    if (carried === 0) {
      if (this.blockCarry.length < k) this.growBlockCarry(k);
      this.blockCarry.set(view, 0);
    }
    this.blockCarryLen = carried + k;
    if (this.blockCarryLen > MAX_BLOCK_HEADER_SIZE) this.reject('block header too large', this.elStart);
    this.remaining -= k;
    this.pos += k;
    return i + k;
  }

  private growBlockCarry(minLength: number): void {
    const grown = new Uint8Array(Math.max(minLength, 2 * this.blockCarry.length, 64));
    grown.set(this.blockCarry.subarray(0, this.blockCarryLen));
    this.blockCarry = grown;
  }

  /** One frame event per lace (RFC 9559 §10.3), payloads back to back after the block header. */
  private emitFrames(key: boolean, duration: number | undefined): void {
    const block = this.block;
    let offset = this.blockPayloadStart;
    for (let laceIndex = 0; laceIndex < block.laceCount; laceIndex++) {
      const size = block.laceSizes[laceIndex] as number;
      this.out.push({ kind: 'frame', track: block.track, timecode: block.timecode, key, duration, laceIndex, offset, size });
      offset += size;
    }
  }

  // ---- Rule tables: what each open element does with its children ----

  private static buffered(maxSize: number, copy: boolean, decode: Decoder): CollectRule {
    return { kind: 'collect', maxSize, copy, decode };
  }

  private static readonly EBML_HEADER = MkvParser.buffered(MAX_EBML_HEADER_SIZE, false, (p, d) => p.onEbmlHeader(d));

  /** Children handled inside each open element; any other child is skipped (it must have a known size). */
  private static readonly RULES: Record<ContainerKind, ReadonlyMap<number, Rule>> = {
    // RFC 9559 §5.1: level-1 elements. SeekHead, Cues, Chapters, Attachments, Void, CRC-32 are skipped.
    segment: new Map<number, Rule>([
      [Id.Info, MkvParser.buffered(MAX_BUFFERED_ELEMENT_SIZE, true, (p, d, w) => p.onInfo(d, w))],
      [Id.Tracks, MkvParser.buffered(MAX_BUFFERED_ELEMENT_SIZE, true, (p, d, w) => p.onTracks(d, w))],
      [Id.Cluster, { kind: 'open', container: 'cluster' }],
      [Id.Tags, MkvParser.buffered(MAX_BUFFERED_ELEMENT_SIZE, false, (p, d) => p.onTags(d))],
      [Id.EBML, SECOND_EBML],
      [Id.Segment, SECOND_SEGMENT],
    ]),
    // RFC 9559 §5.1.3: Position, PrevSize, Void, CRC-32 and the rest are skipped.
    cluster: new Map<number, Rule>([
      [Id.Timestamp, MkvParser.buffered(MAX_INT_SIZE, false, (p, d) => p.onClusterTimestamp(d))],
      [Id.SimpleBlock, { kind: 'block', simple: true }],
      [Id.BlockGroup, { kind: 'open', container: 'block-group' }],
      [Id.EBML, SECOND_EBML],
      [Id.Segment, SECOND_SEGMENT],
    ]),
    // RFC 9559 §5.1.3: BlockAdditions, ReferencePriority, CodecState, DiscardPadding are skipped.
    'block-group': new Map<number, Rule>([
      [Id.Block, { kind: 'block', simple: false }],
      [Id.BlockDuration, MkvParser.buffered(MAX_INT_SIZE, false, (p, d) => p.onBlockDuration(d))],
      [Id.ReferenceBlock, MkvParser.buffered(MAX_INT_SIZE, false, (p, d) => p.onReferenceBlock(d))],
      [Id.EBML, SECOND_EBML],
      [Id.Segment, SECOND_SEGMENT],
    ]),
  };
}

/**
 * The length of the element header starting at `bytes[from]` as far as `avail` bytes tell: the
 * full ID + size length once both first octets are in, else a lower bound one past what is
 * there. Rejects invalid first octets as soon as they are seen. `at`: body offset of `bytes[from]`.
 */
function headerLength(bytes: Uint8Array, from: number, avail: number, at: number): number {
  if (avail < 1) return 1;
  const idWidth = vintWidth(bytes[from] as number);
  if (idWidth === 0 || idWidth > MAX_ID_WIDTH) throw new MkvFormatError(`invalid element ID (first octet 0x${(bytes[from] as number).toString(16)})`, at);
  if (avail <= idWidth) return idWidth + 1;
  const sizeWidth = vintWidth(bytes[from + idWidth] as number);
  if (sizeWidth === 0) throw new MkvFormatError('invalid element size (first octet 0x00)', at + idWidth);
  return idWidth + sizeWidth;
}
