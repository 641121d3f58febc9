/**
 * Revocation without a restart: `openkvs serve` re-reads --credentials on SIGHUP. A live PutMedia
 * of the removed key ends with an ERROR ack (4003), every fragment it had acked PERSISTED is
 * still listed, and the key is refused from then on; a file that does not load changes nothing.
 */
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { putMedia, type AckEvent, type PutMediaHttpError } from '../../src/client/index.js';
import { REPO_ROOT, spawnServer, type RunningServer } from '../helpers/process.js';
import { rejection } from '../helpers/server.js';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
const ADMIN = { accessKeyId: 'AKIDADMIN', secretAccessKey: 'admin-secret' };
const CAMERA = { accessKeyId: 'AKIDCAMERA1', secretAccessKey: 'camera-one-secret-never-logged' };

async function* bodyOf(...parts: Uint8Array[]) {
  yield* parts;
}

describe('SIGHUP re-reads --credentials', () => {
  let dir: string;
  let credentialsFile: string;
  let server: RunningServer;
  const admin = () => ({ region: 'us-east-1', credentials: ADMIN, maxAttempts: 1, endpoint: server.url });
  const writeKeys = (withCamera: boolean) =>
    writeFile(
      credentialsFile,
      `[admin]\naws_access_key_id=${ADMIN.accessKeyId}\naws_secret_access_key=${ADMIN.secretAccessKey}\n` +
        (withCamera ? `[camera-1]\naws_access_key_id=${CAMERA.accessKeyId}\naws_secret_access_key=${CAMERA.secretAccessKey}\npolicy=camera.json\n` : ''),
    );
  const hangUp = async (marker: RegExp) => {
    const seen = server.lines.length;
    process.kill(server.child.pid!, 'SIGHUP');
    for (let i = 0; i < 100 && !server.lines.slice(seen).some((l) => marker.test(l)); i++) await sleep(50);
    assert.ok(server.lines.slice(seen).some((l) => marker.test(l)), `no log line matching ${marker}`);
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-sighup-'));
    credentialsFile = path.join(dir, 'credentials');
    await writeFile(
      path.join(dir, 'camera.json'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kinesisvideo:PutMedia', 'kinesisvideo:DescribeStream'], Resource: 'arn:aws:kinesisvideo:*:*:stream/cam-1/*' }] }),
    );
    await writeKeys(true);
    server = await spawnServer(process.execPath, [CLI, 'serve'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: path.join(dir, 'data'), OPENKVS_CREDENTIALS: credentialsFile });
    await new KinesisVideoClient(admin()).send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 1 }));
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0);
    await rm(dir, { recursive: true, force: true });
  });

  it('a file that does not load leaves the keys in force', async () => {
    await writeFile(credentialsFile, '[admin]\naws_access_key_id=ONLY-AN-ID\n');
    await hangUp(/credentials not reloaded/);
    await writeKeys(true);
    const session = putMedia({ endpoint: server.url, streamName: 'cam-1', body: bodyOf(streamHeader(), cluster({ timecode: 0, frames: [new Uint8Array(100)], frameMs: 33, knownSize: true })), timecodeType: 'RELATIVE', credentials: CAMERA, region: 'us-east-1' });
    for await (const ack of session) void ack;
    assert.equal((await session.done).errors.length, 0);
  });

  it('removing a key ends its live PutMedia with an ERROR ack; what was PERSISTED stays; the key is refused after', async () => {
    const rng = prng(7);
    let stop = false;
    // A real-time camera: one 200-ms fragment every 200 ms until the server ends the session.
    async function* camera() {
      yield streamHeader();
      for (let i = 0; !stop && i < 300; i++) {
        yield cluster({ timecode: i * 200, frames: Array.from({ length: 5 }, () => randomBytes(rng, 2000)), frameMs: 40, knownSize: true });
        await sleep(200);
      }
    }
    const session = putMedia({ endpoint: server.url, streamName: 'cam-1', body: camera(), timecodeType: 'RELATIVE', credentials: CAMERA, region: 'us-east-1' });
    const acks: AckEvent[] = [];
    const reading = (async () => {
      for await (const ack of session) acks.push(ack);
    })();
    while (acks.filter((a) => a.type === 'PERSISTED').length < 3) await sleep(50);

    await writeKeys(false);
    await hangUp(/credentials reloaded/);
    await Promise.race([reading, sleep(10_000).then(() => assert.fail('the PutMedia session did not end'))]);
    stop = true;
    const summary = await session.done;

    const error = acks.find((a) => a.type === 'ERROR');
    assert.ok(error && error.type === 'ERROR', JSON.stringify(acks.map((a) => a.type)));
    assert.deepEqual([error.errorId, error.errorCode], [4003, 'MAX_CONNECTION_DURATION_REACHED']);
    assert.equal(acks.at(-1)?.type, 'ERROR', 'nothing after the error ack');
    assert.ok(!summary.bodyComplete, 'the server ended the session before the camera did');

    const persisted = acks.filter((a) => a.type === 'PERSISTED').map((a) => a.fragmentNumber);
    const listed = (await new KinesisVideoArchivedMediaClient(admin()).send(new ListFragmentsCommand({ StreamName: 'cam-1' }))).Fragments!.map((f) => f.FragmentNumber);
    for (const number of persisted) assert.ok(listed.includes(number), `PERSISTED fragment ${number} is listed`);

    const again = putMedia({ endpoint: server.url, streamName: 'cam-1', body: bodyOf(streamHeader()), timecodeType: 'RELATIVE', credentials: CAMERA, region: 'us-east-1' });
    const refused = (await rejection(() => again.done)) as unknown as PutMediaHttpError;
    assert.deepEqual([refused.errorType, refused.statusCode], ['UnrecognizedClientException', 403]);

    const revokedLine = server.lines.find((l) => l.includes('PutMedia ended: credentials revoked'));
    assert.ok(revokedLine?.includes(CAMERA.accessKeyId), revokedLine);
    assert.ok(!server.lines.some((l) => l.includes(CAMERA.secretAccessKey)), 'the secret is never logged');
  });
});
