import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  InvalidArgumentException,
  ListFragmentsCommand,
  ResourceNotFoundException,
  type Fragment,
  type FragmentSelector,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { archivedMediaClient, createStream, fixture, ingestFixture, mediaToolsSkip } from '../helpers/kvs-readers.js';
import { MKVINFO, mkvinfoClusters } from '../helpers/mkvinfo.js';
import { rawPutMedia, storedFragments } from '../helpers/put-media.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';
import { prng, syntheticStream } from '../helpers/synthetic-mkv.js';

const START_SECONDS = '1700000000.250';
const START_MS = 1_700_000_000_250;

/** Every page of a listing, following NextToken. */
async function listAll(client: KinesisVideoArchivedMediaClient, input: { StreamName: string; MaxResults?: number; FragmentSelector?: FragmentSelector }): Promise<Fragment[][]> {
  const pages: Fragment[][] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListFragmentsCommand({ ...input, NextToken }));
    pages.push(page.Fragments ?? []);
    NextToken = page.NextToken;
  } while (NextToken);
  return pages;
}

/** Per track, the DefaultDuration in ms (rounded to the tick, as a frame's duration), from mkvinfo. */
function defaultDurationsMs(file: string): Map<number, number> {
  const out = execFileSync(MKVINFO!, [file], { encoding: 'utf8' });
  const durations = new Map<number, number>();
  let track = 0;
  for (const line of out.split('\n')) {
    const number = /Track number: (\d+)/.exec(line);
    if (number) track = Number(number[1]);
    const duration = /Default duration: (\d+):(\d+):([\d.]+)/.exec(line);
    if (duration) durations.set(track, Math.round((Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3])) * 1000));
  }
  return durations;
}

