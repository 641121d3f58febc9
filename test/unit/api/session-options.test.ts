import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashSessionOptions, hlsSessionOptions } from '../../../src/api/archived/session-options.js';
import { InvalidArgumentException } from '../../../src/domain/errors.js';

const NOW = 1_700_000_100_000;
const range = (start: number, end?: number) => ({ StartTimestamp: start / 1000, ...(end === undefined ? {} : { EndTimestamp: end / 1000 }) });

test('HLS defaults: LIVE, SERVER_TIMESTAMP, fMP4, discontinuity ALWAYS, 5 fragments, 300 s', () => {
  assert.deepEqual(hlsSessionOptions({}, NOW), {
    protocol: 'HLS', mode: 'LIVE', by: 'server', container: 'FRAGMENTED_MP4', discontinuity: 'ALWAYS',
    displayTimestamp: false, displayNumber: false, maxFragments: 5, expiresInSeconds: 300,
  });
});

test('ON_DEMAND by producer time: NEVER discontinuity, 1000 fragments, the range kept in ms', () => {
  const o = hlsSessionOptions(
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range(NOW - 5000, NOW + 5000) } },
    NOW,
  );
  assert.deepEqual([o.by, o.startMs, o.endMs, o.discontinuity, o.maxFragments], ['producer', NOW - 5000, NOW + 5000, 'NEVER', 1000]);
});

test('the range rules of each mode answer InvalidArgumentException', () => {
  const bad = [
    { PlaybackMode: 'LIVE', HLSFragmentSelector: { TimestampRange: range(NOW - 5000) } },
    { PlaybackMode: 'ON_DEMAND' },
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { TimestampRange: range(NOW - 5000) } },
    { PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { TimestampRange: { EndTimestamp: NOW / 1000 } } },
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { TimestampRange: range(NOW - 5000, NOW - 5000) } },
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { TimestampRange: range(NOW - 25 * 3600_000, NOW - 1) } },
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: range(NOW - 5000, NOW + 1) } },
  ] as const;
  for (const input of bad) assert.throws(() => hlsSessionOptions(input as never, NOW), InvalidArgumentException, JSON.stringify(input));
  const replay = hlsSessionOptions({ PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { TimestampRange: range(NOW - 5000) } }, NOW);
  assert.deepEqual([replay.startMs, replay.endMs], [NOW - 5000, undefined]);
});

test('DASH: always fMP4, kvs:ts and kvs:fn switches, MaxManifestFragmentResults', () => {
  const o = dashSessionOptions({ DisplayFragmentNumber: 'ALWAYS', DisplayFragmentTimestamp: 'ALWAYS', MaxManifestFragmentResults: 42, Expires: 900 }, NOW);
  assert.deepEqual([o.protocol, o.container, o.displayNumber, o.displayTimestamp, o.maxFragments, o.expiresInSeconds], ['DASH', 'FRAGMENTED_MP4', true, true, 42, 900]);
});
