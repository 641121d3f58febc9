import assert from 'node:assert/strict';
import { test } from 'node:test';

test("the package exports the client as 'openkvs/client'", async () => {
  // Resolved through package.json "exports" (a self-reference), as an installed package would be.
  const specifier: string = 'openkvs/client';
  const client = (await import(specifier)) as Record<string, unknown>;
  for (const name of ['putMedia', 'PutMediaHttpError', 'signRequest', 'paceByClusterTimecodes', 'ACK_ERROR_CODES', 'CLIENT_VERSION']) {
    assert.ok(name in client, name);
  }
  assert.equal(typeof client['putMedia'], 'function');
});
