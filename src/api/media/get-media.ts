import type { ServerResponse } from 'node:http';
import { encodeContinuationToken } from '../../archive/continuation-token.js';
import { fragmentDocument, TrackHeaderCache, type DocumentSource } from '../../archive/fragment-documents.js';
import { tailFragments } from '../../archive/fragment-tail.js';
import { resolveStart, type StartPoint, type StartSelector, type StartSelectorType } from '../../archive/get-media-start.js';
import { ResponseSink } from '../../archive/response-sink.js';
import { ConnectionLimitExceededException, ServiceUnavailableException } from '../../domain/errors.js';
import type { FragmentRecord } from '../../domain/fragment.js';
import type { StreamRecord } from '../../domain/stream.js';
import { KvsTagName, kvsErrorDocument, type ReaderPosition } from '../../formats/matroska/kvs-document.js';
import { BlobNotFoundError } from '../../storage/blob-store.js';
import { MKV_CONTENT_TYPE } from '../archived/get-media-for-fragment-list.js';
import type { RequestContext } from '../context.js';
import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonStreamOperation } from '../operation.js';
import { operations } from '../shapes/kinesis-video-media.js';
import { parseTimestampMs } from '../shapes/validate.js';

interface GetMediaInput extends StreamRef {
  StartSelector: {
    StartSelectorType: StartSelectorType;
    AfterFragmentNumber?: string;
    StartTimestamp?: unknown;
    ContinuationToken?: string;
  };
}

function startSelector(input: GetMediaInput['StartSelector']): StartSelector {
  return {
    type: input.StartSelectorType,
    afterFragmentNumber: input.AfterFragmentNumber,
    // Validated as a wire timestamp by the HTTP layer; read the same way.
    startTimestampMs: input.StartTimestamp == null ? undefined : parseTimestampMs(input.StartTimestamp),
    continuationToken: input.ContinuationToken,
  };
}

/** Concurrent GetMedia connections per stream (kvs-api.md §6.2: 3, hard limit). */
export const GET_MEDIA_CONNECTIONS_PER_STREAM = 3;

/**
 * How long one GetMedia may stay open. AWS documents none; real sessions end after 40–50 minutes
 * (kvs-api.md §3.1) without an error, and readers reconnect with their continuation token.
 */
export const GET_MEDIA_MAX_SESSION_MS = 45 * 60_000;

/**
 * What ends a GetMedia whose stream is deleted. GetMedia's documented error ids name no deleted
 * stream; KVS's own enums (PIC, Java SDK) call it 4507 STREAM_DELETED (kvs-api.md §3.2).
 */
const STREAM_DELETED = { code: 'STREAM_DELETED', id: '4507' };

/**
 * GetMedia (kvs-api.md §3.1): from the StartSelector's fragment on, every fragment in number order
 * as its own Matroska document ending in AWS_KINESISVIDEO_MILLIS_BEHIND_NOW and
 * AWS_KINESISVIDEO_CONTINUATION_TOKEN; then the response stays open and each new fragment goes out
 * as soon as it is indexed (when its PERSISTED ack goes out). Nothing is sent while the stream is
 * idle. It ends when the client leaves, after GET_MEDIA_MAX_SESSION_MS, or with an error document
 * when the stream is deleted. Writes wait for the socket to drain, so a slow reader costs memory
 * for one socket buffer, not a backlog.
 */
export const getMedia: JsonStreamOperation<GetMediaInput> = {
  name: 'GetMedia',
  shape: operations.GetMedia,
  async handle(input: GetMediaInput, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const stream = await findStream(ctx, input);
    const start = await resolveStart(ctx.index, stream, startSelector(input.StartSelector));
    const release = await ctx.getMediaSlots.acquire(stream.streamId);
    if (!release) {
      throw new ConnectionLimitExceededException(`Stream ${stream.name} already has ${GET_MEDIA_CONNECTIONS_PER_STREAM} GetMedia connections.`);
    }
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), GET_MEDIA_MAX_SESSION_MS);
    res.once('close', () => stop.abort());
    try {
      res.writeHead(200, { 'content-type': MKV_CONTENT_TYPE });
      // The reader learns at once that the call succeeded, even if no fragment is due yet.
      res.flushHeaders();
      await streamTail(ctx, stream, start, res, stop.signal);
    } finally {
      clearTimeout(timer);
      release();
    }
  },
};

async function streamTail(
  ctx: RequestContext,
  stream: StreamRecord,
  start: StartPoint,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const sink = new ResponseSink(res);
  const source: DocumentSource = { blobs: ctx.blobs, headers: new TrackHeaderCache(ctx.index) };
  const position = (fragment: FragmentRecord): ReaderPosition => ({
    millisBehindNow: Math.max(0, ctx.clock.nowMs() - fragment.serverTimestampMs),
    continuationToken: encodeContinuationToken(stream.arn, fragment.fragmentNumber),
  });
  const tail = tailFragments({ index: ctx.index, feed: ctx.feed, streamId: stream.streamId, streamArn: stream.arn, start, signal });
  try {
    for await (const item of tail) {
      if (item.kind === 'stream-deleted') {
        await sink.write(deletedDocument());
        break;
      }
      const document = await openDocument(source, item.fragment, position);
      if (document && !(await sink.pipe(document))) break;
    }
  } catch (err) {
    // The index or the object store went away mid-session: say so in-band, as KVS ends a GetMedia
    // on an error; the reader resumes later with its last continuation token.
    if (!(err instanceof ServiceUnavailableException)) throw err;
    ctx.log.warn({ err, stream: stream.name }, 'GetMedia ended: storage unavailable');
    await sink.write(errorDocument(INTERNAL_ERROR));
  }
  sink.end();
}

/** The fragment's document; undefined when retention removed its bytes after the index read. */
async function openDocument(
  source: DocumentSource,
  fragment: FragmentRecord,
  position: (fragment: FragmentRecord) => ReaderPosition,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  try {
    return await fragmentDocument(source, fragment, () => position(fragment));
  } catch (err) {
    if (err instanceof BlobNotFoundError) return undefined;
    throw err;
  }
}

/** GetMedia's documented error id 5000 "Internal error" (kvs-api.md §3.1): storage could not be read. */
const INTERNAL_ERROR = { code: 'INTERNAL_ERROR', id: '5000' };

function deletedDocument(): Uint8Array {
  return errorDocument(STREAM_DELETED);
}

function errorDocument(error: { code: string; id: string }): Uint8Array {
  return kvsErrorDocument([
    { name: KvsTagName.errorCode, value: error.code },
    { name: KvsTagName.errorId, value: error.id },
  ]);
}
