import {
  GetMediaForFragmentListCommand,
  InvalidArgumentException,
  ListFragmentsCommand,
  ResourceNotFoundException,
  type KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KvsTagName } from '../../src/formats/matroska/kvs-document.js';
import {
  archivedMediaClient,
  createStream,
  decodeErrors,
  fixture,
  framemd5,
  ingestFixture,
  mediaToolsSkip,
  mkvinfoTags,
  readAll,
  secondsTextToMs,
  splitDocuments,
  tagValue,
} from '../helpers/kvs-readers.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

/** framemd5 lines of one stream index ("0", "1"), in order. */
const ofStream = (lines: string[], index: string) => lines.filter((l) => l.startsWith(`${index},`));

async function getMedia(client: KinesisVideoArchivedMediaClient, streamName: string, fragments: string[]) {
  const out = await client.send(new GetMediaForFragmentListCommand({ StreamName: streamName, Fragments: fragments }));
  return { contentType: out.ContentType, body: await readAll(out.Payload) };
}

describe('GetMediaForFragmentList', { skip: mediaToolsSkip() }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  for (const [name, streams] of [
    ['h264-aac.mkv', ['0', '1']],
    ['h264.mkv', ['0']],
    ['h265.mkv', ['0']],
    ['h264-g711.mkv', ['0', '1']],
    ['h264-bframes.mkv', ['0']],
  ] as const) {
    test(`${name}: one document per fragment; ffmpeg finds the source's packets, bit for bit, and decodes them cleanly`, async () => {
      const stream = await createStream(t, 'gmffl');
      await ingestFixture(t, stream, name);
      const client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
      const { Fragments = [] } = await client.send(new ListFragmentsCommand({ StreamName: stream }));
      const numbers = Fragments.map((f) => f.FragmentNumber!);
      const { contentType, body } = await getMedia(client, stream, numbers);
      assert.equal(contentType, 'video/webm');
      const source = framemd5(fixture(name));
      // The whole answer, as a consumer piping it into ffmpeg sees it.
      assert.deepEqual(framemd5(body), source, 'every packet: timestamps, sizes, MD5s');
      // Each document on its own: its packets, and together exactly the source's.
      const documents = splitDocuments(body);
      assert.equal(documents.length, numbers.length);
      const perDocument = documents.map((d) => framemd5(d));
      for (const index of streams) assert.deepEqual(perDocument.flatMap((lines) => ofStream(lines, index)), ofStream(source, index), `stream ${index}`);
      documents.forEach((d, i) => assert.equal(decodeErrors(d), '', `document ${i} decodes without errors`));
      documents.forEach((d, i) => {
        const tags = mkvinfoTags(d);
        const fragment = Fragments[i]!;
        assert.equal(tagValue(tags, KvsTagName.fragmentNumber), numbers[i]);
        assert.equal(secondsTextToMs(tagValue(tags, KvsTagName.serverTimestamp)), fragment.ServerTimestamp!.getTime());
        assert.equal(secondsTextToMs(tagValue(tags, KvsTagName.producerTimestamp)), fragment.ProducerTimestamp!.getTime());
        assert.ok(tags.every((tag) => tag.afterClusters === 0), 'no reader-position tags (those are GetMedia\'s)');
      });
    });
  }

  test('the producer\'s fragment metadata follows each Cluster, one Tags per item', async () => {
    const stream = await createStream(t, 'gmffl-tags');
    const { numbers } = await ingestFixture(t, stream, 'h264-with-tags.mkv');
    const client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
    const documents = splitDocuments((await getMedia(client, stream, numbers)).body);
    for (const document of documents) {
      const after = mkvinfoTags(document).filter((tag) => tag.afterClusters === 1);
      assert.deepEqual(
        after.map((tag) => [tag.tagsIndex, tag.name, tag.value]),
        [
          [1, 'camera', 'front'],
          [2, 'event', 'motion'],
        ],
      );
    }
  });

  test('documents come in the order asked, repeats included', async () => {
    const stream = await createStream(t, 'gmffl-order');
    const { numbers } = await ingestFixture(t, stream, 'h264.mkv');
    const client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
    const asked = [numbers[2]!, numbers[0]!, numbers[0]!];
    const documents = splitDocuments((await getMedia(client, stream, asked)).body);
    assert.deepEqual(
      documents.map((d) => tagValue(mkvinfoTags(d), KvsTagName.fragmentNumber)),
      asked,
    );
  });

  test('a fragment the stream does not have: an error document in its place (as KVS answers), the others intact', async () => {
    const stream = await createStream(t, 'gmffl-missing');
    const other = await createStream(t, 'gmffl-other');
    const { numbers } = await ingestFixture(t, stream, 'h264.mkv');
    const { numbers: othersNumbers } = await ingestFixture(t, other, 'h264.mkv');
    const client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
    const never = '9' + '9'.repeat(46);
    const { body } = await getMedia(client, stream, [numbers[0]!, never, othersNumbers[1]!, numbers[1]!]);
    const documents = splitDocuments(body);
    assert.equal(documents.length, 4);
    for (const [i, missing] of [[1, never], [2, othersNumbers[1]!]] as const) {
      assert.deepEqual(
        mkvinfoTags(documents[i]!).map((tag) => [tag.name, tag.value]),
        [
          [KvsTagName.errorCode, 'FRAGMENT_NOT_FOUND'],
          [KvsTagName.errorId, '3000'],
          [KvsTagName.fragmentNumber, missing],
        ],
      );
    }
    assert.equal(tagValue(mkvinfoTags(documents[3]!), KvsTagName.fragmentNumber), numbers[1]);
    for (const i of [0, 3]) assert.equal(decodeErrors(documents[i]!), '', `document ${i} decodes`);
  });

  describe('errors', () => {
    let stream: string;
    let client: KinesisVideoArchivedMediaClient;
    before(async () => {
      stream = await createStream(t, 'gmffl-err');
      await ingestFixture(t, stream, 'h264.mkv');
      client = await archivedMediaClient(t, stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
    });

    const invalid: [string, () => Record<string, unknown>][] = [
      ['no fragments', () => ({ StreamName: stream, Fragments: [] })],
      ['1001 fragments', () => ({ StreamName: stream, Fragments: Array.from({ length: 1001 }, () => '9'.repeat(47)) })],
      ['a number that is not a fragment number', () => ({ StreamName: stream, Fragments: ['12345'] })],
      ['a non-digit number', () => ({ StreamName: stream, Fragments: ['12a45'] })],
      ['neither StreamName nor StreamARN', () => ({ Fragments: ['9'.repeat(47)] })],
    ];
    for (const [what, input] of invalid) {
      test(`${what}: InvalidArgumentException, before any media`, async () => {
        const err = await rejection(() => client.send(new GetMediaForFragmentListCommand(input() as never)));
        assert.ok(err instanceof InvalidArgumentException, `${err.name}: ${err.message}`);
        assert.equal(err.$metadata?.httpStatusCode, 400);
      });
    }

    test('an unknown stream: ResourceNotFoundException', async () => {
      const err = await rejection(() => client.send(new GetMediaForFragmentListCommand({ StreamName: 'no-such-stream', Fragments: ['9'.repeat(47)] })));
      assert.ok(err instanceof ResourceNotFoundException, err.name);
    });
  });
});
