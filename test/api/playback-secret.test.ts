/**
 * The session token secret: kept in the data dir across restarts, or configured
 * (--session-secret / OPENKVS_SESSION_SECRET) so that every node of a cluster verifies every
 * other node's tokens; a secret that is not one refuses to start.
 */
import { GetHLSStreamingSessionURLCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { archivedMediaClient, getResource, streamWithFixture } from '../helpers/playback.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SECRET_A = 'a'.repeat(64);
const SECRET_B = 'b'.repeat(64);

async function sessionUrl(kvs: TestServer): Promise<string> {
  const client = await archivedMediaClient(kvs, 'cam', 'GET_HLS_STREAMING_SESSION_URL');
  try {
    const range = { StartTimestamp: new Date(1_700_000_000_000), EndTimestamp: new Date(1_700_000_010_000) };
    const input = { StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range } } as const;
    return (await client.send(new GetHLSStreamingSessionURLCommand(input))).HLSStreamingSessionURL!;
  } finally {
    client.destroy();
  }
}

/** The same session's master playlist on another server (same data dir, other port). */
const onServer = (url: string, kvs: TestServer) => `${kvs.url}${new URL(url).pathname}${new URL(url).search}`;

test('a token survives a restart: the secret is kept in the data dir', async () => {
  const first = await startTestServer();
  await streamWithFixture(first, 'cam', 'h264.mkv');
  const url = await sessionUrl(first);
  await first.stop();
  const second = await startTestServer({ dataDir: first.dataDir });
  try {
    assert.equal((await getResource(onServer(url, second))).status, 200);
  } finally {
    await second.dispose();
  }
});

test('a configured secret: nodes sharing it verify each other, another secret does not; a bad one refuses to start', async () => {
  const a = await startTestServer({ sessionSecret: SECRET_A });
  await streamWithFixture(a, 'cam', 'h264.mkv');
  const url = await sessionUrl(a);
  await a.stop();
  const sameSecret = await startTestServer({ dataDir: a.dataDir, sessionSecret: SECRET_A });
  assert.equal((await getResource(onServer(url, sameSecret))).status, 200);
  await sameSecret.stop();
  const otherSecret = await startTestServer({ dataDir: a.dataDir, sessionSecret: SECRET_B });
  try {
    const refused = await getResource(onServer(url, otherSecret));
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('x-amzn-errortype')?.split(':')[0], 'NotAuthorizedException');
    await assert.rejects(startTestServer({ dataDir: a.dataDir, sessionSecret: 'too-short' }), ConfigError);
  } finally {
    await otherSecret.dispose();
  }
});
