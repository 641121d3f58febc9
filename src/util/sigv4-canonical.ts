/**
 * The parts of AWS Signature Version 4 that signing and verifying share: canonical request,
 * string to sign, signing key. Both sides must compute these identically, so they live once.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_TERMINATOR = 'aws4_request';
/** SHA-256 of the empty string: the payload hash of an empty body (and of a PutMedia stream). */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface CanonicalRequestParts {
  method: string;
  /** Already canonical (see canonicalUri). */
  canonicalUri: string;
  /** Already canonical (see canonicalQueryString). */
  canonicalQuery: string;
  /** Lower-case names in the order they are signed (sorted by the signer). */
  signedHeaders: readonly string[];
  /** The value each signed header had when signed, before canonicalization. */
  headerValue: (name: string) => string;
  payloadHash: string;
}

/** Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const headerBlock = parts.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(parts.headerValue(name))}\n`).join('');
  return [
    parts.method.toUpperCase(),
    parts.canonicalUri,
    parts.canonicalQuery,
    headerBlock,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/**
 * For every service but S3 the path is normalized ('.', '..' and empty segments removed) and each
 * segment URI-encoded once more. SDKs put an already-encoded path on the wire and encode it again
 * when signing, so relative to the raw path the encoding is applied once (e.g. '%20' → '%2520').
 * Matches @smithy/signature-v4 with its default uriEscapePath: true.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  const leading = rawPath.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `${leading}${segments.join('/')}${trailing}`;
}

/**
 * Decoded (name, value) pairs sorted by encoded name then encoded value, each re-encoded with
 * RFC 3986 rules, so any client-side percent-encoding choice canonicalizes alike.
 * X-Amz-Signature is left out: it cannot sign itself.
 */
export function canonicalQueryString(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([nameA, valueA], [nameB, valueB]) => compareStrings(nameA, nameB) || compareStrings(valueA, valueB))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Values trimmed, runs of spaces collapsed (AWS SigV4, canonical headers). */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

/** "20260115/us-east-1/kinesisvideo/aws4_request" */
export function credentialScope(scopeDate: string, region: string, service: string): string {
  return `${scopeDate}/${region}/${service}/${SIGV4_TERMINATOR}`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secret: string, scopeDate: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secret}`, 'utf8');
  for (const part of [scopeDate, region, service, SIGV4_TERMINATOR]) key = createHmac('sha256', key).update(part).digest();
  return key;
}

/** ISO 8601 basic format, "20260101T000000Z". */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** RFC 3986 encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Code-unit order, which is byte order for the ASCII that canonical strings consist of. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
