import { CreateStreamCommand, DescribeStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetMediaForFragmentListCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readAll, readGetMedia, splitDocuments } from '../helpers/kvs-readers.js';
import { LiveCamera, syntheticClusters } from './live-camera.js';
import {
  clusterUnavailable,
  missingOrDifferent,
  openStores,
  startBackends,
  startNode,
  type Backends,
  type ClusterNode,
} from './cluster-fixture.js';

/**
 * The outage rule, end to end through `openkvs serve` on PostgreSQL + Ceph RGW with a
 * real-time camera: while the object store or the database is gone, PutMedia answers ERROR acks
 * 5001 ARCHIVAL_ERROR (no crash, no hang) and the API calls that need the missing backend answer
 * a clean AWS 503 (GetMedia, already streaming, ends with an in-band error document); when the
 * backend returns, the camera's next session persists again without restarting openkvs; and
 * every fragment acked PERSISTED, before or after, is stored with exactly the bytes sent and
 * read back through GetMediaForFragmentList.
 *
 * The object store outage pauses radosgw (SIGSTOP: requests hang, so the S3 request timeout is
 * what ends them); the database outage is a clean PostgreSQL shutdown and restart on the same
 * port and data (refused connections, sessions terminated mid-transaction).
 */
const STREAM = 'outage-cam';
/** The camera's clock: a fragment every 500 ms. */
const CLUSTER_MS = 500;

