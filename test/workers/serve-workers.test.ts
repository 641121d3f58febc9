/**
 * `openkvs serve --workers 2` (the CLI, a child process): what must hold whichever worker process
 * a connection lands on. Each worker accepts its own connections, so which one serves a request
 * is the kernel's choice; the tests read it from the `worker` and `pid` of the request log lines
 * and repeat until both have served what they check.
 */
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { ConnectionLimitExceededException, GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cephUnavailable, startCeph } from '../helpers/ceph.js';
import { DocumentScanner } from '../helpers/kvs-readers.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { REPO_ROOT, spawnServer, type RunningServer } from '../helpers/process.js';
import { rawPutMedia } from '../helpers/put-media.js';
import { prng, syntheticStream } from '../helpers/synthetic-mkv.js';

const CLI = path.join(REPO_ROOT, 'bin/openkvs.cjs');
const CREDENTIALS = { accessKeyId: 'a', secretAccessKey: 'b' };
const rng = prng(0x3017);
let nextTimecode = 1_700_000_000_000;

interface RequestLine {
  requestId: string;
  worker: number;
  pid: number;
  msg: string;
}

interface Services {
  readonly env: Record<string, string>;
  stop(): Promise<unknown>;
}

/** Where the workers keep their data: the embedded default, and PostgreSQL + S3 (Ceph RGW) started here on 127.0.0.1. */
const BACKENDS = [
  { name: 'embedded', skip: false, segmentFiles: true, start: async (): Promise<Services> => ({ env: {}, stop: async () => {} }) },
  {
    name: 'PostgreSQL + S3',
    skip: postgresUnavailable() || cephUnavailable(),
    segmentFiles: false,
    start: async (): Promise<Services> => {
      const [postgres, ceph] = await Promise.all([startPostgres(), startCeph()]);
      const env = {
        OPENKVS_INDEX: await postgres.createDatabase(),
        OPENKVS_STORAGE: `s3://${await ceph.createBucket()}/workers`,
        OPENKVS_S3_ENDPOINT: ceph.endpoint,
        OPENKVS_S3_REGION: ceph.region,
        OPENKVS_S3_CHECKSUM: 'when-required',
        AWS_ACCESS_KEY_ID: ceph.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ceph.credentials.secretAccessKey,
      };
      return { env, stop: () => Promise.all([postgres.stop(), ceph.stop()]) };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`openkvs serve --workers 2 (${backend.name})`, { skip: backend.skip }, () => {
    let dataDir: string;
    let server: RunningServer;
    let control: KinesisVideoClient;
    let services: Services | undefined;

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-workers-'));
      services = await backend.start();
      server = await spawnServer(process.execPath, [CLI, 'serve', '--workers', '2'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir, ...services.env });
      control = new KinesisVideoClient({ endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS });
    });
    after(async () => {
      control?.destroy();
      await server?.stop();
      await services?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const entries = () => server.lines.map((line) => JSON.parse(line) as RequestLine);
    /** The worker process that served a request, from its log line (written when the response ended). */
    const servedBy = async (requestId: string): Promise<RequestLine> => {
      for (let i = 0; i < 100; i++) {
        const line = entries().find((e) => e.msg === 'request' && e.requestId === requestId);
        if (line) return line;
        await sleep(20);
      }
      throw new Error(`no request log line for ${requestId}`);
    };

    const createStream = async (name: string) => {
      await control.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
      return name;
    };

    /** One PutMedia session of `clusters` fragments: the PERSISTED fragment numbers and the process that took it. */
    const putSession = async (stream: string, clusters: number) => {
      const body = syntheticStream(rng, { clusters, startTimecode: nextTimecode, clusterMs: 200 });
      nextTimecode += clusters * 200 + 1000;
      // A connection of its own: a kept-alive one would stay on one worker.
      const result = await rawPutMedia(server.url, body.bytes, { headers: { 'x-amzn-stream-name': stream, connection: 'close' } });
      assert.equal(result.status, 200, result.text);
      const persisted = result.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => BigInt(a.FragmentNumber!));
      assert.equal(persisted.length, clusters, `every fragment persisted: ${result.text}`);
      return { persisted, by: await servedBy(String(result.headers['x-amzn-requestid'])) };
    };

    const listedNumbers = async (stream: string) => {
      const client = new KinesisVideoArchivedMediaClient({ endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS });
      try {
        const { Fragments } = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 1000 }));
        return (Fragments ?? []).map((f) => BigInt(f.FragmentNumber!));
      } finally {
        client.destroy();
      }
    };

    test('sessions of one stream on both workers: numbers increase in arrival order, each fragment stored once, each worker appends to its own series', { timeout: 90_000 }, async () => {
      const stream = await createStream('shared');
      const workers = new Set<number>();
      let highest = 0n;
      let count = 0;
      for (let session = 0; session < 40 && (session < 6 || workers.size < 2); session++) {
        const { persisted, by } = await putSession(stream, 3);
        workers.add(by.worker);
        for (const number of persisted) {
          assert.ok(number > highest, `session ${session} on worker ${by.worker}: ${number} is not above ${highest}, the last number before it`);
          highest = number;
        }
        count += persisted.length;
      }
      assert.equal(workers.size, 2, 'both workers took sessions');
      // Two sessions of the stream at once, on whichever workers: numbers never collide.
      const concurrent = await Promise.all([0, 1, 2, 3].map(() => putSession(stream, 4)));
      count += 16;
      const acked = [...concurrent.flatMap((s) => s.persisted)];
      assert.equal(new Set(acked).size, acked.length);
      const listed = await listedNumbers(stream);
      assert.equal(listed.length, count);
      assert.equal(new Set(listed).size, count, 'ListFragments lists each fragment once');
      for (const number of acked) assert.ok(listed.includes(number), `fragment ${number} acked PERSISTED is listed`);
      if (backend.segmentFiles) {
        // The only stream with fragments so far: its folder holds one series per worker.
        const [streamFolder] = await readdir(path.join(dataDir, 'fragments/streams'));
        assert.deepEqual((await readdir(path.join(dataDir, 'fragments/streams', streamFolder!))).sort(), ['w0', 'w1']);
      }
      // /metrics counts the whole box, whichever worker answers (one connection each: both do).
      for (let i = 0; i < 2; i++) {
        const text = await (await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } })).text();
        assert.match(text, new RegExp(`^kvs_putmedia_incoming_fragments_total\\{stream="shared"\\} ${count}$`, 'm'), `answer ${i}`);
      }
    });

    test('LIVE GetMedia on one worker is woken by ingest on the other; the 3-reader limit holds for the whole box', { timeout: 90_000 }, async () => {
      const media = new KinesisVideoMediaClient({ endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS });
      try {
        let crossed = false;
        for (let attempt = 0; attempt < 8 && !crossed; attempt++) {
          const stream = await createStream(`live-${attempt}`);
          const readers = await Promise.all([0, 1, 2].map(() => openLiveReader(media, stream)));
          if (attempt === 0) {
            const refused = await openLiveReader(media, stream).then(
              (reader) => (reader.close(), undefined),
              (err: unknown) => err,
            );
            assert.ok(refused instanceof ConnectionLimitExceededException, `a fourth reader, wherever it lands, is refused: ${String(refused)}`);
          }
          const put = await putSession(stream, 2);
          const got = await Promise.all(readers.map((r) => r.documents(2, 10_000)));
          readers.forEach((r) => r.close());
          for (const [i, numbers] of got.entries()) assert.deepEqual(numbers, put.persisted.map(String), `reader ${i} got both fragments`);
          const readerWorkers = await Promise.all(readers.map((r) => servedBy(r.requestId)));
          crossed = readerWorkers.some((w) => w.worker !== put.by.worker);
        }
        assert.ok(crossed, 'some reader was on the other worker than the producer');
      } finally {
        media.destroy();
      }
    });

    test('a worker killed is replaced on its series; the other goes on serving meanwhile', { timeout: 90_000 }, async () => {
      const stream = await createStream('respawn');
      const first = await putSession(stream, 2);
      process.kill(first.by.pid, 'SIGKILL');
      // The other worker serves while the killed one is replaced (a connection handed to the dying
      // one before its exit was noticed is reset, and the producer tries again, as a producer does).
      let during: Awaited<ReturnType<typeof putSession>> | undefined;
      for (let attempt = 0; !during; attempt++) {
        during = await putSession(stream, 2).catch((err: NodeJS.ErrnoException) => {
          if (attempt >= 3 || (err.code !== 'ECONNRESET' && err.code !== 'EPIPE')) throw err;
          return undefined;
        });
      }
      assert.notEqual(during.by.pid, first.by.pid);
      let replacement: RequestLine | undefined;
      // The primary starts the replacement a second after the death.
      const deadline = Date.now() + 30_000;
      while (!replacement && Date.now() < deadline) {
        const { by } = await putSession(stream, 2);
        if (by.worker === first.by.worker) replacement = by;
        else await sleep(100);
      }
      assert.ok(replacement, `worker ${first.by.worker} serves again`);
      assert.notEqual(replacement.pid, first.by.pid, 'in a new process');
      assert.ok(entries().some((e) => e.msg === 'worker process died; starting another'));
    });

    test('DeleteStream deletes the series of every worker', { timeout: 60_000, skip: !backend.segmentFiles && 'segment folders are the embedded backend’s' }, async () => {
      const stream = await createStream('deleted');
      const before = new Set(await readdir(path.join(dataDir, 'fragments/streams')));
      for (let session = 0; session < 6; session++) await putSession(stream, 2);
      const [folder] = (await readdir(path.join(dataDir, 'fragments/streams'))).filter((f) => !before.has(f));
      assert.ok(folder, 'the stream has a folder');
      const { StreamInfo } = await control.send(new DescribeStreamCommand({ StreamName: stream }));
      await control.send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN }));
      const folders = async () => readdir(path.join(dataDir, 'fragments/streams'));
      for (let i = 0; i < 200 && (await folders()).includes(folder); i++) await sleep(50);
      assert.ok(!(await folders()).includes(folder), 'the folder and the series in it are gone');
    });
  });
}

/** A LIVE GetMedia (StartSelector NOW) reading in the background; its request id names the worker it landed on. */
async function openLiveReader(media: KinesisVideoMediaClient, stream: string) {
  const abort = new AbortController();
  const out = await media.send(new GetMediaCommand({ StreamName: stream, StartSelector: { StartSelectorType: 'NOW' } }), { abortSignal: abort.signal });
  const scanner = new DocumentScanner();
  let body = Buffer.alloc(0);
  const reading = (async () => {
    for await (const chunk of out.Payload as AsyncIterable<Uint8Array>) {
      body = Buffer.concat([body, chunk]);
      scanner.scan(body, Date.now());
    }
  })().catch(() => {});
  return {
    requestId: out.$metadata.requestId!,
    /** The fragment numbers of the first `count` documents, once they arrived (fails after `timeoutMs`). */
    async documents(count: number, timeoutMs: number): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (scanner.documents.length < count) {
        if (Date.now() > deadline) throw new Error(`${scanner.documents.length} of ${count} documents after ${timeoutMs} ms`);
        await sleep(20);
      }
      return scanner.documents.slice(0, count).map((d) => d.fragmentNumber!);
    },
    close(): void {
      abort.abort();
      void reading;
    },
  };
}
