/**
 * The request-body chunks the ingest still needs, addressed by absolute body offset: a
 * fragment's bytes are cut out of them as zero-copy views once its Cluster is complete.
 */
export class ChunkWindow {
  private chunks: { start: number; bytes: Uint8Array }[] = [];
  private total = 0;

  /** Body bytes seen so far. */
  get end(): number {
    return this.total;
  }

  append(bytes: Uint8Array): void {
    // A socket read lands in a 64 KiB allocation and the chunk is a view of part of it: holding a
    // small view for the seconds a fragment lasts would pin the whole allocation (500 cameras
    // writing 8 KB frames pinned 8 times their data). Such chunks are copied once, compactly.
    if (bytes.byteLength * 2 < bytes.buffer.byteLength) bytes = new Uint8Array(bytes);
    this.chunks.push({ start: this.total, bytes });
    this.total += bytes.byteLength;
  }

  /** Forgets chunks that end at or before `offset`. */
  discardBefore(offset: number): void {
    let drop = 0;
    while (drop < this.chunks.length && this.chunks[drop]!.start + this.chunks[drop]!.bytes.byteLength <= offset) drop++;
    if (drop > 0) this.chunks = this.chunks.slice(drop);
  }

  /** Views of the bytes in [start, end), which must still be held. */
  slice(start: number, end: number): Uint8Array[] {
    const first = this.chunks[0];
    if (!first || start < first.start || end > this.total) {
      throw new Error(`bytes ${start}..${end} are no longer held (window ${first?.start ?? this.total}..${this.total})`);
    }
    const views: Uint8Array[] = [];
    for (const { start: at, bytes } of this.chunks) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + bytes.byteLength);
      if (from < to) views.push(bytes.subarray(from - at, to - at));
      if (at + bytes.byteLength >= end) break;
    }
    return views;
  }
}
