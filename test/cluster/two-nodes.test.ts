import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetHLSStreamingSessionURLCommand,
  GetImagesCommand,
  GetMediaForFragmentListCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
  type Fragment,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FFMPEG, framemd5, mediaToolsSkip, readAll, readGetMedia, splitDocuments, type GetMediaRead } from '../helpers/kvs-readers.js';
import { decodeAll, decodeImage, frameAt, psnr } from '../helpers/images.js';
import { mkvinfoClusters, type MkvinfoCluster } from '../helpers/mkvinfo.js';
import { framemd5 as packetsOf } from '../unit/formats/isobmff/mkv-source.js';
import { clusterUnavailable, startBackends, startNode, type Backends, type ClusterNode } from './cluster-fixture.js';
import { LiveCamera, recordedClusters } from './live-camera.js';

/**
 * Two openkvs nodes on one PostgreSQL and one S3 bucket (Ceph RGW), as in the proof: a
 * camera streams H.264 in real time into node A while node B answers the readers — a GetMedia tail
 * woken through LISTEN/NOTIFY, ListFragments, GetMediaForFragmentList checked byte for byte
 * against the source's Clusters (located by mkvinfo) and packet for packet by ffmpeg, and GetClip,
 * whose MP4 ffmpeg reads as the same packets as the source's first seconds, and GetImages, whose
 * PNGs are ffmpeg's decode of the same frames. Then node A
 * is killed with SIGKILL mid-stream: every fragment it acked PERSISTED is still readable from node
 * B, and the camera, moved to node B as a load balancer would, goes on there.
 */
const STREAM = 'two-node-cam';
/** Seconds of video, one 1-s GOP (one Cluster, one fragment) each. */
const SOURCE_SECONDS = 24;
/** The GetMedia tail must see a fragment within this long of its PERSISTED ack on node A. */
const TAIL_BOUND_MS = 100;
const CREDENTIALS = { accessKeyId: 'reader', secretAccessKey: 'reader-secret' };

