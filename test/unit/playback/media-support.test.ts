import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedStreamMediaTypeException } from '../../../src/domain/errors.js';
import { playableTracks } from '../../../src/playback/media-support.js';

const avc = { trackNumber: 1, codecId: 'V_MPEG4/ISO/AVC' };
const hevc = { trackNumber: 1, codecId: 'V_MPEGH/ISO/HEVC' };
const aac = { trackNumber: 2, codecId: 'A_AAC' };
/** WAVEFORMATEX with wFormatTag 6 (A-law), little-endian. */
const alaw = { trackNumber: 2, codecId: 'A_MS/ACM', codecPrivate: Uint8Array.of(6, 0, 1, 0, 0x40, 0x1f, 0, 0) };
const pcm = { trackNumber: 2, codecId: 'A_MS/ACM', codecPrivate: Uint8Array.of(1, 0, 1, 0) };

describe('which streams HLS and DASH can play', () => {
  test('H.264 or H.265 video, optionally with AAC, for both', () => {
    for (const protocol of ['HLS', 'DASH'] as const) {
      assert.deepEqual(playableTracks(protocol, [avc, aac]), { video: { trackNumber: 1, codec: 'H264' }, audio: { trackNumber: 2, codec: 'AAC' } });
      assert.deepEqual(playableTracks(protocol, [hevc]), { video: { trackNumber: 1, codec: 'H265' }, audio: undefined });
      assert.equal(playableTracks(protocol, [{ trackNumber: 1, codecId: 'V_MPEG/ISO/AVC' }]).video?.codec, 'H264');
    }
  });

  test('G.711 plays in DASH only; HLS (fMP4 and TS) answers UnsupportedStreamMediaType', () => {
    assert.deepEqual(playableTracks('DASH', [avc, alaw]).audio, { trackNumber: 2, codec: 'G711' });
    assert.throws(() => playableTracks('HLS', [avc, alaw]), (error: unknown) => error instanceof UnsupportedStreamMediaTypeException && error.httpStatus === 400 && /Track 2/.test(error.message));
    assert.throws(() => playableTracks('DASH', [avc, pcm]), UnsupportedStreamMediaTypeException);
  });

  test('audio alone: AAC for HLS only', () => {
    assert.deepEqual(playableTracks('HLS', [{ ...aac, trackNumber: 1 }]), { video: undefined, audio: { trackNumber: 1, codec: 'AAC' } });
    assert.throws(() => playableTracks('DASH', [{ ...aac, trackNumber: 1 }]), UnsupportedStreamMediaTypeException);
  });

  test('anything else is refused', () => {
    for (const tracks of [[], [{ trackNumber: 1, codecId: 'V_VP9' }], [avc, { trackNumber: 2, codecId: 'A_OPUS' }], [avc, aac, aac], [aac, avc]]) {
      assert.throws(() => playableTracks('HLS', tracks), UnsupportedStreamMediaTypeException, JSON.stringify(tracks));
    }
  });
});
