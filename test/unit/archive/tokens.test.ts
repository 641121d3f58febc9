import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionSlots } from '../../../src/archive/connection-slots.js';
import { decodeContinuationToken, encodeContinuationToken } from '../../../src/archive/continuation-token.js';
import { decodeListToken, encodeListToken, sameRange } from '../../../src/archive/list-token.js';
import { formatFragmentNumber } from '../../../src/domain/fragment.js';
import { InvalidArgumentException } from '../../../src/domain/errors.js';

const ARN = 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1700000000000';
const OTHER = 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1700000000001';
const N = formatFragmentNumber(123n);

describe('ListFragments NextToken', () => {
  test('round-trips position and selector, in the model alphabet', () => {
    for (const range of [undefined, { by: 'producer' as const, startMs: -5, endMs: 1_700_000_000_123 }, { by: 'server' as const, startMs: 0, endMs: 0 }]) {
      const token = encodeListToken(ARN, { range, afterNumber: N });
      assert.match(token, /^[a-zA-Z0-9+/]+={0,2}$/);
      assert.ok(token.length <= 4096);
      assert.deepEqual(decodeListToken(ARN, token), { range, afterNumber: N });
    }
  });

  test('refuses a token of another stream, an edited one, and garbage', () => {
    const token = encodeListToken(ARN, { range: undefined, afterNumber: N });
    const refuse = (arn: string, t: string) => assert.throws(() => decodeListToken(arn, t), InvalidArgumentException);
    refuse(OTHER, token);
    const text = Buffer.from(token, 'base64').toString('latin1');
    refuse(ARN, Buffer.from(text.replace('|all|', '|server,0,1|'), 'latin1').toString('base64'));
    refuse(ARN, Buffer.from(text.replace(N, formatFragmentNumber(124n)), 'latin1').toString('base64'));
    for (const garbage of ['', 'AAAA', Buffer.from('v1|all|1|x').toString('base64'), Buffer.from('no separators').toString('base64')]) refuse(ARN, garbage);
  });

  test('sameRange compares selectors, "every fragment" included', () => {
    assert.ok(sameRange(undefined, undefined));
    assert.ok(sameRange({ by: 'server', startMs: 1, endMs: 2 }, { by: 'server', startMs: 1, endMs: 2 }));
    assert.ok(!sameRange({ by: 'server', startMs: 1, endMs: 2 }, { by: 'producer', startMs: 1, endMs: 2 }));
    assert.ok(!sameRange(undefined, { by: 'server', startMs: 1, endMs: 2 }));
  });
});

describe('GetMedia continuation token', () => {
  test('names the fragment to resume after, fits the model pattern, and is bound to its stream', () => {
    const token = encodeContinuationToken(ARN, N);
    assert.match(token, /^[a-zA-Z0-9_.-]+$/);
    assert.ok(token.length <= 128);
    assert.equal(decodeContinuationToken(ARN, token), N);
    assert.throws(() => decodeContinuationToken(OTHER, token), InvalidArgumentException);
    assert.throws(() => decodeContinuationToken(ARN, token.replace(N, formatFragmentNumber(124n))), InvalidArgumentException);
    for (const bad of ['x', `${N}`, `${N}_`, `${N}_00000000`, `${token}_1`, '12_abcdef12']) {
      assert.throws(() => decodeContinuationToken(ARN, bad), InvalidArgumentException, bad);
    }
  });
});

describe('ConnectionSlots', () => {
  test('caps connections per stream; a release frees a slot once, however often it is called', () => {
    const slots = new ConnectionSlots(2);
    const a = slots.acquire(1)!;
    const b = slots.acquire(1)!;
    assert.equal(slots.acquire(1), undefined);
    assert.ok(slots.acquire(2), 'another stream has its own slots');
    a();
    a();
    assert.equal(slots.count(1), 1);
    const c = slots.acquire(1);
    assert.ok(c);
    assert.equal(slots.acquire(1), undefined);
    b();
    c!();
    assert.equal(slots.count(1), 0);
  });
});
