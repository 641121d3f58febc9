import { isValidBlobKey } from '../blob-store.js';

/**
 * How to reach an S3-compatible object store (AWS S3, Ceph RGW, MinIO, ...). Credentials are not
 * here: they come from the AWS default chain (environment, ~/.aws, SSO, instance and task roles).
 */
export interface S3Options {
  /** Endpoint URL for a server other than AWS S3, e.g. http://127.0.0.1:7480; undefined = AWS. */
  readonly endpoint?: string | undefined;
  /** Signing region; undefined = AWS_REGION, else us-east-1. */
  readonly region?: string | undefined;
  /** Bucket in the path (http://host/bucket/key) rather than the host name; default: on with an endpoint. */
  readonly forcePathStyle?: boolean | undefined;
  /**
   * `when-supported` (the SDK default) adds CRC checksums to every upload and validates them on
   * download. Many S3 clones (Ceph 16, older MinIO) reject the SDK's checksummed uploads (411
   * MissingContentLength for aws-chunked trailers): `when-required` sends checksums only where the
   * S3 API demands one.
   */
  readonly checksum?: S3ChecksumMode | undefined;
}

export type S3ChecksumMode = 'when-supported' | 'when-required';

export const S3_CHECKSUM_MODES: readonly S3ChecksumMode[] = ['when-supported', 'when-required'];

/** Where objects go: a bucket, and a key prefix inside it ('' or 'a/b', no slashes at the ends). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

/** `s3://bucket` or `s3://bucket/prefix/inside`; the message never echoes more than the bucket. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url);
  const bucket = match?.[1] ?? '';
  if (!BUCKET_NAME.test(bucket)) throw new Error('s3:// URL needs a bucket name: s3://BUCKET or s3://BUCKET/PREFIX');
  const prefix = (match?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !isValidBlobKey(prefix)) {
    throw new Error(`s3:// key prefix must be '/'-separated [A-Za-z0-9._-] segments, got ${JSON.stringify(prefix)}`);
  }
  return { bucket, prefix };
}