describe('ListFragments', { skip: mediaToolsSkip() }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  for (const name of ['h264-aac.mkv', 'h264.mkv', 'h265.mkv', 'h264-g711.mkv']) {
    test(`${name}: one entry per cluster, every field exactly what was ingested`, async () => {
      const stream = await createStream(t, 'lf');
      const ingested = await ingestFixture(t, stream, name, START_SECONDS);
      const client = await archivedMediaClient(t, stream);
      const { Fragments = [], NextToken } = await client.send(new ListFragmentsCommand({ StreamName: stream }));
      assert.equal(NextToken, undefined);
      const clusters = mkvinfoClusters(fixture(name));
      const durations = defaultDurationsMs(fixture(name));
      assert.deepEqual(Fragments.map((f) => f.FragmentNumber), ingested.numbers, 'the PERSISTED fragments, in number order');
      Fragments.forEach((f, i) => {
        const cluster = clusters[i]!;
        assert.equal(f.FragmentSizeInBytes, cluster.size, 'the Cluster as mkvinfo measures it');
        assert.equal(f.ProducerTimestamp?.getTime(), START_MS + Math.round(cluster.timestampNs / 1e6), 'start timestamp + cluster timecode, to the ms');
        const server = f.ServerTimestamp!.getTime();
        assert.ok(server >= ingested.startedMs && server <= ingested.endedMs, `server timestamp ${server} during the PutMedia`);
        // The ingest's rule: from the first frame to the end of the last (a frame lasts its track's DefaultDuration, else 0).
        const starts = cluster.frames.map((fr) => fr.timestampNs / 1e6);
        const ends = cluster.frames.map((fr) => fr.timestampNs / 1e6 + (durations.get(fr.track) ?? 0));
        assert.equal(f.FragmentLengthInMilliseconds, Math.round(Math.max(...ends) - Math.min(...starts)), `length of fragment ${i}`);
      });
      const stored = await storedFragments(t.dataDir, stream);
      assert.deepEqual(
        Fragments.map((f) => [f.FragmentNumber, f.ServerTimestamp?.getTime(), f.FragmentLengthInMilliseconds]),
        stored.map((f) => [f.fragmentNumber, f.serverTimestampMs, f.durationMs]),
      );
    });
  }

  test('the wire form: restJson1 epoch-second numbers with the millisecond fraction, StreamARN accepted', async () => {
    const stream = await createStream(t, 'lf-wire');
    await ingestFixture(t, stream, 'h264.mkv', START_SECONDS);
    const { StreamInfo } = await t.control().send(new DescribeStreamCommand({ StreamName: stream }));
    const res = await fetch(`${t.url}/listFragments`, { method: 'POST', body: JSON.stringify({ StreamARN: StreamInfo!.StreamARN, MaxResults: 1 }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { Fragments: Record<string, unknown>[]; NextToken: unknown };
    assert.deepEqual(Object.keys(body.Fragments[0]!).sort(), [
      'FragmentLengthInMilliseconds',
      'FragmentNumber',
      'FragmentSizeInBytes',
      'ProducerTimestamp',
      'ServerTimestamp',
    ]);
    assert.equal(body.Fragments[0]!['ProducerTimestamp'], 1700000000.25);
    assert.equal(typeof body.Fragments[0]!['ServerTimestamp'], 'number');
    assert.match(String(body.NextToken), /^[a-zA-Z0-9+/]+={0,2}$/, 'NextToken in the model alphabet');
  });

  test('selectors: inclusive range on the fragment start, by producer or by server timestamp', async () => {
    const stream = await createStream(t, 'lf-sel');
    const first = await ingestFixture(t, stream, 'h264.mkv', START_SECONDS); // producer 0.25 s, 2.25 s, 4.25 s
    await sleep(20);
    const second = await ingestFixture(t, stream, 'h264.mkv', '1700000100.000'); // producer 100 s, 102 s, 104 s
    const client = await archivedMediaClient(t, stream);
    const list = async (selector: FragmentSelector) => (await listAll(client, { StreamName: stream, FragmentSelector: selector })).flat().map((f) => f.FragmentNumber);
    const producer = (start: number, end: number): FragmentSelector => ({
      FragmentSelectorType: 'PRODUCER_TIMESTAMP',
      TimestampRange: { StartTimestamp: new Date(start), EndTimestamp: new Date(end) },
    });
    assert.deepEqual(await list(producer(START_MS + 2000, START_MS + 3999)), [first.numbers[1]], 'start inclusive');
    assert.deepEqual(await list(producer(START_MS + 2001, START_MS + 3999)), [], 'a range inside a fragment does not select it');
    assert.deepEqual(await list(producer(START_MS + 2001, START_MS + 4000)), [first.numbers[2]], 'end inclusive');
    assert.deepEqual(await list(producer(START_MS, 1_700_000_102_000)), [...first.numbers, ...second.numbers.slice(0, 2)]);
    const server = (start: number, end: number): FragmentSelector => ({
      FragmentSelectorType: 'SERVER_TIMESTAMP',
      TimestampRange: { StartTimestamp: new Date(start), EndTimestamp: new Date(end) },
    });
    const all = (await listAll(client, { StreamName: stream })).flat();
    const times = all.map((f) => f.ServerTimestamp!.getTime());
    assert.deepEqual(await list(server(first.startedMs, first.endedMs)), first.numbers);
    assert.deepEqual(await list(server(times[3]!, times[3]!)), all.filter((f) => f.ServerTimestamp!.getTime() === times[3]).map((f) => f.FragmentNumber), 'a one-ms range');
    assert.deepEqual(await list(server(0, first.startedMs - 1)), []);
  });

  test('pages of MaxResults, each continuing exactly where the last stopped', async () => {
    const stream = await createStream(t, 'lf-pages');
    const numbers = [
      ...(await ingestFixture(t, stream, 'h264.mkv')).numbers,
      ...(await ingestFixture(t, stream, 'h264-aac.mkv')).numbers,
      ...(await ingestFixture(t, stream, 'h265.mkv')).numbers,
    ];
    const client = await archivedMediaClient(t, stream);
    for (const size of [1, 2, 4, 9, 10]) {
      const pages = await listAll(client, { StreamName: stream, MaxResults: size });
      assert.ok(pages.every((p) => p.length <= size));
      assert.equal(pages.length, Math.max(1, Math.ceil(numbers.length / size)), `pages of ${size}`);
      assert.deepEqual(pages.flat().map((f) => f.FragmentNumber), numbers);
    }
    const selector: FragmentSelector = {
      FragmentSelectorType: 'PRODUCER_TIMESTAMP',
      TimestampRange: { StartTimestamp: new Date(START_MS - 250 + 2000), EndTimestamp: new Date(START_MS - 250 + 4000) },
    };
    const pages = await listAll(client, { StreamName: stream, MaxResults: 1, FragmentSelector: selector });
    assert.equal(pages.flat().length, 6, 'the selector holds across pages (2 s and 4 s of each of the three uploads)');
    // The token carries the selector: the next page may repeat it or leave it out.
    const firstPage = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 2, FragmentSelector: selector }));
    const withSelector = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 2, FragmentSelector: selector, NextToken: firstPage.NextToken }));
    const without = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 2, NextToken: firstPage.NextToken }));
    assert.deepEqual(withSelector.Fragments, without.Fragments);
  });

  test('paging while a producer keeps adding fragments neither skips nor repeats one', async () => {
    const stream = await createStream(t, 'lf-live');
    const body = syntheticStream(prng(7), { clusters: 60, clusterMs: 300, frameBytes: [100, 400] });
    const header = body.bytes.subarray(0, body.clusters[0]!.start);
    // One known-size cluster per write, 10 ms apart: each is a fragment the moment it arrives.
    let producing = true;
    const producer = rawPutMedia(
      t.url,
      (async function* () {
        yield header;
        for (const c of body.clusters) {
          yield body.bytes.subarray(c.start, c.end);
          await sleep(10);
        }
      })(),
      { headers: { 'x-amzn-stream-name': stream } },
    ).finally(() => (producing = false));
    const client = await archivedMediaClient(t, stream);
    // Listings chained by NextToken, in pages of 2. A chain that catches up with the producer ends
    // (no NextToken, as on AWS); the next one starts from the beginning again.
    const chains: string[][] = [];
    let pagesWhileProducing = 0;
    for (let finished = false; !finished; ) {
      const chain: string[] = [];
      let token: string | undefined;
      const startedWhileProducing = producing;
      do {
        if (producing) pagesWhileProducing++;
        const page = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 2, NextToken: token }));
        chain.push(...(page.Fragments ?? []).map((f) => f.FragmentNumber!));
        token = page.NextToken;
        await sleep(3);
      } while (token);
      chains.push(chain);
      finished = !startedWhileProducing;
    }
    const result = await producer;
    const persisted = result.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
    assert.equal(persisted.length, 60);
    assert.ok(pagesWhileProducing >= 10, `${pagesWhileProducing} pages were asked while fragments were arriving`);
    chains.forEach((chain, i) => assert.deepEqual(chain, persisted.slice(0, chain.length), `chain ${i}: a prefix of the stream, nothing skipped or repeated`));
    assert.deepEqual(chains[chains.length - 1], persisted, 'a chain started after the producer finished lists everything once');
  });

  test('a fragment is listed once its PERSISTED ack has gone out', async () => {
    const stream = await createStream(t, 'lf-ack');
    const client = await archivedMediaClient(t, stream);
    const checks: Promise<string[]>[] = [];
    await rawPutMedia(t.url, readFileSync(fixture('h264.mkv')), {
      headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE' },
      onAck: (ack) => {
        if (ack.EventType === 'PERSISTED') {
          checks.push(client.send(new ListFragmentsCommand({ StreamName: stream })).then((p) => (p.Fragments ?? []).map((f) => f.FragmentNumber!)));
        }
      },
    });
    const listed = await Promise.all(checks);
    assert.equal(listed.length, 3);
    listed.forEach((numbers, i) => assert.ok(numbers.length >= i + 1, `after PERSISTED #${i + 1} the listing has ${numbers.length}`));
  });

  describe('errors', () => {
    let stream: string;
    let client: KinesisVideoArchivedMediaClient;
    before(async () => {
      stream = await createStream(t, 'lf-err');
      await ingestFixture(t, stream, 'h264.mkv');
      client = await archivedMediaClient(t, stream);
    });

    const invalid: [string, () => Record<string, unknown>][] = [
      ['MaxResults 0', () => ({ StreamName: stream, MaxResults: 0 })],
      ['MaxResults 1001', () => ({ StreamName: stream, MaxResults: 1001 })],
      ['neither StreamName nor StreamARN', () => ({})],
      ['both StreamName and StreamARN', () => ({ StreamName: stream, StreamARN: 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/x/1' })],
      ['a StartTimestamp after the EndTimestamp', () => ({
        StreamName: stream,
        FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(2000), EndTimestamp: new Date(1000) } },
      })],
      ['a selector without a range', () => ({ StreamName: stream, FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP' } })],
      ['a garbage NextToken', () => ({ StreamName: stream, NextToken: 'bm90IGEgdG9rZW4=' })],
    ];
    for (const [what, input] of invalid) {
      test(`${what}: InvalidArgumentException`, async () => {
        const err = await rejection(() => client.send(new ListFragmentsCommand(input() as never)));
        assert.ok(err instanceof InvalidArgumentException, `${err.name}: ${err.message}`);
        assert.equal(err.$metadata?.httpStatusCode, 400);
      });
    }

    test('a NextToken is bound to its stream and its selector, and refuses edits', async () => {
      const other = await createStream(t, 'lf-err-other');
      await ingestFixture(t, other, 'h264.mkv');
      const page = await client.send(new ListFragmentsCommand({ StreamName: stream, MaxResults: 1 }));
      const token = page.NextToken!;
      const refused = async (input: Record<string, unknown>) => {
        const err = await rejection(() => client.send(new ListFragmentsCommand(input as never)));
        assert.ok(err instanceof InvalidArgumentException, `${err.name}: ${err.message}`);
      };
      await refused({ StreamName: other, NextToken: token });
      await refused({
        StreamName: stream,
        NextToken: token,
        FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(0), EndTimestamp: new Date() } },
      });
      const text = Buffer.from(token, 'base64').toString('latin1');
      const edited = text.replace(/\d(\|[0-9a-f]+)$/, (m, check: string) => `${(Number(m[0]) + 1) % 10}${check}`);
      assert.notEqual(edited, text);
      await refused({ StreamName: stream, NextToken: Buffer.from(edited, 'latin1').toString('base64') });
      // A stream deleted and re-created under the same name is another stream.
      const { StreamInfo } = await t.control().send(new DescribeStreamCommand({ StreamName: other }));
      const otherPage = await client.send(new ListFragmentsCommand({ StreamName: other, MaxResults: 1 }));
      await t.control().send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN }));
      await createStreamNamed(t, other);
      await refused({ StreamName: other, NextToken: otherPage.NextToken });
    });

    test('an unknown stream: ResourceNotFoundException', async () => {
      const err = await rejection(() => client.send(new ListFragmentsCommand({ StreamName: 'no-such-stream' })));
      assert.ok(err instanceof ResourceNotFoundException, err.name);
      assert.equal(err.$metadata?.httpStatusCode, 404);
    });

    test('a stream with no fragments lists nothing', async () => {
      const empty = await createStream(t, 'lf-empty');
      const page = await client.send(new ListFragmentsCommand({ StreamName: empty }));
      assert.deepEqual(page.Fragments, []);
      assert.equal(page.NextToken, undefined);
    });
  });
});

async function createStreamNamed(t: TestServer, name: string): Promise<void> {
  await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
}
