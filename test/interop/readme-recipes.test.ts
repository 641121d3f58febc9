import { GetMediaForFragmentListCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isolatedAwsEnv, OPENKVS_CLI } from '../helpers/cli.js';
import { archivedMediaClient, createStream, fragmentsOnceListed, FFMPEG, FFPROBE, mediaToolsSkip, readAll, splitDocuments, withTempFile } from '../helpers/kvs-readers.js';
import { REPO_ROOT } from '../helpers/process.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';

/**
 * The README's recipes for sending video with ffmpeg, run as written (shortened to a few seconds):
 * every fragment they make must be one GOP, opening with its key frame, as KVS expects.
 */

const run = promisify(execFile);
const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const SECONDS = 6;
/** The recipes' GOP: -g 30 at 15 fps. */
const GOP_FRAMES = 30;
const GOP_MS = 2000;

/** The commands of each ```sh block that feeds ffmpeg's output to PutMedia, continuation lines joined. */
function recipeBlocks(): string[][] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1]!.replace(/\\\n\s*/g, '').split('\n').filter((line) => line.trim() !== ''))
    .filter((lines) => lines.some((l) => l.startsWith('ffmpeg ')) && lines.some((l) => /put-media|\/putMedia/.test(l)));
}

/** A recipe line made runnable here: this checkout's CLI, the test server, a stream of its own, live sources cut to SECONDS. */
function adapt(line: string, serverUrl: string, stream: string): string {
  let out = line.replaceAll('npx openkvs', `${process.execPath} ${OPENKVS_CLI}`).replaceAll('http://127.0.0.1:4570', serverUrl).replaceAll('cam1', stream);
  if (out.startsWith('ffmpeg ')) out = out.replace('ffmpeg ', 'ffmpeg -hide_banner -loglevel error -y ');
  if (/ -re /.test(out)) out = out.replace(' -f matroska ', ` -t ${SECONDS} -f matroska `);
  return out;
}

interface VideoPacket {
  readonly key: boolean;
}

/** The video packets of one fragment's document, as ffprobe reads them. */
function videoPackets(document: Buffer): VideoPacket[] {
  const args = ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=flags', '-of', 'csv=p=0'];
  const csv = withTempFile(document, (file) => execFileSync(FFPROBE!, [...args, file], { encoding: 'utf8' }));
  return csv.split('\n').filter((l) => l !== '').map((flags) => ({ key: flags.startsWith('K') }));
}

describe("the README's ffmpeg recipes make one fragment per GOP, each opening with its key frame", { skip: mediaToolsSkip() }, () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-recipes-'));
    // The recording recipe's input: a file like a camera's, with the recipes' GOP and no B-frames.
    await run(FFMPEG!, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440',
      '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(GOP_FRAMES), '-pix_fmt', 'yuv420p', '-c:a', 'aac',
      path.join(dir, 'input.mp4')]);
  });
  after(async () => {
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the README has the recipes (live through put-media, a recording, ffmpeg straight to PutMedia)', () => {
    assert.equal(recipeBlocks().length, 3);
  });

  recipeBlocks().forEach((block, n) => {
    test(`recipe ${n + 1}: ${block[block.length - 1]!.slice(0, 60)}…`, { timeout: 60_000 }, async () => {
      const stream = await createStream(t, `recipe-${n + 1}`);
      const env = { ...isolatedAwsEnv(TEST_CREDENTIALS), AWS_REGION: 'us-east-1', OPENKVS_ENDPOINT: t.url };
      const script = ['set -eo pipefail', ...block.map((line) => adapt(line, t.url, stream))].join('\n');
      await run('/bin/bash', ['-c', script], { cwd: dir, env, timeout: 45_000 });

      const client = await archivedMediaClient(t, stream);
      const fragments = await fragmentsOnceListed(client, stream, (SECONDS * 1000) / GOP_MS);
      assert.equal(fragments.length, (SECONDS * 1000) / GOP_MS, `fragments of ${JSON.stringify(fragments.map((f) => f.FragmentLengthInMilliseconds))} ms`);
      for (const f of fragments) assert.ok(Math.abs(f.FragmentLengthInMilliseconds! - GOP_MS) <= 100, `a fragment of ${f.FragmentLengthInMilliseconds} ms`);

      const media = await client.send(new GetMediaForFragmentListCommand({ StreamName: stream, Fragments: fragments.map((f) => f.FragmentNumber!) }));
      const documents = splitDocuments(await readAll(media.Payload));
      client.destroy();
      documents.forEach((document, i) => {
        const packets = videoPackets(document);
        assert.equal(packets.length, GOP_FRAMES, `fragment ${i} holds one GOP`);
        assert.ok(packets[0]!.key, `fragment ${i} opens with a key frame`);
        assert.equal(packets.filter((p) => p.key).length, 1, `fragment ${i} has one key frame`);
      });
    });
  });
});
