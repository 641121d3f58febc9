/**
 * Helpers for HLS/DASH tests: streams fed from the fixtures through PutMedia, archived-media
 * clients reached the way a real application reaches them (GetDataEndpoint with the API's
 * name, then the SDK client on that endpoint), and small synthetic Matroska documents for the
 * codec-private-data error cases.
 */
import { CreateStreamCommand, GetDataEndpointCommand, type APIName } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { MatroskaId } from '../../src/formats/matroska/ids.js';
import {
  binaryElement,
  ebmlHeaderElement,
  element,
  simpleBlockElement,
  stringElement,
  uintElement,
  unknownSizeElement,
} from '../../src/formats/matroska/writer.js';
import { rawPutMedia, type PutMediaResult } from './put-media.js';
import { REPO_ROOT } from './process.js';
import { TEST_CREDENTIALS, type TestServer } from './server.js';

export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

export function fixtureBytes(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export async function createStream(kvs: TestServer, name: string, retentionHours = 24): Promise<void> {
  await kvs.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
}

/**
 * Sends a Matroska document to a stream with RELATIVE timecodes from `startSeconds` (producer
 * time), as the fixtures need; every fragment must come back PERSISTED.
 */
export async function putDocument(kvs: TestServer, stream: string, body: Uint8Array, startSeconds = 1_700_000_000): Promise<PutMediaResult> {
  const result = await rawPutMedia(kvs.url, body, {
    headers: {
      'x-amzn-stream-name': stream,
      'x-amzn-fragment-timecode-type': 'RELATIVE',
      'x-amzn-producer-start-timestamp': startSeconds.toFixed(3),
    },
  });
  assert.equal(result.status, 200, result.text);
  assert.ok(!result.acks.some((a) => a.EventType === 'ERROR'), result.text);
  return result;
}

/** A stream holding a fixture's fragments (three 2-s fragments each). */
export async function streamWithFixture(kvs: TestServer, stream: string, fixture: string, startSeconds?: number): Promise<PutMediaResult> {
  await createStream(kvs, stream);
  return putDocument(kvs, stream, fixtureBytes(fixture), startSeconds);
}

/** The archived-media client for `apiName`, on the endpoint GetDataEndpoint returns for it. */
export async function archivedMediaClient(kvs: TestServer, stream: string, apiName: APIName): Promise<KinesisVideoArchivedMediaClient> {
  const { DataEndpoint } = await kvs.control().send(new GetDataEndpointCommand({ StreamName: stream, APIName: apiName }));
  assert.ok(DataEndpoint);
  return new KinesisVideoArchivedMediaClient({ endpoint: DataEndpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

/**
 * A one-fragment Matroska document with one video track of `codecId` and the given CodecPrivate
 * (none when undefined): the frame is not real video, which only the media resources would notice.
 */
export function syntheticDocument(codecId: string, codecPrivate: Uint8Array | undefined): Uint8Array {
  const trackEntry = element(MatroskaId.TrackEntry, [
    uintElement(MatroskaId.TrackNumber, 1),
    uintElement(MatroskaId.TrackUID, 1),
    uintElement(MatroskaId.TrackType, 1),
    stringElement(MatroskaId.CodecID, codecId),
    ...(codecPrivate ? [binaryElement(MatroskaId.CodecPrivate, codecPrivate)] : []),
  ]);
  const cluster = element(MatroskaId.Cluster, [
    uintElement(MatroskaId.Timestamp, 0),
    simpleBlockElement({ track: 1, timecode: 0, key: true, frames: [Uint8Array.of(0, 0, 0, 2, 0x65, 0x88)] }),
  ]);
  const segment = unknownSizeElement(MatroskaId.Segment, [
    element(MatroskaId.Info, [uintElement(MatroskaId.TimestampScale, 1_000_000)]),
    element(MatroskaId.Tracks, [trackEntry]),
    cluster,
  ]);
  const header = ebmlHeaderElement();
  const out = new Uint8Array(header.length + segment.length);
  out.set(header, 0);
  out.set(segment, header.length);
  return out;
}

/** GET a playback resource; the status, headers and body text. */
export async function getResource(url: string): Promise<{ status: number; headers: Headers; text: string; bytes: Buffer }> {
  const res = await fetch(url);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
}

/** The token of a session URL. */
export function tokenOf(sessionUrl: string): string {
  const token = new URL(sessionUrl).searchParams.get('SessionToken');
  assert.ok(token, sessionUrl);
  return token;
}

/** A URL relative to the session URL (playlists and manifests name their children relatively). */
export function resolveUrl(base: string, relative: string): string {
  return new URL(relative, base).toString();
}
