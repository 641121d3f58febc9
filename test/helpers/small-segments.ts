import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';

/**
 * ServerDeps.openBlobStore for tests: the filesystem blob store the server would open, with
 * segment files of `segmentBytes` instead of 64 MiB, so a few fragments span several segments.
 */
export function smallSegmentStore(segmentBytes: number): (storageUrl: string) => Promise<FsBlobStore> {
  return (storageUrl) => FsBlobStore.open(storageUrl.slice('file://'.length), { segmentBytes });
}
