import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_CREDENTIALS } from '../helpers/server.js';

test('playback paths skip SigV4 and answer with CORS headers, errors included', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'openkvs-cred-'));
  const credentialsFile = join(dir, 'credentials');
  await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
  const kvs = await startTestServer({ credentialsFile });
  t.after(async () => {
    await kvs.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const unknown = await fetch(`${kvs.url}/hls/v1/getNothing.m3u8?SessionToken=x`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('access-control-allow-origin'), '*');
  assert.equal(unknown.headers.get('x-amzn-errortype')?.split(':')[0], 'UnknownOperationException');

  // The same unsigned request to an API path is refused: only playback paths skip SigV4. The
  // refusal carries CORS headers too, so a page's SDK can read its error name.
  const api = await fetch(`${kvs.url}/listStreams`, { method: 'POST', body: '{}' });
  assert.equal(api.status, 403);
  assert.equal(api.headers.get('access-control-allow-origin'), '*');
});
