import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceUnavailableException } from '../../../src/domain/errors.js';
import { OpenSessions } from '../../../src/ingest/open-sessions.js';

test('stopAll asks every open session to stop and waits until each has closed', async () => {
  const sessions = new OpenSessions();
  const asked: string[] = [];
  const a = sessions.open(() => asked.push('a'));
  const b = sessions.open(() => asked.push('b'));
  sessions.open(() => asked.push('c')).close();
  let stopped = false;
  const stopping = sessions.stopAll().then(() => (stopped = true));
  assert.deepEqual(asked, ['a', 'b']);
  a.close();
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'b has not closed yet');
  b.close();
  await stopping;
});

test('once stopping, no session opens (503, which producers retry)', async () => {
  const sessions = new OpenSessions();
  await sessions.stopAll();
  assert.throws(() => sessions.open(() => {}), ServiceUnavailableException);
});
