import type { FrameEntry } from './fragment.js';

/**
 * The frame index's stored form: 20 bytes per frame, little-endian, so that readers (clips,
 * HLS/DASH segments) get every frame's time and byte range without re-parsing Matroska.
 *
 *   u16 track | u8 flags (bit 0: key frame) | u8 reserved | i32 timecode | u32 duration
 *   | u32 payload offset | u32 payload size
 */
const ENTRY_BYTES = 20;
const KEY_FLAG = 1;
/** Track numbers the frame index can hold; the ingest refuses larger ones. */
export const MAX_INDEXED_TRACK_NUMBER = 0xffff;

export function encodeFrameIndex(frames: readonly FrameEntry[]): Uint8Array {
  const bytes = new Uint8Array(frames.length * ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  frames.forEach((frame, i) => {
    const at = i * ENTRY_BYTES;
    view.setUint16(at, frame.track, true);
    view.setUint8(at + 2, frame.key ? KEY_FLAG : 0);
    view.setInt32(at + 4, frame.timecode, true);
    view.setUint32(at + 8, frame.duration, true);
    view.setUint32(at + 12, frame.offset, true);
    view.setUint32(at + 16, frame.size, true);
  });
  return bytes;
}

export function decodeFrameIndex(bytes: Uint8Array): FrameEntry[] {
  if (bytes.byteLength % ENTRY_BYTES !== 0) throw new Error(`frame index of ${bytes.byteLength} bytes is not a whole number of entries`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: FrameEntry[] = [];
  for (let at = 0; at < bytes.byteLength; at += ENTRY_BYTES) {
    frames.push({
      track: view.getUint16(at, true),
      key: (view.getUint8(at + 2) & KEY_FLAG) !== 0,
      timecode: view.getInt32(at + 4, true),
      duration: view.getUint32(at + 8, true),
      offset: view.getUint32(at + 12, true),
      size: view.getUint32(at + 16, true),
    });
  }
  return frames;
}
