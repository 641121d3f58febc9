import { CreateStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeFrameIndex } from '../../src/domain/frame-index.js';
import { cephUnavailable, startCeph, type CephS3 } from '../helpers/ceph.js';
import { MKVINFO, mkvinfoClusters } from '../helpers/mkvinfo.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { REPO_ROOT, findTool, skipUnlessPresent, spawnServer, type RunningServer } from '../helpers/process.js';
import { chunked, rawPutMedia } from '../helpers/put-media.js';

/**
 * `openkvs serve` as a cluster node: index in PostgreSQL, fragment bytes in S3 (Ceph RGW), both
 * started by the test on 127.0.0.1. PutMedia goes in over HTTP; what landed is checked from the
 * outside: DescribeStream, the rows in PostgreSQL, the objects in the bucket, and the bytes
 * against mkvinfo's reading of the source (then ffprobe's reading of the fragments reassembled).
 */
const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
const FFPROBE = findTool(['ffprobe']);
const SOURCE = path.join(REPO_ROOT, 'test/fixtures/h264-aac.mkv');
const PREFIX = 'openkvs/node-test';

const skip =
  postgresUnavailable() ||
  cephUnavailable() ||
  skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)') ||
  skipUnlessPresent(FFPROBE, 'ffprobe (apt-get install -y ffmpeg)');

interface FragmentRow {
  stream_id: string;
  fragment_number: string;
  size: string;
  blob_key: string;
  blob_offset: string;
  frame_index: Buffer;
}

describe('openkvs serve on PostgreSQL + S3', { skip }, () => {
  let postgres: PostgresServer;
  let ceph: CephS3;
  let server: RunningServer;
  let indexUrl: string;
  let bucket: string;
  let dataDir: string;
  let kv: KinesisVideoClient;

  before(async () => {
    [postgres, ceph] = await Promise.all([startPostgres(), startCeph()]);
    indexUrl = await postgres.createDatabase();
    bucket = await ceph.createBucket();
    dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-cluster-'));
    server = await spawnServer(process.execPath, [CLI, 'serve'], {
      OPENKVS_PORT: '0',
      OPENKVS_DATA_DIR: dataDir,
      OPENKVS_INDEX: indexUrl,
      OPENKVS_STORAGE: `s3://${bucket}/${PREFIX}`,
      OPENKVS_S3_ENDPOINT: ceph.endpoint,
      OPENKVS_S3_REGION: ceph.region,
      OPENKVS_S3_CHECKSUM: 'when-required',
      AWS_ACCESS_KEY_ID: ceph.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ceph.credentials.secretAccessKey,
    });
    kv = new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });
  after(async () => {
    kv?.destroy();
    const code = await server?.stop();
    await Promise.all([postgres?.stop(), ceph?.stop(), dataDir && rm(dataDir, { recursive: true, force: true })]);
    assert.equal(code ?? 0, 0, 'the server exits cleanly on SIGTERM');
  });

  test('PutMedia lands: acks PERSISTED, rows in PostgreSQL, bytes in the bucket, byte for byte', async () => {
    await kv.send(new CreateStreamCommand({ StreamName: 'cluster-cam', DataRetentionInHours: 24 }));
    const source = readFileSync(SOURCE);
    const clusters = mkvinfoClusters(SOURCE);
    const result = await rawPutMedia(server.url, chunked(source, 16 * 1024), {
      headers: { 'x-amzn-stream-name': 'cluster-cam', 'x-amzn-fragment-timecode-type': 'RELATIVE' },
    });
    assert.equal(result.status, 200, result.text);
    const persisted = result.acks.filter((a) => a.EventType === 'PERSISTED');
    assert.equal(persisted.length, clusters.length, result.text);

    const { StreamInfo } = await kv.send(new DescribeStreamCommand({ StreamName: 'cluster-cam' }));
    assert.equal(StreamInfo?.Status, 'ACTIVE');

    const rows = await postgres.query<FragmentRow>(
      `SELECT f.* FROM fragments f JOIN streams s USING (stream_id) WHERE s.name = 'cluster-cam' ORDER BY fragment_number`,
      [],
      new URL(indexUrl).pathname.slice(1),
    );
    assert.deepEqual(rows.map((r) => r.fragment_number), persisted.map((a) => a.FragmentNumber));

    const listed = await ceph.client().send(new ListObjectsV2Command({ Bucket: bucket }));
    const objectKeys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    const rowKeys = [...new Set(rows.map((r) => `${PREFIX}/${r.blob_key}`))].sort();
    assert.deepEqual(objectKeys, rowKeys, 'every object is referenced by a row, and every row has its object');
    for (const key of objectKeys) assert.match(key, new RegExp(`^${PREFIX}/streams/${rows[0]!.stream_id}/\\d{28}\\.seg$`));

    const fragments = await Promise.all(rows.map((row) => fragmentBytes(row)));
    fragments.forEach((bytes, i) => {
      const cluster = clusters[i]!;
      assert.ok(bytes.equals(source.subarray(cluster.at, cluster.at + cluster.size)), `fragment ${i} holds cluster ${i}'s bytes`);
      assert.deepEqual(
        decodeFrameIndex(rows[i]!.frame_index).map((f) => [f.track, f.key, f.offset, f.size]),
        cluster.frames.map((f) => [f.track, f.key, f.at - cluster.at, f.size]),
      );
    });
    await assertFfprobeReadsSameFrames(source, clusters[0]!.at, fragments);
  });

  async function fragmentBytes(row: FragmentRow): Promise<Buffer> {
    const start = Number(row.blob_offset);
    const object = await ceph.client().send(
      new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${row.blob_key}`, Range: `bytes=${start}-${start + Number(row.size) - 1}` }),
    );
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  /** The source's header followed by the stored fragments is a file ffprobe reads as the source. */
  async function assertFfprobeReadsSameFrames(source: Buffer, headerEnd: number, fragments: Buffer[]): Promise<void> {
    const rebuilt = path.join(dataDir, 'rebuilt.mkv');
    await writeFile(rebuilt, Buffer.concat([source.subarray(0, headerEnd), ...fragments]));
    const packets = (file: string) =>
      execFileSync(FFPROBE!, ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'csv=p=0', file], {
        encoding: 'utf8',
      });
    const expected = packets(SOURCE);
    assert.match(expected, /h264,\d+/);
    assert.equal(packets(rebuilt), expected);
  }
});

