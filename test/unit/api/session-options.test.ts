import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashSessionOptions, hlsSessionOptions } from '../../../src/api/archived/session-options.js';
import { InvalidArgumentException } from '../../../src/domain/errors.js';

const NOW = 1_700_000_100_000;
const range = (start: number, end?: number) => ({ StartTimestamp: start / 1000, ...(end === undefined ? {} : { EndTimestamp: end / 1000 }) });

test('HLS defaults: LIVE, SERVER_TIMESTAMP, fMP4, discontinuity ALWAYS, 5 fragments, 300 s', () => {
  assert.deepEqual(hlsSessionOptions({}, NOW), {
    protocol: 'HLS', playbackMode: 'LIVE', fragmentSelectorType: 'SERVER_TIMESTAMP', startTimestampMs: undefined, endTimestampMs: undefined,
    containerFormat: 'FRAGMENTED_MP4', discontinuityMode: 'ALWAYS', displayFragmentTimestamp: 'NEVER', maxFragmentResults: 5,
    createdAtMs: NOW, expiresAtMs: NOW + 300_000,
  });
});

test('DASH defaults: LIVE, SERVER_TIMESTAMP, no kvs: attributes, 5 fragments, 300 s', () => {
  assert.deepEqual(dashSessionOptions({}, NOW), {
    protocol: 'DASH', playbackMode: 'LIVE', fragmentSelectorType: 'SERVER_TIMESTAMP', startTimestampMs: undefined, endTimestampMs: undefined,
    displayFragmentTimestamp: 'NEVER', displayFragmentNumber: 'NEVER', maxFragmentResults: 5, createdAtMs: NOW, expiresAtMs: NOW + 300_000,
  });
});

test('ON_DEMAND by producer time: NEVER discontinuity, 1000 fragments, the range kept in ms', () => {
  const o = hlsSessionOptions(
    { PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range(NOW - 5000, NOW + 5000) } },
    NOW,
  );
  assert.deepEqual([o.fragmentSelectorType, o.startTimestampMs, o.endTimestampMs, o.discontinuityMode, o.maxFragmentResults], ['PRODUCER_TIMESTAMP', NOW - 5000, NOW + 5000, 'NEVER', 1000]);
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
  assert.deepEqual([replay.startTimestampMs, replay.endTimestampMs], [NOW - 5000, undefined]);
});

test('DASH: always fMP4, kvs:ts and kvs:fn switches, MaxManifestFragmentResults', () => {
  const o = dashSessionOptions({ DisplayFragmentNumber: 'ALWAYS', DisplayFragmentTimestamp: 'ALWAYS', MaxManifestFragmentResults: 42, Expires: 900 }, NOW);
  assert.deepEqual([o.protocol, o.displayFragmentNumber, o.displayFragmentTimestamp, o.maxFragmentResults, o.expiresAtMs - o.createdAtMs], ['DASH', 'ALWAYS', 'ALWAYS', 42, 900_000]);
});
