/**
 * Sample table boxes of a progressive MP4 (ISO/IEC 14496-12 §8.5–§8.7): decode-time deltas,
 * composition offsets, sync samples, samples per chunk, sample sizes and chunk offsets. Inputs are
 * per-sample arrays in decode order; runs of equal values are run-length coded where the box
 * allows it.
 */
import { fullBox } from './box.js';

/** Bytes per table entry, for sizing writers up front. */
const ENTRY_BYTES = 4;
const TABLE_HEADER_BYTES = 16;

/** Runs of equal consecutive values: [count, value] pairs. */
function runs(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (out.length > 0 && out[out.length - 1] === value) out[out.length - 2]! += 1;
    else out.push(1, value);
  }
  return out;
}

/** §8.6.1.2 TimeToSampleBox: decode-time delta of every sample, run-length coded. */
export function stts(durations: ArrayLike<number>): Uint8Array {
  const pairs = runs(durations);
  return fullBox(
    'stts',
    0,
    0,
    (w) => {
      w.u32(pairs.length / 2); // entry_count
      for (let i = 0; i < pairs.length; i += 2) w.u32(pairs[i]!).u32(pairs[i + 1]!); // sample_count, sample_delta
    },
    TABLE_HEADER_BYTES + pairs.length * ENTRY_BYTES,
  );
}

/**
 * §8.6.1.3 CompositionOffsetBox: presentation minus decode time per sample. Version 0 (unsigned)
 * unless an offset is negative, which needs version 1.
 */
export function ctts(offsets: ArrayLike<number>): Uint8Array {
  const pairs = runs(offsets);
  let signed = false;
  for (let i = 1; i < pairs.length; i += 2) if (pairs[i]! < 0) signed = true;
  return fullBox(
    'ctts',
    signed ? 1 : 0,
    0,
    (w) => {
      w.u32(pairs.length / 2); // entry_count
      for (let i = 0; i < pairs.length; i += 2) {
        w.u32(pairs[i]!); // sample_count
        if (signed) w.i32(pairs[i + 1]!); // sample_offset (signed, version 1)
        else w.u32(pairs[i + 1]!); // sample_offset
      }
    },
    TABLE_HEADER_BYTES + pairs.length * ENTRY_BYTES,
  );
}

/** §8.6.2 SyncSampleBox: 1-based numbers of the key samples. Leave it out when every sample is a key. */
export function stss(keys: ArrayLike<boolean>): Uint8Array {
  const numbers: number[] = [];
  for (let i = 0; i < keys.length; i++) if (keys[i]) numbers.push(i + 1);
  return fullBox(
    'stss',
    0,
    0,
    (w) => {
      w.u32(numbers.length); // entry_count
      for (const n of numbers) w.u32(n); // sample_number
    },
    TABLE_HEADER_BYTES + numbers.length * ENTRY_BYTES,
  );
}

/**
 * §8.7.4 SampleToChunkBox from the sample count of every chunk: one entry per run of chunks
 * with the same count and sample description.
 */
export function stsc(samplesPerChunk: ArrayLike<number>, descriptionIndexOfChunk?: ArrayLike<number>): Uint8Array {
  const entries: number[] = [];
  for (let chunk = 0; chunk < samplesPerChunk.length; chunk++) {
    const count = samplesPerChunk[chunk] as number;
    const description = descriptionIndexOfChunk ? (descriptionIndexOfChunk[chunk] as number) : 1;
    const last = entries.length - 3;
    if (last >= 0 && entries[last + 1] === count && entries[last + 2] === description) continue;
    entries.push(chunk + 1, count, description);
  }
  return fullBox(
    'stsc',
    0,
    0,
    (w) => {
      w.u32(entries.length / 3); // entry_count
      for (let i = 0; i < entries.length; i += 3) w.u32(entries[i]!).u32(entries[i + 1]!).u32(entries[i + 2]!); // first_chunk, samples_per_chunk, sample_description_index
    },
    TABLE_HEADER_BYTES + entries.length * ENTRY_BYTES,
  );
}

/** §8.7.3.2 SampleSizeBox: one size for all when they are equal, else one per sample. */
export function stsz(sizes: ArrayLike<number>): Uint8Array {
  let constant = sizes.length > 0 ? (sizes[0] as number) : 0;
  for (let i = 1; i < sizes.length; i++) if (sizes[i] !== constant) constant = 0;
  return fullBox(
    'stsz',
    0,
    0,
    (w) => {
      w.u32(constant); // sample_size (0: the table follows)
      w.u32(sizes.length); // sample_count
      if (constant === 0) for (let i = 0; i < sizes.length; i++) w.u32(sizes[i] as number); // entry_size
    },
    TABLE_HEADER_BYTES + (constant === 0 ? sizes.length * ENTRY_BYTES : 0),
  );
}

/** §8.7.5 ChunkOffsetBox (stco), or ChunkLargeOffsetBox (co64) when `large`. File offsets of each chunk. */
export function chunkOffsets(offsets: ArrayLike<number>, large: boolean): Uint8Array {
  return fullBox(
    large ? 'co64' : 'stco',
    0,
    0,
    (w) => {
      w.u32(offsets.length); // entry_count
      for (let i = 0; i < offsets.length; i++) {
        if (large) w.u64(offsets[i] as number); // chunk_offset (64-bit)
        else w.u32(offsets[i] as number); // chunk_offset
      }
    },
    TABLE_HEADER_BYTES + offsets.length * (large ? 8 : 4),
  );
}
