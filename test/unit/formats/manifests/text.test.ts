import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalSeconds, isoInstant, xmlAttribute, xsDuration } from '../../../../src/formats/manifests/text.js';
import { prng } from '../../../helpers/prng.js';

describe('manifest text formats', () => {
  test('decimal seconds: at most three decimals, no trailing zeros', () => {
    assert.deepEqual([1857, 2680, 2000, 5, 50, 0, 1999.6, -1500].map(decimalSeconds), ['1.857', '2.68', '2', '0.005', '0.05', '0', '2', '-1.5']);
    assert.equal(xsDuration(4500), 'PT4.5S');
    assert.throws(() => xsDuration(-1), RangeError);
  });

  test('instants are exactly what Date.toISOString writes, across days, years and odd inputs', () => {
    const random = prng(3);
    const samples = [0, 86_399_999, 86_400_000, 951_782_400_000, 1_643_353_235_931, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5];
    for (let k = 0; k < 20000; k++) samples.push(Math.floor(random() * 4e12));
    for (const ms of samples) assert.equal(isoInstant(ms), new Date(ms).toISOString(), String(ms));
  });

  test('XML attribute escaping', () => {
    assert.equal(xmlAttribute(`a&b<c>"d'`), 'a&amp;b&lt;c&gt;&quot;d&apos;');
  });
});
