import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckObjectSplitter, AckProtocolError, parseAck } from '../../../src/client/acks.js';

const encode = (text: string) => new TextEncoder().encode(text);

/** Feeds `text` in pieces of `size` bytes and collects every object. */
function splitInPieces(text: string, size: number): string[] {
  const bytes = encode(text);
  const splitter = new AckObjectSplitter();
  const objects: string[] = [];
  for (let i = 0; i < bytes.length; i += size) objects.push(...splitter.push(bytes.subarray(i, i + size)));
  assert.equal(splitter.pending, false);
  return objects;
}

describe('AckObjectSplitter', () => {
  const stream =
    '{"EventType":"BUFFERING","FragmentTimecode":1600994737365,"FragmentNumber":"91343852333201125542827014461086117693478321416"}\n' +
    '{"EventType":"RECEIVED","FragmentTimecode":1600994737365,"FragmentNumber":"91343852333201125542827014461086117693478321416"}\n' +
    '{"EventType":"ERROR","ErrorId":4009,"ErrorCode":"x{y}\\"z – ü"}\n';

  test('whatever the chunking, even byte by byte through multi-byte UTF-8, the same three objects', () => {
    const expected = stream.trim().split('\n');
    for (const size of [1, 2, 3, 7, 64, stream.length]) assert.deepEqual(splitInPieces(stream, size), expected, `pieces of ${size}`);
  });

  test('acks merged without newlines, and with CRLF or blank lines between', () => {
    assert.deepEqual(splitInPieces('{"a":1}{"b":{"c":2}}\r\n\r\n {"d":"}"}', 100), ['{"a":1}', '{"b":{"c":2}}', '{"d":"}"}']);
  });

  test('anything else between acks is a protocol error', () => {
    assert.throws(() => new AckObjectSplitter().push(encode('{"a":1}\nHTTP/1.1 500')), AckProtocolError);
  });

  test('an ack that never ends is a protocol error, not unbounded memory', () => {
    const splitter = new AckObjectSplitter();
    splitter.push(encode('{"EventType":"'));
    assert.throws(() => splitter.push(new Uint8Array(70_000).fill(0x61)), AckProtocolError);
  });
});

describe('parseAck', () => {
  test('typed events with the fragment fields, and the raw object', () => {
    const ack = parseAck('{"EventType":"PERSISTED","FragmentTimecode":1597730826769,"FragmentNumber":"91343852333181481915235394203149336554319348843"}');
    assert.deepEqual(ack, {
      type: 'PERSISTED',
      fragmentTimecode: 1597730826769,
      fragmentNumber: '91343852333181481915235394203149336554319348843',
      raw: { EventType: 'PERSISTED', FragmentTimecode: 1597730826769, FragmentNumber: '91343852333181481915235394203149336554319348843' },
    });
  });

  test('IDLE without fragment fields leaves them out', () => {
    assert.deepEqual(parseAck('{"EventType":"IDLE"}'), { type: 'IDLE', raw: { EventType: 'IDLE' } });
  });

  test('ERROR: numeric ErrorId, or a string one (old docs); a missing ErrorCode comes from the id', () => {
    assert.deepEqual(parseAck('{"EventType":"ERROR","ErrorId":4006,"ErrorCode":"INVALID_MKV_DATA","FragmentTimecode":0}'), {
      type: 'ERROR',
      errorId: 4006,
      errorCode: 'INVALID_MKV_DATA',
      fragmentTimecode: 0,
      raw: { EventType: 'ERROR', ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA', FragmentTimecode: 0 },
    });
    const fromString = parseAck('{"EventType":"ERROR","ErrorId":"4010"}');
    assert.ok(fromString?.type === 'ERROR');
    assert.equal(fromString.errorId, 4010);
    assert.equal(fromString.errorCode, 'TRACK_NUMBER_MISMATCH');
  });

  test('an unknown EventType is skipped; non-JSON and non-objects are protocol errors', () => {
    assert.equal(parseAck('{"EventType":"SOMETHING_NEW"}'), undefined);
    assert.throws(() => parseAck('{"EventType":'), AckProtocolError);
    assert.throws(() => parseAck('[1]'), AckProtocolError);
  });
});
