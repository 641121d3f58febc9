import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  loadOrCreateSessionSecret,
  parseConfiguredSecret,
  resolveSessionSecret,
  SESSION_SECRET_FILE,
  SessionSecretError,
} from '../../../src/playback/session-secret.js';

describe('session secret', () => {
  let root = '';
  before(() => (root = mkdtempSync(path.join(tmpdir(), 'openkvs-secret-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('created once in the data dir (0600, 32 bytes), then read back unchanged', async () => {
    const dataDir = path.join(root, 'a', 'data');
    const first = await loadOrCreateSessionSecret(dataDir);
    assert.equal(first.length, 32);
    const file = path.join(dataDir, SESSION_SECRET_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(await loadOrCreateSessionSecret(dataDir), first);
    assert.deepEqual(readdirSync(dataDir), [SESSION_SECRET_FILE], 'no temporary file left behind');
  });

  test('two secrets are different', async () => {
    const a = await loadOrCreateSessionSecret(path.join(root, 'x'));
    const b = await loadOrCreateSessionSecret(path.join(root, 'y'));
    assert.notDeepEqual(a, b);
  });

  test('racing creators all end up with the one secret that was linked in', async () => {
    const dataDir = path.join(root, 'race');
    const secrets = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateSessionSecret(dataDir)));
    for (const secret of secrets) assert.deepEqual(secret, secrets[0]);
    assert.deepEqual(readdirSync(dataDir), [SESSION_SECRET_FILE]);
  });

  test('a file of the wrong size is an error, not silently replaced', async () => {
    const dataDir = path.join(root, 'corrupt');
    await loadOrCreateSessionSecret(dataDir);
    writeFileSync(path.join(dataDir, SESSION_SECRET_FILE), Buffer.alloc(31));
    await assert.rejects(loadOrCreateSessionSecret(dataDir), SessionSecretError);
  });

  test('a configured secret wins and no file is written', async () => {
    const dataDir = path.join(root, 'configured');
    const hex = 'ab'.repeat(32);
    assert.deepEqual(await resolveSessionSecret({ dataDir, configured: hex }), Buffer.alloc(32, 0xab));
    assert.throws(() => readdirSync(dataDir), /ENOENT/);
    assert.equal((await resolveSessionSecret({ dataDir, configured: '' })).length, 32, 'empty: falls back to the data dir');
  });

  test('configured forms: hex, base64, base64url; too short or garbage refused', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, k) => k * 7));
    assert.deepEqual(parseConfiguredSecret(bytes.toString('hex')), bytes);
    assert.deepEqual(parseConfiguredSecret(` ${bytes.toString('base64')}\n`), bytes);
    assert.deepEqual(parseConfiguredSecret(bytes.toString('base64url')), bytes);
    assert.throws(() => parseConfiguredSecret('ab'.repeat(31)), SessionSecretError);
    assert.throws(() => parseConfiguredSecret(Buffer.alloc(16).toString('base64')), SessionSecretError);
    assert.throws(() => parseConfiguredSecret('not a secret at all, clearly'), SessionSecretError);
  });
});
