/**
 * The Matroska documents KVS readers return (GetMedia, GetMediaForFragmentList; kvs-api.md §3.1):
 * one complete document per fragment, so a reader can start at any one of them.
 *
 *   EBML header
 *   Segment (unknown size)
 *     Info, Tracks            the producer's track header, as it was received
 *     Tags                    one Tag: AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP, _PRODUCER_TIMESTAMP
 *     Cluster                 the fragment's bytes, as they were received
 *     Tags ... Tags           the producer's fragment metadata, one item per Tags, as KVS sends it
 *     Tags                    (GetMedia) one Tag: AWS_KINESISVIDEO_MILLIS_BEHIND_NOW, _CONTINUATION_TOKEN
 *
 * A fragment can be megabytes, so the Cluster is not built here: `kvsDocumentPrefix` gives what
 * comes before it and `kvsDocumentSuffix` what comes after, and the caller streams the Cluster
 * between them straight from storage. Element layout: RFC 8794 (EBML), RFC 9559 (Matroska).
 */
import { concatBytes } from '../bytes/read.js';
import { MatroskaId } from './ids.js';
import { ebmlHeaderElement, element, elementHeader, stringElement } from './writer.js';

/** Tag names KVS adds to the documents it serves (kvs-api.md §3.1; parser-library FragmentMetadata). */
export const KvsTagName = {
  fragmentNumber: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER',
  serverTimestamp: 'AWS_KINESISVIDEO_SERVER_TIMESTAMP',
  producerTimestamp: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP',
  millisBehindNow: 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW',
  continuationToken: 'AWS_KINESISVIDEO_CONTINUATION_TOKEN',
  errorCode: 'AWS_KINESISVIDEO_ERROR_CODE',
  errorId: 'AWS_KINESISVIDEO_ERROR_ID',
} as const;

/** One metadata item: a SimpleTag's name and string value. */
export interface KvsTag {
  readonly name: string;
  readonly value: string;
}

/** What the KVS Tags before a Cluster say about its fragment. */
export interface FragmentIdentity {
  readonly fragmentNumber: string;
  readonly serverTimestampMs: number;
  readonly producerTimestampMs: number;
}

/** What GetMedia appends after each fragment (kvs-api.md §3.1). */
export interface ReaderPosition {
  readonly millisBehindNow: number;
  readonly continuationToken: string;
}

/**
 * Epoch milliseconds as KVS writes timestamps in its tags: seconds with exactly three decimals,
 * e.g. 1726677687758 → "1726677687.758" (integer arithmetic: no float rounding).
 */
export function kvsTimestampText(epochMs: number): string {
  if (!Number.isSafeInteger(epochMs) || epochMs < 0) throw new RangeError(`timestamp ${epochMs} ms is not a non-negative integer`);
  return `${Math.floor(epochMs / 1000)}.${String(epochMs % 1000).padStart(3, '0')}`;
}

/** RFC 9559 §5.1.8.1.2 SimpleTag: TagName (UTF-8), then TagString (UTF-8). */
export function simpleTagElement(tag: KvsTag): Uint8Array {
  return element(MatroskaId.SimpleTag, [
    stringElement(MatroskaId.TagName, tag.name), // TagName: the metadata name
    stringElement(MatroskaId.TagString, tag.value), // TagString: its value ('' for flag tags)
  ]);
}

/**
 * RFC 9559 §5.1.8.1 Tag: Targets, then its SimpleTags. Targets is mandatory (§5.1.8.1.1); left
 * empty, its TargetTypeValue defaults to 50, so the tags describe the whole segment — the one
 * fragment this document holds. (KVS's own documents omit Targets; readers look only at SimpleTags.)
 */
export function tagElement(tags: readonly KvsTag[]): Uint8Array {
  return element(MatroskaId.Tag, [element(MatroskaId.Targets, []), ...tags.map(simpleTagElement)]);
}

/** RFC 9559 §5.1.8 Tags: a level-1 element holding one Tag with `tags`. */
export function tagsElement(tags: readonly KvsTag[]): Uint8Array {
  return element(MatroskaId.Tags, [tagElement(tags)]);
}

/**
 * EBML header and the start of an unknown-size Segment (RFC 8794 §6.2): KVS streams its
 * documents, and an unknown size lets the Segment end wherever the next document begins.
 */
function documentStart(): Uint8Array[] {
  return [ebmlHeaderElement(), elementHeader(MatroskaId.Segment, undefined)];
}

/**
 * Everything before the Cluster: EBML header, Segment start, the stored track header (the
 * producer's Info and Tracks elements, whole) and the KVS Tags naming the fragment.
 */
export function kvsDocumentPrefix(trackHeader: Uint8Array, fragment: FragmentIdentity): Uint8Array {
  return concatBytes([
    ...documentStart(),
    trackHeader,
    tagsElement([
      { name: KvsTagName.fragmentNumber, value: fragment.fragmentNumber },
      { name: KvsTagName.serverTimestamp, value: kvsTimestampText(fragment.serverTimestampMs) },
      { name: KvsTagName.producerTimestamp, value: kvsTimestampText(fragment.producerTimestampMs) },
    ]),
  ]);
}

/**
 * Everything after the Cluster: each producer metadata item in a Tags of its own (as KVS returns
 * them), then for GetMedia the reader's position, always in the document's last Tags (parsers
 * look for the continuation token there to know that a fragment is complete).
 */
export function kvsDocumentSuffix(metadata: readonly KvsTag[], position?: ReaderPosition): Uint8Array {
  const parts = metadata.map((tag) => tagsElement([tag]));
  if (position) {
    if (!Number.isSafeInteger(position.millisBehindNow) || position.millisBehindNow < 0) {
      throw new RangeError(`millisBehindNow ${position.millisBehindNow} is not a non-negative integer`);
    }
    parts.push(
      tagsElement([
        { name: KvsTagName.millisBehindNow, value: String(position.millisBehindNow) },
        { name: KvsTagName.continuationToken, value: position.continuationToken },
      ]),
    );
  }
  return concatBytes(parts);
}

/**
 * A document that carries only an error, as KVS sends one in the middle of a streamed answer
 * (GetMediaForFragmentList for a fragment it cannot find, observed in aws/aws-sdk-js#3217;
 * GetMedia when it stops on an error, kvs-api.md §3.1): EBML header, Segment, one Tags.
 */
export function kvsErrorDocument(tags: readonly KvsTag[]): Uint8Array {
  return concatBytes([...documentStart(), tagsElement(tags)]);
}
