/**
 * The relay's in-band header: a key frame carrying parameter sets other than the track header's
 * gives a new CodecPrivate and picture size (judged by the SPS parser and by ffprobe's encoding),
 * and the rewritten Tracks keeps every other track and field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { concatBytes } from '../../../src/formats/bytes/read.js';
import { parseAvcDecoderConfig, parseAvcSps } from '../../../src/formats/codecs/avc.js';
import type { TrackInfo } from '../../../src/formats/matroska/events.js';
import { MatroskaId } from '../../../src/formats/matroska/ids.js';
import { binaryElement, element, stringElement, uintElement } from '../../../src/formats/matroska/writer.js';
import { inBandChange, lengthPrefixedUnits, replaceVideoTrack, startsWholePicture, tidyKeyFrame } from '../../../src/relay/key-frame.js';
import { skipWithoutFfmpeg } from '../formats/isobmff/mkv-source.js';
import { encode, video } from '../formats/codecs/encoded.js';

const prefixed = (...units: Uint8Array[]) => concatBytes(units.flatMap((u) => [Uint8Array.of(0, 0, u.length >> 8, u.length & 0xff), u]));
const IDR_SLICE = Uint8Array.of(0x65, 0x88, 0x84, 0x00);
const AUDIO_ENTRY = element(MatroskaId.TrackEntry, [uintElement(MatroskaId.TrackNumber, 2), uintElement(MatroskaId.TrackType, 2), stringElement(MatroskaId.CodecID, 'A_AAC')]);

function videoTrack(codecPrivate: Uint8Array, codecId = 'V_MPEG4/ISO/AVC'): TrackInfo {
  return { number: 1, uid: undefined, type: 1, codecId, codecPrivate, defaultDurationNs: undefined, name: undefined, video: { pixelWidth: 320, pixelHeight: 240 }, audio: undefined };
}

describe('relay: parameter sets in band', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  let small: Uint8Array;
  let large: Uint8Array;
  let wide: Uint8Array;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-inband-'));
    small = encode(dir, 'small', [...video('320x240'), '-c:v', 'libx264']).codecPrivate;
    large = encode(dir, 'large', [...video('640x480'), '-c:v', 'libx264']).codecPrivate;
    wide = encode(dir, 'wide', [...video('352x288'), '-vf', 'setsar=4/3', '-c:v', 'libx264']).codecPrivate;
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test('a key frame with a new SPS and PPS gives the record ffmpeg would write, and the new size', () => {
    const next = parseAvcDecoderConfig(large);
    const change = inBandChange(videoTrack(small), prefixed(next.sps[0]!, next.pps[0]!, IDR_SLICE));
    assert.ok(change);
    assert.equal(Buffer.from(change.codecPrivate).toString('hex'), Buffer.from(large).toString('hex'));
    assert.deepEqual([change.width, change.height, change.display], [640, 480, undefined]);
  });

  test('a non-square sample aspect ratio gives a display size', () => {
    const next = parseAvcDecoderConfig(wide);
    const change = inBandChange(videoTrack(small), prefixed(next.sps[0]!, next.pps[0]!, IDR_SLICE));
    assert.deepEqual(change?.display, { width: 469, height: 288 });
  });

  test('the same parameter sets, none at all, another codec or an unreadable SPS: no change', () => {
    const same = parseAvcDecoderConfig(small);
    assert.equal(inBandChange(videoTrack(small), prefixed(same.sps[0]!, same.pps[0]!, IDR_SLICE)), undefined);
    // Repeated (an RTP key frame joined with the packet of its parameter sets).
    assert.equal(inBandChange(videoTrack(small), prefixed(same.sps[0]!, same.pps[0]!, same.sps[0]!, same.pps[0]!, IDR_SLICE)), undefined);
    assert.equal(inBandChange(videoTrack(small), prefixed(IDR_SLICE)), undefined);
    const next = parseAvcDecoderConfig(large);
    assert.equal(inBandChange(videoTrack(small, 'V_MPEGH/ISO/HEVC'), prefixed(next.sps[0]!, IDR_SLICE)), undefined);
    assert.equal(inBandChange(videoTrack(small), prefixed(Uint8Array.of(0x67, 0x4d, 0x00), IDR_SLICE)), undefined);
  });

  test('a new SPS without a PPS keeps the PPS the header had', () => {
    const next = parseAvcDecoderConfig(large);
    const change = inBandChange(videoTrack(small), prefixed(next.sps[0]!, IDR_SLICE));
    const record = parseAvcDecoderConfig(change!.codecPrivate);
    assert.deepEqual(record.pps.map((p) => Buffer.from(p).toString('hex')), parseAvcDecoderConfig(small).pps.map((p) => Buffer.from(p).toString('hex')));
    assert.equal(parseAvcSps(record.sps[0]!).width, 640);
  });

  test('Tracks rewritten: the video entry gets the new CodecPrivate and size, the rest is kept', () => {
    const videoEntry = element(MatroskaId.TrackEntry, [
      uintElement(MatroskaId.TrackNumber, 1),
      uintElement(MatroskaId.TrackType, 1),
      stringElement(MatroskaId.CodecID, 'V_MPEG4/ISO/AVC'),
      binaryElement(MatroskaId.CodecPrivate, small),
      element(MatroskaId.Video, [uintElement(MatroskaId.PixelWidth, 320), uintElement(MatroskaId.PixelHeight, 240), uintElement(MatroskaId.DisplayWidth, 320), uintElement(MatroskaId.DisplayHeight, 240)]),
    ]);
    const tracks = element(MatroskaId.Tracks, [videoEntry, AUDIO_ENTRY]);
    const next = parseAvcDecoderConfig(large);
    const change = inBandChange(videoTrack(small), prefixed(next.sps[0]!, next.pps[0]!, IDR_SLICE))!;
    const out = replaceVideoTrack(tracks, 1, change);
    assert.equal(out.tracks.length, 2);
    assert.deepEqual(out.tracks[0]!.video, { pixelWidth: 640, pixelHeight: 480 });
    assert.equal(Buffer.from(out.tracks[0]!.codecPrivate!).toString('hex'), Buffer.from(large).toString('hex'));
    assert.equal(out.tracks[1]!.codecId, 'A_AAC');
    assert.ok(Buffer.from(out.bytes).includes(Buffer.from(AUDIO_ENTRY)), 'the audio entry is copied byte for byte');
  });
});

describe('relay: whole and tidy key pictures', { skip: skipWithoutFfmpeg }, () => {
  let dir = '';
  let track: TrackInfo;
  let sps: Uint8Array;
  let pps: Uint8Array;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-keyframe-'));
    const codecPrivate = encode(dir, 'small', [...video('320x240'), '-c:v', 'libx264']).codecPrivate;
    track = videoTrack(codecPrivate);
    const config = parseAvcDecoderConfig(codecPrivate);
    [sps, pps] = [config.sps[0]!, config.pps[0]!];
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  // first_mb_in_slice is the first ue(v) of a slice header: a leading 1 bit is 0; 010 is 1.
  const firstSlice = Uint8Array.of(0x65, 0x88, 0x80);
  const laterSlice = Uint8Array.of(0x65, 0x40, 0x80);

  test("a key picture starts whole when its first slice starts at the picture's first macroblock", () => {
    assert.equal(startsWholePicture(track, prefixed(sps, pps, firstSlice, laterSlice)), true);
    assert.equal(startsWholePicture(track, prefixed(sps, pps, laterSlice)), false);
    // No slice to judge, or a codec it does not read: not refused.
    assert.equal(startsWholePicture(track, prefixed(sps, pps)), true);
    assert.equal(startsWholePicture(videoTrack(track.codecPrivate!, 'V_VP9'), prefixed(laterSlice)), true);
  });

  test('parameter sets (and delimiters) between the slices of a key picture are dropped; the rest is kept in order', () => {
    const aud = Uint8Array.of(0x09, 0xf0);
    const sei = Uint8Array.of(0x06, 0x05, 0x01);
    const tidy = tidyKeyFrame(track, prefixed(aud, sps, pps, sei, firstSlice, sps, pps, aud, laterSlice));
    assert.deepEqual(lengthPrefixedUnits(tidy!, 4).map((u) => Buffer.from(u).toString('hex')), [aud, sps, pps, sei, firstSlice, laterSlice].map((u) => Buffer.from(u).toString('hex')));
    assert.equal(tidyKeyFrame(track, prefixed(sps, pps, firstSlice, laterSlice)), undefined, 'nothing to drop: unchanged');
    assert.equal(tidyKeyFrame(videoTrack(track.codecPrivate!, 'V_VP9'), prefixed(firstSlice, sps)), undefined);
  });
});

describe('relay: length-prefixed NAL units', () => {
  test('split by their 4-byte lengths; a length that overruns the sample ends the list', () => {
    assert.deepEqual(lengthPrefixedUnits(prefixed(Uint8Array.of(0x67, 1), Uint8Array.of(0x68, 2, 3)), 4).map((u) => [...u]), [[0x67, 1], [0x68, 2, 3]]);
    assert.deepEqual(lengthPrefixedUnits(Uint8Array.of(0, 0, 0, 2, 0x67, 1, 0, 0, 0, 9, 0x65), 4).map((u) => [...u]), [[0x67, 1]]);
    assert.deepEqual(lengthPrefixedUnits(Uint8Array.of(0, 2, 0x67, 1), 2).map((u) => [...u]), [[0x67, 1]]);
  });
});
