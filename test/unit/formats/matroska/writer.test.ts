import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MatroskaId as Id } from '../../../../src/formats/matroska/ids.js';
import {
  blockData,
  ebmlLaceSizes,
  element,
  elementHeader,
  floatElement,
  intElement,
  stringElement,
  uintElement,
  unknownSizeElement,
  xiphLaceSizes,
} from '../../../../src/formats/matroska/writer.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('EBML writer', () => {
  test('element headers: ID octets then the shortest size, or the 8-octet unknown size', () => {
    assert.equal(hex(elementHeader(Id.Cluster, 0)), '1f43b67580');
    assert.equal(hex(elementHeader(Id.Cluster, 200)), '1f43b675' + '40c8');
    assert.equal(hex(elementHeader(Id.Segment, undefined)), '18538067' + '01ffffffffffffff');
    assert.equal(hex(unknownSizeElement(Id.Cluster, [Uint8Array.of(0xe7, 0x81, 0x00)])), '1f43b67501ffffffffffffffe78100');
  });

  test('element() concatenates children', () => {
    assert.equal(hex(element(Id.Video, [uintElement(Id.PixelWidth, 640), uintElement(Id.PixelHeight, 480)])), 'e088' + 'b0820280' + 'ba8201e0');
  });

  test('typed leaves', () => {
    assert.equal(hex(uintElement(Id.Timestamp, 0)), 'e78100');
    assert.equal(hex(uintElement(Id.TimestampScale, 1_000_000)), '2ad7b1830f4240');
    assert.equal(hex(uintElement(Id.TrackUID, 0xffffffffffffffffn)), '73c588ffffffffffffffff');
    assert.equal(hex(intElement(Id.ReferenceBlock, -1)), 'fb81ff');
    assert.equal(hex(intElement(Id.ReferenceBlock, 128)), 'fb820080');
    assert.equal(hex(floatElement(Id.SamplingFrequency, 48000)), 'b588' + '40e7700000000000');
    assert.equal(hex(floatElement(Id.Duration, 1.5, 4)), '4489843fc00000');
    assert.equal(hex(stringElement(Id.DocType, 'webm')), '42828477656' + '26d');
  });

  test('Xiph lace sizes, the RFC 9559 §10.3.2 examples', () => {
    assert.equal(hex(xiphLaceSizes([800, 500])), 'ffffff23' + 'fff5');
    assert.equal(hex(xiphLaceSizes([765])), 'ffffff00');
    assert.equal(hex(xiphLaceSizes([0, 254, 255])), '00' + 'fe' + 'ff00');
  });

  test('EBML lace sizes, the RFC 9559 §10.3.3 example', () => {
    assert.equal(hex(ebmlLaceSizes([800, 500])), '4320' + '5ed3');
  });

  test('block data: track, int16 timestamp, flags, lace header, frames', () => {
    const one = blockData({ track: 1, timecode: -2, key: true, frames: [Uint8Array.of(9, 9)] });
    assert.equal(hex(one), '81' + 'fffe' + '80' + '0909');
    const fixed = blockData({ track: 2, timecode: 0, frames: [Uint8Array.of(1), Uint8Array.of(2)], lacing: 'fixed-size' });
    assert.equal(hex(fixed), '82' + '0000' + '04' + '01' + '0102');
    assert.throws(() => blockData({ track: 1, timecode: 40000, frames: [Uint8Array.of(1)] }), RangeError);
    assert.throws(() => blockData({ track: 1, timecode: 0, frames: [Uint8Array.of(1), Uint8Array.of(2, 3)], lacing: 'fixed-size' }), RangeError);
  });
});
