/**
 * AWS Signature Version 4 signer (Authorization-header form), shaped like Amazon's C producer
 * signs PutMedia: every header on the request is signed and, unless told otherwise, the payload
 * hash is that of the empty string, because the body is streamed after signing and no
 * x-amz-content-sha256 header is sent (kvs-api.md §7.3, §11).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import {
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  deriveSigningKey,
  EMPTY_SHA256,
  formatAmzDate,
  hmacHex,
  SIGV4_ALGORITHM,
  stringToSign,
} from '../util/sigv4-canonical.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface RequestToSign {
  method: string;
  /** Path as it goes on the wire (percent-encoded), without the query. */
  path: string;
  /** Decoded query parameters, if any. */
  query?: ReadonlyArray<readonly [string, string]>;
  /** Every header that will be sent and signed; must include host. Names in any case. */
  headers: Readonly<Record<string, string>>;
}

export interface SigningParams {
  credentials: AwsCredentials;
  region: string;
  /** Credential-scope service name; KVS uses 'kinesisvideo' for every API. */
  service?: string;
  nowMs: number;
  /** Hex SHA-256 of the signed payload; the empty string's by default (streamed body). */
  payloadHash?: string;
}

/**
 * Returns the request's headers plus x-amz-date, x-amz-security-token (with a session token) and
 * authorization; all header names lower-case. The caller sends exactly these headers.
 */
export function signRequest(request: RequestToSign, params: SigningParams): Record<string, string> {
  const amzDate = formatAmzDate(params.nowMs);
  const headers = lowerCaseKeys(request.headers);
  if (headers['host'] === undefined) throw new Error('signRequest: the host header must be present (SigV4 signs it)');
  headers['x-amz-date'] = amzDate;
  if (params.credentials.sessionToken) headers['x-amz-security-token'] = params.credentials.sessionToken;
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({
    method: request.method,
    canonicalUri: canonicalUri(request.path),
    canonicalQuery: canonicalQueryString(request.query ?? []),
    signedHeaders,
    headerValue: (name) => headers[name] ?? '',
    payloadHash: params.payloadHash ?? EMPTY_SHA256,
  });
  const service = params.service ?? 'kinesisvideo';
  const scopeDate = amzDate.slice(0, 8);
  const scope = credentialScope(scopeDate, params.region, service);
  const key = deriveSigningKey(params.credentials.secretAccessKey, scopeDate, params.region, service);
  const signature = hmacHex(key, stringToSign(amzDate, scope, canonical));
  headers['authorization'] =
    `${SIGV4_ALGORITHM} Credential=${params.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return lower;
}
