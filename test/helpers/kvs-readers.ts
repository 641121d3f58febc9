/**
 * Helpers for the archive-reader tests (ListFragments, GetMediaForFragmentList, GetMedia): the v3
 * SDK clients pointed where GetDataEndpoint says, as real consumers do, and ways to judge the
 * Matroska they return with other people's tools (ffmpeg, ffprobe, mkvinfo), never our parser.
 */
import { CreateStreamCommand, GetDataEndpointCommand, type APIName } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MKVINFO } from './mkvinfo.js';
import { findTool, REPO_ROOT, skipUnlessPresent } from './process.js';
import { rawPutMedia, type WireAck } from './put-media.js';
import { TEST_CREDENTIALS, type TestServer } from './server.js';

export const FFMPEG = findTool(['ffmpeg']);
export const FFPROBE = findTool(['ffprobe']);

/** Skip reason when ffmpeg, ffprobe or mkvinfo is missing (required in CI). */
export function mediaToolsSkip(): string | false {
  return (
    skipUnlessPresent(FFMPEG, 'ffmpeg (apt-get install -y ffmpeg)') ||
    skipUnlessPresent(FFPROBE, 'ffprobe (apt-get install -y ffmpeg)') ||
    skipUnlessPresent(MKVINFO, 'mkvinfo (apt-get install -y mkvtoolnix)')
  );
}

export const fixture = (name: string): string => path.join(REPO_ROOT, 'test/fixtures', name);

let streamCounter = 0;
export async function createStream(t: TestServer, prefix: string, retentionHours = 24): Promise<string> {
  const name = `${prefix}-${++streamCounter}-${process.pid}`;
  await t.control().send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retentionHours }));
  return name;
}

/** The data endpoint for one API, asked the way the SDK-based consumers ask. */
export async function dataEndpoint(t: TestServer, streamName: string, apiName: APIName): Promise<string> {
  const { DataEndpoint } = await t.control().send(new GetDataEndpointCommand({ StreamName: streamName, APIName: apiName }));
  if (!DataEndpoint) throw new Error('GetDataEndpoint returned no endpoint');
  return DataEndpoint;
}

