/**
 * Whether an H.264 access unit is a non-reference picture: no later picture predicts from it, so
 * a decoder heading for another frame of its GOP may skip it. ITU-T H.264 §7.4.1: nal_ref_idc
 * equal to 0 on a slice means the picture is not used for reference; a picture is disposable
 * only if every one of its slices says so. (GetImages decodes from the key frame to the sample;
 * with B-frames, most non-reference frames on the way can be left out.)
 *
 * H.265 is not handled: its sub-layer non-reference types (TRAIL_N, …) may still be referenced by
 * pictures of a higher temporal sub-layer, which needs more than the NAL header to rule out.
 */

const AVC_SLICE_NON_IDR = 1;
const AVC_SLICE_IDR = 5;

/** A length-prefixed H.264 sample (the Matroska / avcC layout) is a non-reference picture. */
export function isAvcNonReference(sample: Uint8Array, nalLengthSize: number): boolean {
  let sawSlice = false;
  let at = 0;
  while (at + nalLengthSize < sample.length) {
    let length = 0;
    for (let i = 0; i < nalLengthSize; i++) length = length * 256 + sample[at + i]!;
    at += nalLengthSize;
    if (length === 0 || at + length > sample.length) return false;
    const header = sample[at]!;
    const type = header & 0x1f;
    if (type >= AVC_SLICE_NON_IDR && type <= AVC_SLICE_IDR) {
      if ((header & 0x60) !== 0) return false;
      sawSlice = true;
    }
    at += length;
  }
  return sawSlice;
}