describe('backend outages under real-time ingest', { skip: clusterUnavailable(), timeout: 240_000 }, () => {
  let backends: Backends;
  let node: ClusterNode;
  let camera: LiveCamera;
  let archived: KinesisVideoArchivedMediaClient;
  let media: KinesisVideoMediaClient;

  before(async () => {
    backends = await startBackends();
    // 1 s per S3 attempt (3 attempts): the outage shows within seconds rather than the default 30.
    node = await startNode(backends, { OPENKVS_S3_REQUEST_TIMEOUT: '1000' });
    await node.kv.send(new CreateStreamCommand({ StreamName: STREAM, DataRetentionInHours: 24 }));
    const client = { endpoint: node.url, region: 'us-east-1', credentials: { accessKeyId: 'r', secretAccessKey: 's' }, maxAttempts: 1 };
    archived = new KinesisVideoArchivedMediaClient(client);
    media = new KinesisVideoMediaClient(client);
    camera = new LiveCamera(node.url, STREAM, { source: syntheticClusters({ clusterMs: CLUSTER_MS }) }).start();
    await camera.until(() => camera.ofType('PERSISTED').length >= 3, 20_000, '3 PERSISTED acks');
  });
  after(async () => {
    await camera?.stop();
    archived?.destroy();
    media?.destroy();
    const code = await node?.close();
    await backends?.stop();
    assert.equal(code ?? 0, 0, 'openkvs exits cleanly on SIGTERM after the outages');
  });

  /** The call fails with AWS's 503 ServiceUnavailableException shape, naming `backend`, within `boundMs`. */
  async function answersUnavailable(call: () => Promise<unknown>, backend: string, boundMs: number): Promise<void> {
    const started = Date.now();
    await assert.rejects(call(), (err: Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'ServiceUnavailableException', String(err));
      assert.equal(err.$metadata?.httpStatusCode, 503);
      assert.equal(err.$fault, 'server');
      assert.match(err.message, new RegExp(`${backend} is unavailable`));
      return true;
    });
    assert.ok(Date.now() - started < boundMs, `answered after ${Date.now() - started} ms, not within ${boundMs} ms`);
  }

  const firstPersisted = () => camera.ofType('PERSISTED')[0]!.ack.fragmentNumber!;

  /** Acks of one type that arrived after `sinceMs`. */
  const acksSince = (type: 'PERSISTED' | 'ERROR', sinceMs: number) => camera.ofType(type).filter((a) => a.atMs > sinceMs);
  /**
   * PERSISTED acks after `sinceMs` on sessions without an ERROR ack: a healthy session is running
   * again. (A session that had its ERROR still gets PERSISTED for fragments already on their way
   * to storage, and then ends.)
   */
  const healthyPersistedSince = (sinceMs: number) => {
    const failed = new Set(camera.ofType('ERROR').map((a) => a.session));
    return acksSince('PERSISTED', sinceMs).filter((a) => !failed.has(a.session));
  };

  test('object store paused: 5001 acks within seconds, control plane unaffected, then persisting again', async () => {
    const pausedAt = Date.now();
    await backends.ceph.pause();
    try {
      await camera.until(() => acksSince('ERROR', pausedAt).length >= 2, 30_000, 'two ERROR acks while radosgw is paused');
      const errors = acksSince('ERROR', pausedAt);
      for (const { ack } of errors) {
        assert.equal(ack.type === 'ERROR' && ack.errorId, 5001, JSON.stringify(ack.raw));
        assert.equal(ack.type === 'ERROR' && ack.errorCode, 'ARCHIVAL_ERROR');
      }
      // Bounded: 3 attempts of 1 s plus backoff and the batch waiting its turn, not a hang.
      assert.ok(errors[0]!.atMs - pausedAt < 15_000, `first ERROR ack after ${errors[0]!.atMs - pausedAt} ms`);
      assert.equal(new Set(errors.map((e) => e.session)).size, errors.length, 'each ERROR ack ends its session; the camera reconnects');
      // The index is fine: the control plane and ListFragments answer as usual, and promptly.
      const started = Date.now();
      const { StreamInfo } = await node.kv.send(new DescribeStreamCommand({ StreamName: STREAM }));
      assert.equal(StreamInfo?.Status, 'ACTIVE');
      const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: STREAM }));
      assert.ok((Fragments ?? []).some((f) => f.FragmentNumber === firstPersisted()));
      assert.ok(Date.now() - started < 2_000);
      // Fragment bytes cannot be read: a whole 503, after the S3 attempts, not a cut-off body.
      await answersUnavailable(
        () => archived.send(new GetMediaForFragmentListCommand({ StreamName: STREAM, Fragments: [firstPersisted()] })),
        'object store',
        10_000,
      );
      // A GetMedia has answered 200 before it reads a fragment: it ends with an error document (5000).
      const read = await readGetMedia(media, { StreamName: STREAM, StartSelector: { StartSelectorType: 'EARLIEST' } }, { documents: 2, timeoutMs: 15_000 });
      assert.equal(read.ended, true, 'the server ended the GetMedia');
      assert.deepEqual(read.documents.map((d) => [d.fragmentNumber, d.last]), [[undefined, '5000']]);
    } finally {
      await backends.ceph.resume();
    }
    const resumedAt = Date.now();
    await camera.until(() => healthyPersistedSince(resumedAt).length >= 3, 30_000, 'a healthy session after radosgw resumed');
    for (const { ack } of acksSince('ERROR', pausedAt)) assert.equal(ack.type === 'ERROR' && ack.errorId, 5001, JSON.stringify(ack.raw));
    assert.equal(node.child.exitCode, null, 'openkvs kept running');
  });

  test('database shut down: 5001 acks, refused sessions and API calls answer ServiceUnavailableException 503, then persisting again', async () => {
    const stoppedAt = Date.now();
    await backends.postgres.shutdown();
    try {
      await camera.until(() => acksSince('ERROR', stoppedAt).length >= 1, 30_000, 'an ERROR ack while PostgreSQL is down');
      for (const { ack } of acksSince('ERROR', stoppedAt)) assert.equal(ack.type === 'ERROR' && ack.errorId, 5001, JSON.stringify(ack.raw));
      // New sessions are refused before the 200: the stream cannot be looked up.
      await camera.until(() => camera.refusals.some((r) => r.atMs > stoppedAt), 10_000, 'a refused session');
      const refusal = camera.refusals.find((r) => r.atMs > stoppedAt)!;
      assert.deepEqual([refusal.status, refusal.errorType], [503, 'ServiceUnavailableException']);
      for (const call of [
        () => node.kv.send(new DescribeStreamCommand({ StreamName: STREAM })),
        () => node.kv.send(new ListStreamsCommand({})),
        () => archived.send(new ListFragmentsCommand({ StreamName: STREAM })),
        () => archived.send(new GetMediaForFragmentListCommand({ StreamName: STREAM, Fragments: [firstPersisted()] })),
        () => media.send(new GetMediaCommand({ StreamName: STREAM, StartSelector: { StartSelectorType: 'EARLIEST' } })),
      ]) {
        // Refused connections fail at once; the bound is the connect timeout, not a hang.
        await answersUnavailable(call, 'index database', 6_000);
      }
    } finally {
      await backends.postgres.restart();
    }
    const restartedAt = Date.now();
    await camera.until(() => healthyPersistedSince(restartedAt).length >= 3, 30_000, 'a healthy session after PostgreSQL restarted');
    const { StreamInfo } = await node.kv.send(new DescribeStreamCommand({ StreamName: STREAM }));
    assert.equal(StreamInfo?.StreamName, STREAM);
  });

  test('every fragment acked PERSISTED, before, between and after the outages, is stored byte for byte', async () => {
    await camera.stop();
    const persisted = camera.persisted();
    assert.ok(persisted.size >= 9, `${persisted.size} fragments persisted`);
    const stores = await openStores(backends);
    try {
      assert.deepEqual(await missingOrDifferent(stores, STREAM, persisted), []);
      // Fragment numbers kept increasing with time across both outages (the allocator recovered).
      const stream = (await stores.index.getStreamByName(STREAM))!;
      const stored = await stores.index.listFragments(stream.streamId, { limit: 10_000 });
      const byTime = [...stored].sort((x, y) => x.producerTimestampMs - y.producerTimestampMs).map((f) => f.fragmentNumber);
      assert.deepEqual(byTime, stored.map((f) => f.fragmentNumber));
    } finally {
      await stores.close();
    }
    // And through the API: every PERSISTED fragment's Cluster, byte for byte, from GetMediaForFragmentList.
    const numbers = [...persisted.keys()];
    const out = await archived.send(new GetMediaForFragmentListCommand({ StreamName: STREAM, Fragments: numbers }));
    const documents = splitDocuments(await readAll(out.Payload));
    assert.equal(documents.length, numbers.length);
    documents.forEach((document, i) => {
      const cluster = persisted.get(numbers[i]!)!;
      assert.ok(document.indexOf(Buffer.from(cluster.buffer, cluster.byteOffset, cluster.byteLength)) >= 0, `fragment ${numbers[i]}`);
    });
    const unexpected = node.lines.filter((line) => line.includes('"unexpected error"'));
    assert.deepEqual(unexpected, [], 'no request ended in an unclassified 500');
  });
});