export async function archivedMediaClient(t: TestServer, streamName: string, apiName: APIName = 'LIST_FRAGMENTS'): Promise<KinesisVideoArchivedMediaClient> {
  const endpoint = await dataEndpoint(t, streamName, apiName);
  return new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

export async function mediaClient(t: TestServer, streamName: string): Promise<KinesisVideoMediaClient> {
  const endpoint = await dataEndpoint(t, streamName, 'GET_MEDIA');
  return new KinesisVideoMediaClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

export interface Ingested {
  readonly acks: WireAck[];
  /** Fragment numbers, from the PERSISTED acks, in order. */
  readonly numbers: string[];
  /** Wall clock just before the PutMedia and once it ended (bounds for server timestamps). */
  readonly startedMs: number;
  readonly endedMs: number;
}

/** Sends a fixture through PutMedia (RELATIVE timecodes from `startSeconds`) and checks it was all PERSISTED. */
export async function ingestFixture(t: TestServer, streamName: string, name: string, startSeconds = '1700000000.000'): Promise<Ingested> {
  const startedMs = Date.now();
  const result = await rawPutMedia(t.url, readFileSync(fixture(name)), {
    headers: { 'x-amzn-stream-name': streamName, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': startSeconds },
  });
  const endedMs = Date.now();
  if (result.status !== 200 || result.acks.some((a) => a.EventType === 'ERROR')) throw new Error(`ingest of ${name} failed: ${result.status} ${result.text}`);
  const numbers = result.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
  return { acks: result.acks, numbers, startedMs, endedMs };
}

/**
 * The stream's fragments in fragment-number order, once there are at least `count` (or after 2 s
 * of asking). A producer that closes its connection as it sends its last bytes (ffmpeg's HTTP
 * output) is gone a moment before its last fragment is committed.
 */
export async function fragmentsOnceListed(client: KinesisVideoArchivedMediaClient, streamName: string, count: number): Promise<Fragment[]> {
  const list = async () => (await client.send(new ListFragmentsCommand({ StreamName: streamName }))).Fragments ?? [];
  let fragments = await list();
  for (let tries = 0; fragments.length < count && tries < 20; tries++) {
    await new Promise((r) => setTimeout(r, 100));
    fragments = await list();
  }
  return fragments.sort((a, b) => a.FragmentNumber!.localeCompare(b.FragmentNumber!));
}

/** A streamed SDK payload (in Node, a Readable), read whole. */
export async function readAll(payload: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (payload ?? []) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The EBML header that opens every document openkvs writes: ID 1A45DFA3, then DocType "matroska" within it. */
const EBML_MAGIC = Buffer.from('1a45dfa3', 'hex');

/**
 * Cuts a stream of concatenated Matroska documents at each EBML header (the 4-byte ID followed,
 * within its first 40 bytes, by the DocType text), so each can be judged on its own.
 */
export function splitDocuments(bytes: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let at = bytes.indexOf(EBML_MAGIC); at >= 0; at = bytes.indexOf(EBML_MAGIC, at + 1)) {
    if (bytes.subarray(at, at + 40).includes('matroska')) starts.push(at);
  }
  return starts.map((start, i) => bytes.subarray(start, starts[i + 1] ?? bytes.length));
}

/** Runs `fn` with `bytes` written to a temporary .mkv file. */
export function withTempFile<T>(bytes: Buffer, fn: (file: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'openkvs-doc-'));
  const file = path.join(dir, 'doc.mkv');
  try {
    writeFileSync(file, bytes);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * ffmpeg's per-packet digest (`-c copy -f framemd5`) of the streams `map` selects: one line per
 * packet "stream, dts, pts, duration, size, md5", comments dropped.
 */
export function framemd5(input: string | Buffer, map = '0'): string[] {
  // -copyts: keep the stored timestamps (ffmpeg would otherwise shift each input to start at 0).
  const args = ['-v', 'error', '-copyts', '-i', typeof input === 'string' ? input : 'pipe:0', '-map', map, '-c', 'copy', '-f', 'framemd5', '-'];
  // stderr piped, not inherited: ffmpeg notes each concatenated document's Segment there.
  const out = execFileSync(FFMPEG!, args, {
    encoding: 'utf8',
    input: typeof input === 'string' ? undefined : input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** ffmpeg decodes every packet; returns what it complained about (empty: a clean decode). */
export function decodeErrors(input: string | Buffer): string {
  const args = ['-v', 'error', '-i', typeof input === 'string' ? input : 'pipe:0', '-f', 'null', '-'];
  const run = spawnSync(FFMPEG!, args, { encoding: 'utf8', input: typeof input === 'string' ? undefined : input, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) return `ffmpeg exited with ${run.status}: ${run.stderr}`;
  return run.stderr.trim();
}

export interface MkvinfoTag {
  readonly name: string;
  readonly value: string;
  /** 0 for Tags before the first Cluster, then 1 for the Tags after it. */
  readonly afterClusters: number;
  /** Which level-1 Tags element (0, 1, ...) holds it. */
  readonly tagsIndex: number;
}

/** Every SimpleTag of one document, as mkvinfo reads it, with the Tags element it sits in. */
export function mkvinfoTags(document: Buffer): MkvinfoTag[] {
  const out = withTempFile(document, (file) => execFileSync(MKVINFO!, ['-v', file], { encoding: 'utf8' }));
  const tags: MkvinfoTag[] = [];
  let clusters = 0;
  let tagsIndex = -1;
  let name: string | undefined;
  for (const line of out.split('\n')) {
    if (/^\|\+ Cluster/.test(line)) clusters++;
    else if (/^\|\+ Tags/.test(line)) tagsIndex++;
    const nameMatch = /^\|\s+\+ Name: (.*)$/.exec(line);
    if (nameMatch && tagsIndex >= 0) name = nameMatch[1];
    // mkvinfo prints an empty TagString as a bare "+ String".
    const valueMatch = /^\|\s+\+ String(?:: (.*))?$/.exec(line);
    if (valueMatch && name !== undefined) {
      tags.push({ name, value: valueMatch[1] ?? '', afterClusters: clusters, tagsIndex });
      name = undefined;
    }
  }
  return tags;
}

/** The value of the one tag called `name`; throws if absent. */
export function tagValue(tags: readonly MkvinfoTag[], name: string): string {
  const tag = tags.find((t) => t.name === name);
  if (!tag) throw new Error(`no tag ${name} in ${JSON.stringify(tags)}`);
  return tag.value;
}

/** "1726677687.758" → 1726677687758. */
export const secondsTextToMs = (text: string): number => Math.round(Number(text) * 1000);

/** A document boundary a GetMedia reader saw: the byte after its last tag, and when it arrived. */
export interface ReceivedDocument {
  readonly end: number;
  readonly arrivedMs: number;
  /** AWS_KINESISVIDEO_FRAGMENT_NUMBER of a media document, undefined for an error document. */
  readonly fragmentNumber: string | undefined;
  /** AWS_KINESISVIDEO_CONTINUATION_TOKEN (media) or AWS_KINESISVIDEO_ERROR_ID (error) value. */
  readonly last: string;
}

export interface GetMediaRead {
  /** Every byte received (the last document may be cut off when the reader stopped). */
  readonly body: Buffer;
  readonly documents: ReceivedDocument[];
  /** The response ended on its own (not aborted by the reader). */
  readonly ended: boolean;
}

/**
 * Recognises complete documents in a GetMedia body as it arrives, by their last tag: a document
 * ends with the value of AWS_KINESISVIDEO_CONTINUATION_TOKEN (or, for an error document,
 * AWS_KINESISVIDEO_ERROR_ID): the tag name, the TagString ID 44 87, a one-byte EBML size, the
 * value. A byte-pattern scan, independent of openkvs's parser.
 */
export class DocumentScanner {
  readonly documents: ReceivedDocument[] = [];
  private scanned = 0;
  private lastFragmentNumber: string | undefined;

  scan(body: Buffer, arrivedMs: number): void {
    const text = body.toString('latin1');
    const pattern = /AWS_KINESISVIDEO_(FRAGMENT_NUMBER|CONTINUATION_TOKEN|ERROR_ID)\x44\x87([\x80-\xff])/g;
    pattern.lastIndex = this.scanned;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const length = match[2]!.charCodeAt(0) & 0x7f;
      const valueStart = match.index + match[0].length;
      if (valueStart + length > text.length) break;
      const value = text.slice(valueStart, valueStart + length);
      this.scanned = valueStart + length;
      if (match[1] === 'FRAGMENT_NUMBER') this.lastFragmentNumber = value;
      else {
        const fragmentNumber = match[1] === 'CONTINUATION_TOKEN' ? this.lastFragmentNumber : undefined;
        this.documents.push({ end: valueStart + length, arrivedMs, fragmentNumber, last: value });
        this.lastFragmentNumber = undefined;
      }
    }
  }
}

/**
 * A GetMedia through the v3 SDK, read until `documents` complete documents arrived, the response
 * ended, or `timeoutMs` passed; then the reader hangs up. `onDocument` sees each as it completes.
 */
export async function readGetMedia(
  client: KinesisVideoMediaClient,
  input: ConstructorParameters<typeof GetMediaCommand>[0],
  options: { documents: number; timeoutMs: number; onDocument?: (d: ReceivedDocument) => void },
): Promise<GetMediaRead> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  const scanner = new DocumentScanner();
  let body = Buffer.alloc(0);
  let ended = false;
  try {
    const out = await client.send(new GetMediaCommand(input), { abortSignal: abort.signal });
    for await (const chunk of out.Payload as AsyncIterable<Uint8Array>) {
      body = Buffer.concat([body, chunk]);
      const before = scanner.documents.length;
      scanner.scan(body, performance.timeOrigin + performance.now());
      for (const d of scanner.documents.slice(before)) options.onDocument?.(d);
      if (scanner.documents.length >= options.documents) break;
    }
    // Reaching here without enough documents means the server ended the response.
    ended = scanner.documents.length < options.documents;
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { body, documents: scanner.documents, ended };
}
