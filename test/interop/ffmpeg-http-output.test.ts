import { GetMediaForFragmentListCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { archivedMediaClient, createStream, fragmentsOnceListed, decodeErrors, FFMPEG, framemd5, mediaToolsSkip, readAll, splitDocuments } from '../helpers/kvs-readers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * ffmpeg as the producer, with its own HTTP output and no openkvs code on its side: a live test
 * pattern (H.264 without B-frames + AAC, one Cluster per 2-s GOP) POSTed to /putMedia. ffmpeg
 * reads no acks and closes its socket right after the last chunk; every fragment must still be
 * stored, the last one included, and every packet must come back as ffmpeg encoded it.
 */

const run = promisify(execFile);
const SECONDS = 8;
const FPS = 25;
const GOP_FRAMES = 2 * FPS;

/** The encode, the same for the live upload and for the reference file it is judged against. */
const ENCODE = [
  '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS),
  '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', String(GOP_FRAMES), '-keyint_min', String(GOP_FRAMES),
  '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
  // One Cluster per GOP: the size and time limits above any GOP's, so only key frames start Clusters.
  '-f', 'matroska', '-cluster_size_limit', '10000000', '-cluster_time_limit', '10000',
];

/** Stream index, size and digest of each packet: what must survive (timestamps are rebased by design). */
const packetDigests = (input: string | Buffer) => framemd5(input).map((line) => line.split(',').map((f) => f.trim())).map(([stream, , , , size, md5]) => `${stream} ${size} ${md5}`);

describe('ffmpeg -method POST straight into PutMedia', { skip: mediaToolsSkip() }, () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-ffmpeg-post-'));
  });
  after(async () => {
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every GOP is a stored fragment, the last one too, and every packet plays back as encoded', { timeout: 60_000 }, async () => {
    const stream = await createStream(t, 'ffmpeg-post');
    const reference = path.join(dir, 'reference.mkv');
    await run(FFMPEG!, ['-hide_banner', '-loglevel', 'error', '-y', ...ENCODE, reference]);
    const headers = `x-amzn-stream-name: ${stream}\r\nx-amzn-fragment-timecode-type: RELATIVE\r\n`;
    await run(FFMPEG!, ['-hide_banner', '-loglevel', 'error', '-re', ...ENCODE, '-method', 'POST', '-headers', headers, `${t.url}/putMedia`]);

    const client = await archivedMediaClient(t, stream);
    const fragments = await fragmentsOnceListed(client, stream, SECONDS / 2);
    assert.equal(fragments.length, SECONDS / 2, `one fragment per 2-s GOP: ${JSON.stringify(fragments.map((f) => f.FragmentLengthInMilliseconds))}`);
    for (const f of fragments) assert.ok(Math.abs(f.FragmentLengthInMilliseconds! - 2000) <= 40, `fragment of ${f.FragmentLengthInMilliseconds} ms`);

    const media = await client.send(new GetMediaForFragmentListCommand({ StreamName: stream, Fragments: fragments.map((f) => f.FragmentNumber!) }));
    const stored = await readAll(media.Payload);
    client.destroy();
    const documents = splitDocuments(stored);
    assert.equal(documents.length, fragments.length);
    documents.forEach((document, i) => assert.equal(decodeErrors(document), '', `ffmpeg decodes fragment ${i} cleanly`));
    const expected = packetDigests(reference);
    assert.equal(expected.filter((p) => p.startsWith('0 ')).length, SECONDS * FPS, 'the reference has every video frame');
    assert.deepEqual(packetDigests(stored), expected, 'every packet, video and audio, as ffmpeg encoded it');
  });
});
