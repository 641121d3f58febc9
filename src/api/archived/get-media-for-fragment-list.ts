import type { ServerResponse } from 'node:http';
import { fragmentDocument, TrackHeaderCache, type DocumentSource } from '../../archive/fragment-documents.js';
import { ResponseSink } from '../../archive/response-sink.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import { parseFragmentNumber } from '../../domain/fragment.js';
import { KvsTagName, kvsErrorDocument } from '../../formats/matroska/kvs-document.js';
import { BlobNotFoundError } from '../../storage/blob-store.js';
import type { RequestContext } from '../context.js';
import { findStream, type StreamRef } from '../control/stream-access.js';
import type { JsonStreamOperation } from '../operation.js';
import { operations } from '../shapes/kinesis-video-archived-media.js';

interface GetMediaForFragmentListInput extends StreamRef {
  Fragments: string[];
}

/** What KVS answers for a fragment it does not have, in-band (observed in aws/aws-sdk-js#3217). */
const FRAGMENT_NOT_FOUND = { code: 'FRAGMENT_NOT_FOUND', id: '3000' };

/** GetMedia and GetMediaForFragmentList answer with this Content-Type (kvs-api.md §3.1, observed). */
export const MKV_CONTENT_TYPE = 'video/webm';

/**
 * GetMediaForFragmentList (kvs-api.md §4.2): one Matroska document per requested fragment, in the
 * order asked, each streamed from storage as it is written (the answer is never held whole).
 *
 * Unknown numbers, as AWS answers them: a number that cannot be a fragment number at all fails the
 * whole call with InvalidArgumentException ("Fragment numbers are invalid", parser-library #50);
 * a well-formed number the stream does not have (never written, or gone with retention) gets, in
 * its place, a document holding only AWS_KINESISVIDEO_ERROR_CODE FRAGMENT_NOT_FOUND,
 * AWS_KINESISVIDEO_ERROR_ID 3000 and its AWS_KINESISVIDEO_FRAGMENT_NUMBER, and the rest follow.
 */
export const getMediaForFragmentList: JsonStreamOperation<GetMediaForFragmentListInput> = {
  name: 'GetMediaForFragmentList',
  shape: operations.GetMediaForFragmentList,
  async handle(input: GetMediaForFragmentListInput, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const stream = await findStream(ctx, input);
    const invalid = input.Fragments.filter((n) => parseFragmentNumber(n) === undefined);
    if (invalid.length > 0) throw new InvalidArgumentException(`Fragment numbers are invalid: ${invalid.slice(0, 5).join(', ')}`);
    res.writeHead(200, { 'content-type': MKV_CONTENT_TYPE });
    const sink = new ResponseSink(res);
    const source: DocumentSource = { blobs: ctx.blobs, headers: new TrackHeaderCache(ctx.index) };
    for (const fragmentNumber of input.Fragments) {
      const document = await openDocument(source, ctx, stream.streamId, fragmentNumber);
      if (!(await sink.pipe(document))) return;
    }
    sink.end();
  },
};

/** The fragment's document, or the in-band not-found document when the stream lacks it. */
async function openDocument(
  source: DocumentSource,
  ctx: RequestContext,
  streamId: number,
  fragmentNumber: string,
): Promise<AsyncIterable<Uint8Array> | Uint8Array[]> {
  const fragment = await ctx.index.getFragment(streamId, fragmentNumber);
  try {
    if (fragment) return await fragmentDocument(source, fragment);
  } catch (err) {
    // Retention may delete the bytes between the index read and the file open.
    if (!(err instanceof BlobNotFoundError)) throw err;
  }
  return [
    kvsErrorDocument([
      { name: KvsTagName.errorCode, value: FRAGMENT_NOT_FOUND.code },
      { name: KvsTagName.errorId, value: FRAGMENT_NOT_FOUND.id },
      { name: KvsTagName.fragmentNumber, value: fragmentNumber },
    ]),
  ];
}
