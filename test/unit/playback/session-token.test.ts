import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAC_BYTES, MAX_TOKEN_LENGTH, newSessionId, SessionTokens, type TokenVerdict } from '../../../src/playback/session-token.js';
import type { DashSession, HlsSession } from '../../../src/playback/session.js';

const SECRET = Buffer.alloc(32, 7);
const NOW = 1_732_000_000_000;

const hls: HlsSession = {
  protocol: 'HLS',
  sessionId: '0123456789abcdef',
  streamId: 42,
  streamName: 'front-door',
  playbackMode: 'ON_DEMAND',
  fragmentSelectorType: 'PRODUCER_TIMESTAMP',
  startTimestampMs: 1_731_990_000_000,
  endTimestampMs: 1_731_990_060_500,
  displayFragmentTimestamp: 'ALWAYS',
  maxFragmentResults: 1000,
  createdAtMs: NOW,
  expiresAtMs: NOW + 300_000,
  anchorMs: 1_731_990_000_040,
  containerFormat: 'MPEG_TS',
  discontinuityMode: 'ON_DISCONTINUITY',
};

const dash: DashSession = {
  protocol: 'DASH',
  sessionId: 'fedcba9876543210',
  streamId: 2 ** 40 + 7,
  streamName: 'caméra-é',
  playbackMode: 'LIVE',
  fragmentSelectorType: 'SERVER_TIMESTAMP',
  startTimestampMs: undefined,
  endTimestampMs: undefined,
  displayFragmentTimestamp: 'NEVER',
  maxFragmentResults: 5,
  createdAtMs: NOW,
  expiresAtMs: NOW + 43_200_000,
  anchorMs: NOW - 9_000,
  displayFragmentNumber: 'ALWAYS',
};

const tokens = new SessionTokens(SECRET);
const failure = (verdict: TokenVerdict) => (verdict.ok ? 'ok' : verdict.failure);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('session tokens: issue and verify', () => {
  test('every option round-trips, HLS and DASH', () => {
    for (const session of [hls, dash, { ...hls, playbackMode: 'LIVE_REPLAY', endTimestampMs: undefined, containerFormat: 'FRAGMENTED_MP4', discontinuityMode: 'ALWAYS', displayFragmentTimestamp: 'NEVER' } as HlsSession]) {
      const verdict = tokens.verify(tokens.issue(session), NOW);
      assert.deepEqual(verdict, { ok: true, session });
    }
  });

  test('URL-safe and short enough to repeat in every playlist line', () => {
    const token = tokens.issue(hls);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.equal(encodeURIComponent(token), token);
    // A 10-character stream name, both range ends: about a hundred characters.
    assert.ok(token.length <= 110, `${token.length} characters`);
    const longest = tokens.issue({ ...hls, streamName: '€'.repeat(256) });
    assert.ok(longest.length <= MAX_TOKEN_LENGTH, `${longest.length}`);
    assert.equal(failure(tokens.verify(longest, NOW)), 'ok');
  });

  test('session ids are random 16-hex-digit strings', () => {
    const ids = new Set(Array.from({ length: 100 }, newSessionId));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  });

  test('expiry: valid until the last millisecond before expiresAtMs', () => {
    const token = tokens.issue(hls);
    assert.equal(failure(tokens.verify(token, hls.expiresAtMs - 1)), 'ok');
    assert.equal(failure(tokens.verify(token, hls.expiresAtMs)), 'expired');
    const verdict = tokens.verify(token, hls.expiresAtMs + 1);
    assert.deepEqual(verdict, { ok: false, failure: 'expired', message: 'Streaming session token is expired' });
  });

  test('a token opens only resources of its own protocol', () => {
    assert.equal(failure(tokens.verify(tokens.issue(hls), NOW, 'HLS')), 'ok');
    assert.equal(failure(tokens.verify(tokens.issue(hls), NOW, 'DASH')), 'wrong-protocol');
    assert.equal(failure(tokens.verify(tokens.issue(dash), NOW, 'HLS')), 'wrong-protocol');
  });

  test('another secret does not verify', () => {
    const other = new SessionTokens(Buffer.alloc(32, 8));
    assert.equal(failure(other.verify(tokens.issue(hls), NOW)), 'tampered');
    assert.throws(() => new SessionTokens(Buffer.alloc(31)), RangeError);
  });
});

describe('session tokens: tampering', () => {
  const token = tokens.issue(hls);
  const bytes = Buffer.from(token, 'base64url');

  test('every character replaced by every other one: never accepted', () => {
    for (let i = 0; i < token.length; i++) {
      for (const ch of ALPHABET) {
        if (ch === token[i]) continue;
        const forged = `${token.slice(0, i)}${ch}${token.slice(i + 1)}`;
        const result = failure(tokens.verify(forged, NOW));
        assert.ok(result === 'tampered' || result === 'malformed', `position ${i} → ${ch}: ${result}`);
      }
    }
  });

  test('every byte altered, re-encoded: the MAC catches it (the format byte is malformed)', () => {
    for (let i = 0; i < bytes.length; i++) {
      const forged = Buffer.from(bytes);
      forged[i] = (forged[i] as number) ^ 0x01;
      assert.equal(failure(tokens.verify(forged.toString('base64url'), NOW)), i === 0 ? 'malformed' : 'tampered', `byte ${i}`);
    }
  });

  test('an extended expiry without the secret is refused', () => {
    const session = { ...hls, expiresAtMs: NOW - 1 };
    const expired = Buffer.from(tokens.issue(session), 'base64url');
    // expiresAtMs is the u48 at byte 23; set it far in the future and keep the old MAC.
    expired.writeUIntBE(NOW + 10_000_000, 23, 6);
    assert.equal(failure(tokens.verify(expired.toString('base64url'), NOW)), 'tampered');
  });

  test('truncated, extended, padded or foreign text is malformed or tampered', () => {
    const cases = {
      empty: '',
      'one char short': token.slice(0, -1),
      'one char more': `${token}A`,
      padded: `${token}=`,
      'with a tilde': `${token}~`,
      'with a space': ` ${token}`,
      'base64 alphabet': token.replaceAll('-', '+').replaceAll('_', '/'),
      huge: 'A'.repeat(MAX_TOKEN_LENGTH + 4),
      'MAC only': bytes.subarray(bytes.length - MAC_BYTES).toString('base64url'),
    };
    for (const [name, forged] of Object.entries(cases)) {
      if (forged === token) continue;
      const result = failure(tokens.verify(forged, NOW));
      assert.ok(result === 'malformed' || result === 'tampered', `${name}: ${result}`);
    }
  });
});

describe('session tokens: what cannot be issued', () => {
  test('bad fields are refused, not silently changed', () => {
    assert.throws(() => tokens.issue({ ...hls, sessionId: 'XYZ' }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, startTimestampMs: -1 }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, startTimestampMs: 1.5 }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, maxFragmentResults: 0 }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, maxFragmentResults: 5001 }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, streamName: '' }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, streamId: -1 }), RangeError);
    assert.throws(() => tokens.issue({ ...hls, anchorMs: 2 ** 48 }), RangeError);
  });
});
