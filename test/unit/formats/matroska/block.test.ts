import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MkvFormatError } from '../../../../src/formats/matroska/events.js';
import { newBlockHeader, parseBlockHeader } from '../../../../src/formats/matroska/block.js';
import { blockData } from '../../../../src/formats/matroska/writer.js';
import { frameBytes } from './streams.js';

describe('block headers (RFC 9559 §10.1–10.3)', () => {
  test('a prefix shorter than the header asks for more; the full header parses', () => {
    const set = [frameBytes(800, 1), frameBytes(500, 2), frameBytes(1000, 3)];
    for (const lacing of ['none', 'xiph', 'ebml', 'fixed-size'] as const) {
      const frames = lacing === 'none' ? [set[0] as Uint8Array] : lacing === 'fixed-size' ? [set[0], set[0]] as Uint8Array[] : set;
      const data = blockData({ track: 300, timecode: -1, key: true, frames, lacing });
      const out = newBlockHeader();
      let headerSize = 0;
      for (let n = 0; n <= data.length; n++) {
        if (parseBlockHeader(data.subarray(0, n), data.length, 0, out)) {
          headerSize = n;
          break;
        }
      }
      assert.ok(headerSize > 0, lacing);
      assert.equal(out.headerSize, headerSize, `${lacing}: header known exactly when complete`);
      assert.equal(out.track, 300);
      assert.equal(out.timecode, -1);
      assert.equal(out.flags & 0x80, 0x80);
      assert.deepEqual(out.laceSizes.slice(0, out.laceCount), frames.map((f) => f.length));
    }
  });

  test('the RFC 9559 §10.3 examples: 800, 500 and 1000-octet frames', () => {
    const out = newBlockHeader();
    const xiph = Uint8Array.of(0x81, 0, 0, 0x02, 0x02, 0xff, 0xff, 0xff, 0x23, 0xff, 0xf5);
    assert.equal(parseBlockHeader(xiph, 2311, 0, out), true);
    assert.deepEqual([out.headerSize, ...out.laceSizes.slice(0, 3)], [11, 800, 500, 1000]);
    const ebml = Uint8Array.of(0x81, 0, 0, 0x06, 0x02, 0x43, 0x20, 0x5e, 0xd3);
    // The RFC's table says 2308 octets but counts octet 8 twice (sizes end at 8, frame 1 starts
    // at 8); with a 9-octet header the three frames need 2309.
    assert.equal(parseBlockHeader(ebml, 2309, 0, out), true);
    assert.deepEqual([out.headerSize, ...out.laceSizes.slice(0, 3)], [9, 800, 500, 1000]);
    const fixed = Uint8Array.of(0x81, 0, 0, 0x04, 0x02);
    assert.equal(parseBlockHeader(fixed, 2405, 0, out), true);
    assert.deepEqual([out.headerSize, ...out.laceSizes.slice(0, 3)], [5, 800, 800, 800]);
  });

  test('errors carry the given offset', () => {
    const out = newBlockHeader();
    assert.throws(
      () => parseBlockHeader(Uint8Array.of(0x81, 0, 0), 3, 1234, out),
      (e: unknown) => e instanceof MkvFormatError && e.offset === 1234,
    );
  });
});
