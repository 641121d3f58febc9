import type { BlobStore } from '../storage/blob-store.js';
import type { IndexStore } from '../storage/index-store.js';

/**
 * The storage-port methods a worker reaches in the storage process, named once for both sides.
 * Every IndexStore method but close crosses (the compile fails when the port gains one not listed
 * here); of BlobStore, what writes outside a worker's own segment series (it reads the files and
 * appends to its series itself).
 */
export const INDEX_CALLS = [
  'createStream',
  'getStreamByName',
  'getStreamByArn',
  'listStreams',
  'updateStream',
  'deleteStream',
  'listTags',
  'putTags',
  'removeTags',
  'reserveFragmentSequence',
  'putTrackHeader',
  'getTrackHeader',
  'commitFragments',
  'listFragments',
  'listFragmentSummaries',
  'fragmentsByTime',
  'countFragmentsBefore',
  'countTimestampsBefore',
  'countDiscontinuitiesThrough',
  'sumDurationsBefore',
  'deleteFragmentsBefore',
  'getFragment',
  'referencedBlobExtents',
  'isBlobReferenced',
  'streamExists',
  'claimPeriodicTask',
] as const satisfies readonly Exclude<keyof IndexStore, 'close'>[];

type UnlistedIndexCalls = Exclude<keyof IndexStore, 'close' | (typeof INDEX_CALLS)[number]>;
// A compile error here names an IndexStore method missing from INDEX_CALLS.
export const everyIndexCallListed: [UnlistedIndexCalls] extends [never] ? true : UnlistedIndexCalls = true;

export const BLOB_WRITE_CALLS = ['put', 'delete', 'trimAppended', 'retireAppended', 'deleteSeries'] as const satisfies readonly (keyof BlobStore)[];

/** What the storage process answers to, by target name. */
export const TARGET = { index: 'index', blobs: 'blobs', ingest: 'ingest', retention: 'retention', slots: 'slots', worker: 'worker', box: 'box' } as const;
