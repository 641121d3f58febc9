/**
 * Movie fragment boxes (ISO/IEC 14496-12 §8.8): the mvex / trex defaults of an init segment and
 * the moof of a media segment (mfhd, traf with tfhd, tfdt and one trun per track).
 */
import { containerBox, fullBox } from './box.js';

/** §8.8.3.1 sample flags: sample_depends_on = 2 (an I-frame / any audio frame), a sync sample. */
export const SYNC_SAMPLE_FLAGS = 0x02000000;
/** §8.8.3.1 sample flags: sample_depends_on = 1, sample_is_non_sync_sample = 1. */
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

/** §8.8.1 MovieExtendsBox with one §8.8.3 TrackExtendsBox per track. */
export function mvex(trackIds: readonly number[]): Uint8Array {
  return containerBox('mvex', trackIds.map(trex));
}

function trex(trackId: number): Uint8Array {
  return fullBox('trex', 0, 0, (w) => {
    w.u32(trackId); // track_ID
    w.u32(1); // default_sample_description_index
    w.u32(0); // default_sample_duration (every trun says)
    w.u32(0); // default_sample_size (every trun says)
    w.u32(0); // default_sample_flags (every traf says)
  });
}

/** §8.8.5 MovieFragmentHeaderBox. */
export function mfhd(sequenceNumber: number): Uint8Array {
  return fullBox('mfhd', 0, 0, (w) => w.u32(sequenceNumber)); // sequence_number
}

/** §8.8.7 tfhd flags. */
const TFHD_DEFAULT_SAMPLE_FLAGS_PRESENT = 0x000020;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

/**
 * §8.8.7 TrackFragmentHeaderBox: offsets count from the moof (default-base-is-moof, as CMAF
 * requires), with the flags of the samples a trun does not flag one by one.
 */
export function tfhd(trackId: number, defaultSampleFlags: number): Uint8Array {
  return fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF | TFHD_DEFAULT_SAMPLE_FLAGS_PRESENT, (w) => {
    w.u32(trackId); // track_ID
    w.u32(defaultSampleFlags); // default_sample_flags
  });
}

/** §8.8.12 TrackFragmentBaseMediaDecodeTimeBox, 64-bit. */
export function tfdt(baseMediaDecodeTime: number): Uint8Array {
  return fullBox('tfdt', 1, 0, (w) => w.u64(baseMediaDecodeTime)); // baseMediaDecodeTime
}

/** §8.8.8 trun flags. */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_COMPOSITION_OFFSET = 0x000800;

export interface TrackRun {
  readonly durations: ArrayLike<number>;
  readonly sizes: ArrayLike<number>;
  readonly keys: ArrayLike<boolean>;
  /** Presentation minus decode time per sample; undefined when all are 0. */
  readonly compositionOffsets: ArrayLike<number> | undefined;
}

/** How a run's sample flags are written: all alike (tfhd default), only the first differs, or one each. */
export function runFlagsLayout(keys: ArrayLike<boolean>): { defaultFlags: number; firstFlags: number | undefined; perSample: boolean } {
  let laterKeys = 0;
  for (let i = 1; i < keys.length; i++) if (keys[i]) laterKeys++;
  const first = keys.length > 0 && keys[0] === true;
  if (laterKeys === keys.length - 1) return { defaultFlags: first ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, firstFlags: undefined, perSample: !first && keys.length > 1 };
  if (laterKeys === 0) return { defaultFlags: NON_SYNC_SAMPLE_FLAGS, firstFlags: first ? SYNC_SAMPLE_FLAGS : undefined, perSample: false };
  return { defaultFlags: NON_SYNC_SAMPLE_FLAGS, firstFlags: undefined, perSample: true };
}

/**
 * §8.8.8 TrackRunBox: `dataOffset` from the start of the moof to this run's first payload byte.
 * Version 1 (signed composition offsets) only when an offset is negative.
 */
export function trun(run: TrackRun, dataOffset: number, layout: ReturnType<typeof runFlagsLayout>): Uint8Array {
  const count = run.sizes.length;
  const offsets = run.compositionOffsets;
  let signed = false;
  if (offsets) for (let i = 0; i < count; i++) if ((offsets[i] as number) < 0) signed = true;
  let flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE;
  if (layout.firstFlags !== undefined) flags |= TRUN_FIRST_SAMPLE_FLAGS;
  if (layout.perSample) flags |= TRUN_SAMPLE_FLAGS;
  if (offsets) flags |= TRUN_SAMPLE_COMPOSITION_OFFSET;
  const perSampleBytes = 8 + (layout.perSample ? 4 : 0) + (offsets ? 4 : 0);
  return fullBox(
    'trun',
    signed ? 1 : 0,
    flags,
    (w) => {
      w.u32(count); // sample_count
      w.i32(dataOffset); // data_offset
      if (layout.firstFlags !== undefined) w.u32(layout.firstFlags); // first_sample_flags
      for (let i = 0; i < count; i++) {
        w.u32(run.durations[i] as number); // sample_duration
        w.u32(run.sizes[i] as number); // sample_size
        if (layout.perSample) w.u32(run.keys[i] ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS); // sample_flags
        if (offsets && signed) w.i32(offsets[i] as number); // sample_composition_time_offset (signed)
        else if (offsets) w.u32(offsets[i] as number); // sample_composition_time_offset
      }
    },
    24 + count * perSampleBytes,
  );
}

/** §8.8.6 TrackFragmentBox. */
export function traf(children: readonly Uint8Array[]): Uint8Array {
  return containerBox('traf', children);
}

/** §8.8.4 MovieFragmentBox. */
export function moof(children: readonly Uint8Array[]): Uint8Array {
  return containerBox('moof', children);
}
