/**
 * Test helper: fixtures archived the way the playback resources will find them. Each fixture is
 * sent through PutMedia (RELATIVE timecodes) into a test server, which is then stopped; the
 * stream's fragment records, its stored track header and the blob store are read back from the
 * data dir with the server's own storage adapters.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FragmentRecord } from '../../../../src/domain/fragment.js';
import type { BlobStore } from '../../../../src/storage/blob-store.js';
import type { IndexStore } from '../../../../src/storage/index-store.js';
import { openBlobStore, openIndexStore } from '../../../../src/storage/open.js';
import { rawPutMedia } from '../../../helpers/put-media.js';
import { startTestServer } from '../../../helpers/server.js';
import { fixturePath } from '../../formats/isobmff/mkv-source.js';

/** Producer start timestamp sent with every fixture: fragments land at this epoch time + their cluster timecode. */
export const PRODUCER_START_MS = 1_700_000_000_000;

export interface ArchivedStream {
  readonly fixture: string;
  /** In fragment-number order. */
  readonly fragments: readonly FragmentRecord[];
  /** Info + Tracks as stored (every fragment of a fixture shares one header). */
  readonly trackHeader: Uint8Array;
}

export interface Archive {
  readonly blobs: BlobStore;
  readonly streams: ReadonlyMap<string, ArchivedStream>;
  close(): Promise<void>;
}

/** Ingests each fixture into its own stream of a fresh server and opens what it stored. */
export async function archiveFixtures(fixtures: readonly string[]): Promise<Archive> {
  const server = await startTestServer();
  try {
    for (const [i, fixture] of fixtures.entries()) {
      await server.control().send(new CreateStreamCommand({ StreamName: `s${i}`, DataRetentionInHours: 24 }));
      const result = await rawPutMedia(server.url, readFileSync(fixturePath(fixture)), {
        headers: { 'x-amzn-stream-name': `s${i}`, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': String(PRODUCER_START_MS / 1000) },
      });
      const errors = result.acks.filter((ack) => ack.EventType === 'ERROR');
      if (result.status !== 200 || errors.length > 0) throw new Error(`PutMedia of ${fixture}: ${result.status} ${JSON.stringify(errors)}`);
    }
  } finally {
    await server.stop();
  }
  const index = await openIndexStore(`sqlite://${path.join(server.dataDir, 'index.sqlite')}`);
  const blobs = await openBlobStore(`file://${path.join(server.dataDir, 'fragments')}`);
  const streams = new Map<string, ArchivedStream>();
  for (const [i, fixture] of fixtures.entries()) streams.set(fixture, await readStream(index, `s${i}`, fixture));
  await index.close();
  return {
    blobs,
    streams,
    async close() {
      await blobs.close();
      await rm(server.dataDir, { recursive: true, force: true });
    },
  };
}

async function readStream(index: IndexStore, name: string, fixture: string): Promise<ArchivedStream> {
  const stream = await index.getStreamByName(name);
  if (!stream) throw new Error(`stream ${name} is gone`);
  const fragments = await index.listFragments(stream.streamId, { limit: 1000 });
  const headerIds = new Set(fragments.map((f) => f.headerId));
  const [headerId] = headerIds;
  if (headerIds.size !== 1 || headerId === undefined) throw new Error(`${fixture}: ${headerIds.size} track headers`);
  const trackHeader = await index.getTrackHeader(headerId);
  if (!trackHeader) throw new Error(`${fixture}: track header ${headerId} missing`);
  return { fixture, fragments, trackHeader };
}

/** The archived stream of a fixture. */
export function streamOf(archive: Archive, fixture: string): ArchivedStream {
  const stream = archive.streams.get(fixture);
  if (!stream) throw new Error(`${fixture} was not archived`);
  return stream;
}

/** Every batch of a segment body, concatenated. */
export async function bodyBytes(body: { batches: AsyncIterable<readonly Uint8Array[]> }): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const batch of body.batches) parts.push(...batch);
  return Buffer.concat(parts);
}
