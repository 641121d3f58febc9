import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operations as archivedMedia } from '../../../src/api/shapes/kinesis-video-archived-media.js';
import { operations as media } from '../../../src/api/shapes/kinesis-video-media.js';
import { operations as control } from '../../../src/api/shapes/kinesisvideo.js';
import type { Shape } from '../../../src/api/shapes/shape.js';
import { parseTimestampMs, patternFor, validateInput } from '../../../src/api/shapes/validate.js';
import { InvalidArgumentException } from '../../../src/domain/errors.js';

function* patternsOf(shape: Shape): Generator<string> {
  switch (shape.type) {
    case 'string':
      if (shape.pattern !== undefined) yield shape.pattern;
      return;
    case 'structure':
      for (const member of Object.values(shape.members)) yield* patternsOf(member);
      return;
    case 'list':
      yield* patternsOf(shape.member);
      return;
    case 'map':
      yield* patternsOf(shape.key);
      yield* patternsOf(shape.value);
      return;
    default:
      return;
  }
}

const allOperations = { ...control, ...media, ...archivedMedia };

function rejection(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentException);
    return err.message;
  }
  assert.fail('expected an InvalidArgumentException');
}

describe('generated shapes', () => {
  test('every model pattern compiles as a JavaScript unicode regular expression', () => {
    const patterns = new Set(Object.values(allOperations).flatMap((op) => [...patternsOf(op.input)]));
    assert.ok(patterns.size >= 15, `found ${patterns.size} patterns`);
    for (const pattern of patterns) assert.doesNotThrow(() => patternFor(pattern), pattern);
  });

  test('the stream name and ARN patterns accept what AWS accepts and refuse the rest', () => {
    const name = patternFor('[a-zA-Z0-9_.-]+');
    assert.ok(name.test('cam-1_front.v2'));
    assert.ok(!name.test('cam 1'));
    assert.ok(!name.test('cam1\n'), 'patterns are anchored at both ends');
  });
});

describe('validateInput', () => {
  const createStream = control.CreateStream!.input;

  test('accepts a valid request and ignores members the model does not know', () => {
    validateInput(createStream, { StreamName: 'cam1', DataRetentionInHours: 0, Whatever: [1] });
  });

  test('names each failing field, counts the violations and reports them in one error', () => {
    const message = rejection(() => validateInput(createStream, { StreamName: 'a b', DataRetentionInHours: -1, MediaType: '' }));
    assert.match(message, /^4 validation errors detected: /);
    assert.match(message, /Value 'a b' at 'StreamName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    assert.match(message, /Value '-1' at 'DataRetentionInHours' failed to satisfy constraint: Member must have value greater than or equal to 0/);
    assert.match(message, /Value '' at 'MediaType' failed to satisfy constraint: Member must have length greater than or equal to 1/);
    assert.match(message, /Value '' at 'MediaType' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  test('missing required members and explicit nulls are both "must not be null"', () => {
    assert.match(rejection(() => validateInput(createStream, {})), /^1 validation error detected: Value null at 'StreamName'/);
    assert.match(rejection(() => validateInput(createStream, { StreamName: null })), /Value null at 'StreamName'/);
  });

  test('wrong JSON types are validation errors, not crashes', () => {
    assert.match(rejection(() => validateInput(createStream, { StreamName: 7 })), /'StreamName' .*must be a string, got a number/);
    assert.match(rejection(() => validateInput(createStream, { StreamName: 'a', DataRetentionInHours: 1.5 })), /must be an integer/);
    assert.match(rejection(() => validateInput(createStream, { StreamName: 'a', Tags: ['x'] })), /'Tags' .*must be a map, got a list/);
    assert.match(rejection(() => validateInput(createStream, [])), /request body/);
  });

  test('map sizes, keys and enums are checked', () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    assert.match(rejection(() => validateInput(createStream, { StreamName: 'a', Tags: tags })), /'Tags' .*less than or equal to 50/);
    assert.match(rejection(() => validateInput(createStream, { StreamName: 'a', Tags: { '': 'v' } })), /'Tags.key'/);
    const endpoint = control.GetDataEndpoint!.input;
    assert.match(rejection(() => validateInput(endpoint, { StreamName: 'a', APIName: 'PUT' })), /satisfy enum value set: \[PUT_MEDIA/);
  });
});

describe('parseTimestampMs', () => {
  test('reads epoch seconds with fractions and ISO-8601, refuses the rest', () => {
    assert.equal(parseTimestampMs(1700000000.123), 1700000000123);
    assert.equal(parseTimestampMs('2023-11-14T22:13:20.123Z'), 1700000000123);
    assert.equal(parseTimestampMs('yesterday'), undefined);
    assert.equal(parseTimestampMs(Number.NaN), undefined);
    assert.equal(parseTimestampMs(true), undefined);
  });
});