/** An H.264 camera recording made for the test: 15 fps, a key frame (and a Cluster) every second. */
function recordSource(dir: string): string {
  const file = path.join(dir, 'camera.mkv');
  execFileSync(FFMPEG!, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=15:duration=${SOURCE_SECONDS}`,
    '-c:v', 'libx264', '-threads', '1', '-preset', 'veryfast', '-crf', '30', '-pix_fmt', 'yuv420p', '-bf', '0',
    '-r', '15', '-g', '15', '-keyint_min', '15', '-sc_threshold', '0',
    '-fflags', '+bitexact', '-flags:v', '+bitexact', '-map_metadata', '-1',
    '-f', 'matroska', '-cluster_time_limit', '10000', file,
  ]);
  return file;
}

describe('two nodes on PostgreSQL + S3', { skip: clusterUnavailable() || mediaToolsSkip(), timeout: 240_000 }, () => {
  let backends: Backends;
  let nodeA: ClusterNode;
  let nodeB: ClusterNode;
  let dir: string;
  let source: Buffer;
  let clusters: MkvinfoCluster[];
  let camera: LiveCamera;
  let archivedB: KinesisVideoArchivedMediaClient;
  /** Fragment number → when node B's GetMedia reader had its document. */
  const tailArrivals = new Map<string, number>();
  let tail: Promise<GetMediaRead>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'openkvs-two-nodes-'));
    const file = recordSource(dir);
    source = readFileSync(file);
    clusters = mkvinfoClusters(file);
    assert.equal(clusters.length, SOURCE_SECONDS, 'one Cluster per second of video');
    backends = await startBackends();
    // Every node signs HLS/DASH session tokens with the same secret, so any node serves any session.
    const nodeEnv = { OPENKVS_SESSION_SECRET: randomBytes(32).toString('hex') };
    [nodeA, nodeB] = await Promise.all([startNode(backends, nodeEnv), startNode(backends, nodeEnv)]);
    await nodeA.kv.send(new CreateStreamCommand({ StreamName: STREAM, DataRetentionInHours: 24 }));
    archivedB = new KinesisVideoArchivedMediaClient({ endpoint: nodeB.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    // Node B's live reader is waiting before the first fragment exists.
    const mediaB = new KinesisVideoMediaClient({ endpoint: nodeB.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    tail = readGetMedia(
      mediaB,
      { StreamName: STREAM, StartSelector: { StartSelectorType: 'NOW' } },
      { documents: 6, timeoutMs: 60_000, onDocument: (d) => d.fragmentNumber && tailArrivals.set(d.fragmentNumber, Date.now()) },
    ).finally(() => mediaB.destroy());
    camera = new LiveCamera(nodeA.url, STREAM, { source: recordedClusters(source, clusters) }).start();
  });
  after(async () => {
    await camera?.stop();
    archivedB?.destroy();
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await backends?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function listAllFragments(): Promise<Fragment[]> {
    const fragments: Fragment[] = [];
    let NextToken: string | undefined;
    do {
      const page = await archivedB.send(new ListFragmentsCommand(NextToken ? { StreamName: STREAM, NextToken } : { StreamName: STREAM }));
      fragments.push(...(page.Fragments ?? []));
      NextToken = page.NextToken ?? undefined;
    } while (NextToken);
    return fragments;
  }

  async function documentsFromB(numbers: string[]): Promise<Buffer[]> {
    const out = await archivedB.send(new GetMediaForFragmentListCommand({ StreamName: STREAM, Fragments: numbers }));
    return splitDocuments(await readAll(out.Payload));
  }

  test(`a GetMedia tail on node B gets each fragment within ${TAIL_BOUND_MS} ms of its PERSISTED on node A`, async () => {
    const read = await tail;
    const persisted = new Map(camera.ofType('PERSISTED').map((a) => [a.ack.fragmentNumber!, a.atMs]));
    const delays = read.documents.map((d) => {
      const ackedMs = persisted.get(d.fragmentNumber!);
      assert.ok(ackedMs !== undefined, `node B delivered ${d.fragmentNumber}, which node A acked PERSISTED`);
      return tailArrivals.get(d.fragmentNumber!)! - ackedMs;
    });
    console.log(`GetMedia on node B after PERSISTED on node A, ms: ${delays.join(', ')}`);
    assert.equal(read.documents.length, 6);
    for (const delay of delays) assert.ok(delay <= TAIL_BOUND_MS, `a fragment reached node B's reader ${delay} ms after its PERSISTED`);
    // The documents are the source's first Clusters, whole and in order.
    const documents = splitDocuments(read.body);
    documents.forEach((document, i) => assert.ok(holds(document, clusterBytes(i)), `GetMedia document ${i} holds source Cluster ${i}`));
  });

  test('ListFragments on node B lists every fragment node A acked PERSISTED', async () => {
    const expected = [...camera.persisted().keys()];
    const listed = new Set((await listAllFragments()).map((f) => f.FragmentNumber));
    for (const number of expected) assert.ok(listed.has(number), `node B lists ${number}`);
  });

  test('GetMediaForFragmentList on node B returns the source Clusters byte for byte, and ffmpeg reads the same packets', async () => {
    const persisted = camera.persisted();
    const numbers = [...persisted.keys()];
    const documents = await documentsFromB(numbers);
    assert.equal(documents.length, numbers.length);
    documents.forEach((document, i) => assert.ok(holds(document, persisted.get(numbers[i]!)!), `document ${i} holds its Cluster`));
    // ffmpeg's reference: the source's own header followed by the same Clusters.
    const reference = Buffer.concat([source.subarray(0, clusters[0]!.at), ...numbers.map((n) => persisted.get(n)!)]);
    assert.deepEqual(framemd5(Buffer.concat(documents)), framemd5(reference));
  });

  test('GetClip on node B: an MP4 of the first seconds whose packets are the source\'s, bit for bit', async () => {
    const seconds = 6;
    await camera.until(() => camera.ofType('PERSISTED').length >= seconds, 20_000, `${seconds} PERSISTED acks`);
    const start = camera.producerStartMs;
    const out = await archivedB.send(
      new GetClipCommand({
        StreamName: STREAM,
        ClipFragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          // Fragments start on whole seconds of producer time: this takes the first `seconds`.
          TimestampRange: { StartTimestamp: new Date(start), EndTimestamp: new Date(start + (seconds - 1) * 1000 + 500) },
        },
      }),
    );
    assert.equal(out.ContentType, 'video/mp4');
    const clip = path.join(dir, 'clip.mp4');
    writeFileSync(clip, await readAll(out.Payload));
    const got = packetsOf(clip, 'v');
    const expected = packetsOf(path.join(dir, 'camera.mkv'), 'v').filter((p) => p.pts < seconds - 0.001);
    assert.equal(got.length, expected.length, 'as many packets as the source has in those seconds');
    got.forEach((packet, i) => {
      const want = expected[i]!;
      assert.equal(`${packet.size}:${packet.md5}`, `${want.size}:${want.md5}`, `packet ${i}`);
      assert.ok(Math.abs(packet.pts - want.pts) < 0.002, `packet ${i} at ${packet.pts} s, source ${want.pts} s`);
    });
  });

  test('GetImages on node B: PNGs of the frames on screen, as ffmpeg decodes them from the source', async () => {
    await camera.until(() => camera.ofType('PERSISTED').length >= 4, 20_000, '4 PERSISTED acks');
    const start = camera.producerStartMs;
    const { Images } = await archivedB.send(
      new GetImagesCommand({ StreamName: STREAM, ImageSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(start), EndTimestamp: new Date(start + 3000), SamplingInterval: 700, Format: 'PNG' }),
    );
    const video = decodeAll(path.join(dir, 'camera.mkv'));
    assert.equal(Images!.length, 5);
    Images!.forEach((image, k) => {
      assert.ok(image.ImageContent, `sample ${k}: ${image.Error}`);
      const db = psnr(decodeImage(Buffer.from(image.ImageContent, 'base64')).rgb, video.frames[frameAt(video, 700 * k)]!);
      assert.ok(db >= 50, `sample ${k}: PSNR ${db.toFixed(1)} dB`);
    });
  });

  test('an HLS session URL from node B works on node A too (one session secret for the cluster)', async () => {
    const { HLSStreamingSessionURL } = await archivedB.send(new GetHLSStreamingSessionURLCommand({ StreamName: STREAM, PlaybackMode: 'LIVE' }));
    const onB = new URL(HLSStreamingSessionURL!);
    assert.equal(onB.origin, nodeB.url);
    const onA = new URL(`${onB.pathname}${onB.search}`, nodeA.url);
    for (const url of [onB, onA]) {
      const res = await fetch(url);
      assert.equal(res.status, 200, `${url.origin}: ${await res.clone().text()}`);
      assert.match(await res.text(), /^#EXTM3U/);
    }
  });

  test('LIVE HLS from node B: ffmpeg plays it, and every packet it gets is one of the source\'s, bit for bit', async () => {
    const { HLSStreamingSessionURL } = await archivedB.send(new GetHLSStreamingSessionURLCommand({ StreamName: STREAM, PlaybackMode: 'LIVE' }));
    assert.equal(new URL(HLSStreamingSessionURL!).origin, nodeB.url);
    // ffmpeg follows the live playlist (reloading it as fragments arrive on node A) for 4 s of media.
    // Not spawnSync: the camera runs in this process and must go on sending meanwhile.
    const run = await runFfmpeg(['-v', 'error', '-i', HLSStreamingSessionURL!, '-map', '0:v', '-c', 'copy', '-t', '4', '-f', 'framemd5', '-'], 30_000);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr.trim(), '', 'ffmpeg reported nothing');
    const played = run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(',').map((f) => f.trim()));
    assert.ok(played.length >= 45, `${played.length} packets played (4 s at 15 fps is 60)`);
    const sourcePackets = new Set(packetsOf(path.join(dir, 'camera.mkv'), 'v').map((p) => `${p.size}:${p.md5}`));
    for (const [, , , , size, md5] of played) assert.ok(sourcePackets.has(`${size}:${md5}`), `a ${size}-byte packet not in the source`);
  });

  test('node A killed with SIGKILL mid-stream: every fragment it acked PERSISTED is readable from node B', async () => {
    // Mid-stream: a Cluster has started arriving at node A but is not PERSISTED yet.
    await camera.until(() => camera.ofType('PERSISTED').length >= 8, 30_000, '8 PERSISTED acks');
    await camera.until(() => inFlight().length > 0, 5_000, 'a fragment in flight');
    await nodeA.kill();
    const ackedByA = camera.persisted();
    camera.moveTo(nodeB.url);
    await camera.finished;
    const listed = new Set((await listAllFragments()).map((f) => f.FragmentNumber));
    const numbers = [...ackedByA.keys()];
    for (const number of numbers) assert.ok(listed.has(number), `node B lists ${number}, acked by node A`);
    const documents = await documentsFromB(numbers);
    documents.forEach((document, i) => assert.ok(holds(document, ackedByA.get(numbers[i]!)!), `node B returns ${numbers[i]} byte for byte`));
    // The camera went on through node B, with no fragment number reused.
    const all = camera.persisted();
    assert.ok(all.size > ackedByA.size, 'fragments persisted through node B after the failover');
    assert.equal(new Set(all.keys()).size, all.size);
  });

  /** BUFFERING acks of fragments not acked PERSISTED (yet). */
  function inFlight(): string[] {
    const persisted = new Set(camera.ofType('PERSISTED').map((a) => a.ack.fragmentNumber));
    return camera.ofType('BUFFERING').map((a) => a.ack.fragmentNumber!).filter((n) => !persisted.has(n));
  }

  function clusterBytes(i: number): Buffer {
    const c = clusters[i]!;
    return source.subarray(c.at, c.at + c.size);
  }
});

/** Whether `bytes` occur, byte for byte, in `document`. */
function holds(document: Buffer, bytes: Uint8Array): boolean {
  return document.indexOf(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) >= 0;
}

/** ffmpeg with `args`, killed after `timeoutMs`; its exit status and output. */
async function runFfmpeg(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(FFMPEG!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [status] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { status, stdout, stderr };
}
