/**
 * Verifier for AWS Signature Version 4 ("AWS4-HMAC-SHA256"), the published algorithm:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 *
 * Both forms are accepted: the Authorization header and the presigned query string.
 * Pure apart from node:crypto — the caller supplies the clock and the secret lookup.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../domain/errors.js';
import {
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  deriveSigningKey,
  EMPTY_SHA256,
  formatAmzDate,
  hmacHex,
  SIGV4_ALGORITHM as ALGORITHM,
  SIGV4_TERMINATOR as TERMINATOR,
  stringToSign,
} from '../util/sigv4-canonical.js';

export interface SigV4Request {
  method: string;
  /** Path exactly as received, percent-encoding intact, no query. */
  rawPath: string;
  /** Query string as received without '?', '' if none. */
  rawQuery: string;
  /** node's IncomingMessage.headers (lower-case keys). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** hex SHA-256 of the body when the body was read; 'streaming' for a streamed body (PutMedia) not read before verifying. */
  bodySha256: string | 'streaming';
}

/**
 * The secret (and required session token) of an access key. The request's session token is
 * passed along: issued credentials are known from their token alone. May throw the AWS error
 * for a key it refuses (ExpiredTokenException).
 */
export interface SecretLookup {
  (accessKeyId: string, securityToken: string | undefined): { secretAccessKey: string; sessionToken?: string } | undefined;
}

export interface VerifiedIdentity {
  accessKeyId: string;
  region: string;
}

const SERVICE = 'kinesisvideo';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_EXPIRES_S = 604800;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Everything the two signature forms carry, once parsed. */
interface SignatureClaim {
  form: 'header' | 'presigned';
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  amzDateMs: number;
  /** Presigned form only; undefined when the URL carries no X-Amz-Expires. */
  expiresSeconds: number | undefined;
  securityToken: string | undefined;
  /** Declared payload hash (x-amz-content-sha256 header or X-Amz-Content-Sha256 query), if any. */
  declaredPayloadHash: string | undefined;
  /** Decoded query parameters, in the order received. */
  query: Array<[string, string]>;
}

/**
 * Verifies a SigV4-signed request and returns who signed it.
 * Throws the AWS exception a real endpoint would answer with.
 */
export function verifySigV4(req: SigV4Request, lookup: SecretLookup, nowMs: number): VerifiedIdentity {
  const claim = parseSignatureClaim(req);
  checkScope(claim);
  checkRequestTime(claim, nowMs);
  const secret = lookupSecret(claim, lookup);
  const key = signingKey(secret, claim.scopeDate, claim.region);
  const scope = credentialScope(claim.scopeDate, claim.region, claim.service);
  const matched = payloadHashCandidates(req, claim).some((payloadHash) => {
    const canonical = canonicalRequestOf(req, claim, payloadHash);
    return signaturesMatch(hmacHex(key, stringToSign(claim.amzDate, scope, canonical)), claim.signature);
  });
  if (!matched) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
  checkDeclaredPayloadHash(req, claim);
  return { accessKeyId: claim.accessKeyId, region: claim.region };
}

// ---------------------------------------------------------------------------------------------
// Parsing the two forms

function parseSignatureClaim(req: SigV4Request): SignatureClaim {
  const query = parseQuery(req.rawQuery);
  const authorization = headerText(req.headers, 'authorization');
  // The header form wins when both are present, as it does at AWS.
  if (authorization !== undefined) return parseAuthorizationHeader(authorization, req, query);
  if (query.some(([name]) => name === 'X-Amz-Signature')) return parsePresignedQuery(req, query);
  throw new MissingAuthenticationTokenException('Missing Authentication Token');
}

/** "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex" */
function parseAuthorizationHeader(
  authorization: string,
  req: SigV4Request,
  query: Array<[string, string]>,
): SignatureClaim {
  const trimmed = authorization.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new IncompleteSignatureException(
      `Unsupported Authorization algorithm '${algorithm}'; only '${ALGORITHM}' is accepted. Authorization=${authorization}`,
    );
  }
  const params = parseAuthorizationParams(space < 0 ? '' : trimmed.slice(space + 1));
  const amzDate = headerText(req.headers, 'x-amz-date');
  const problems = [
    params.get('Credential') === undefined ? "Authorization header requires 'Credential' parameter." : '',
    params.get('Signature') === undefined ? "Authorization header requires 'Signature' parameter." : '',
    params.get('SignedHeaders') === undefined ? "Authorization header requires 'SignedHeaders' parameter." : '',
    amzDate === undefined ? "Authorization header requires existence of a 'X-Amz-Date' header." : '',
  ].filter((problem) => problem !== '');
  if (problems.length > 0) {
    throw new IncompleteSignatureException(`${problems.join(' ')} Authorization=${authorization}`);
  }
  return buildClaim('header', req, query, {
    credential: params.get('Credential') ?? '',
    signedHeaders: params.get('SignedHeaders') ?? '',
    signature: params.get('Signature') ?? '',
    amzDate: amzDate ?? '',
    expires: undefined,
    securityToken: headerText(req.headers, 'x-amz-security-token'),
    declaredPayloadHash: headerText(req.headers, 'x-amz-content-sha256'),
  });
}

/** "Credential=a/b, SignedHeaders=c;d, Signature=e": comma-separated, whitespace tolerated. */
function parseAuthorizationParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return params;
}

function parsePresignedQuery(req: SigV4Request, query: Array<[string, string]>): SignatureClaim {
  const param = (name: string) => query.find(([key]) => key === name)?.[1];
  const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'];
  if (required.some((name) => param(name) === undefined)) {
    throw new IncompleteSignatureException(
      `AWS query-string parameters must include ${required.map((n) => `'${n}'`).join(', ')}. ` +
        'Re-examine the query-string parameters.',
    );
  }
  if (param('X-Amz-Algorithm') !== ALGORITHM) {
    throw new IncompleteSignatureException(
      `Unsupported X-Amz-Algorithm '${param('X-Amz-Algorithm')}'; only '${ALGORITHM}' is accepted.`,
    );
  }
  return buildClaim('presigned', req, query, {
    credential: param('X-Amz-Credential') ?? '',
    signedHeaders: param('X-Amz-SignedHeaders') ?? '',
    signature: param('X-Amz-Signature') ?? '',
    amzDate: param('X-Amz-Date') ?? '',
    expires: param('X-Amz-Expires'),
    securityToken: param('X-Amz-Security-Token') ?? headerText(req.headers, 'x-amz-security-token'),
    declaredPayloadHash: param('X-Amz-Content-Sha256') ?? headerText(req.headers, 'x-amz-content-sha256'),
  });
}

interface ClaimFields {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  expires: string | undefined;
  securityToken: string | undefined;
  declaredPayloadHash: string | undefined;
}

/** The validation shared by both forms: credential scope, signed header list, date, expiry. */
function buildClaim(
  form: SignatureClaim['form'],
  req: SigV4Request,
  query: Array<[string, string]>,
  fields: ClaimFields,
): SignatureClaim {
  const scope = parseCredential(fields.credential);
  const signedHeaders = parseSignedHeaders(fields.signedHeaders, req.headers);
  return {
    form,
    ...scope,
    signedHeaders,
    signature: fields.signature,
    amzDate: fields.amzDate,
    amzDateMs: parseAmzDate(fields.amzDate),
    expiresSeconds: fields.expires === undefined ? undefined : parseExpires(fields.expires),
    securityToken: fields.securityToken,
    declaredPayloadHash: fields.declaredPayloadHash,
    query,
  };
}

/** "AKID/20260101/us-east-1/kinesisvideo/aws4_request" (AWS SigV4, credential scope). */
function parseCredential(credential: string) {
  const parts = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !region || !service || terminator === undefined) {
    throw new IncompleteSignatureException(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  if (terminator !== TERMINATOR) {
    throw new IncompleteSignatureException(
      `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'.`,
    );
  }
  if (!/^\d{8}$/.test(scopeDate ?? '')) {
    throw new IncompleteSignatureException(`Credential scope date must be YYYYMMDD, got '${scopeDate}'.`);
  }
  return { accessKeyId, scopeDate: scopeDate ?? '', region, service };
}

/** "host;x-amz-date": host must be signed, and every signed header must be present to be checked. */
function parseSignedHeaders(list: string, headers: SigV4Request['headers']): string[] {
  const names = list.split(';').map((name) => name.trim().toLowerCase());
  if (names.some((name) => name === '')) {
    throw new IncompleteSignatureException(`SignedHeaders must be a ';'-separated list of header names, got '${list}'.`);
  }
  if (!names.includes('host')) {
    throw new IncompleteSignatureException("'Host' must be a signed header.");
  }
  const absent = names.filter((name) => signedHeaderValue(headers, name) === undefined);
  if (absent.length > 0) {
    throw new IncompleteSignatureException(
      `Signed header(s) missing from the request: ${absent.map((n) => `'${n}'`).join(', ')}.`,
    );
  }
  return names;
}

/** ISO 8601 basic format, "20260101T000000Z". */
function parseAmzDate(amzDate: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  const ms = match ? Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!) : NaN;
  // Date.UTC rolls 20261340 over into the next year; the round trip catches that.
  if (Number.isNaN(ms) || formatAmzDate(ms) !== amzDate) {
    throw new IncompleteSignatureException(
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return ms;
}

function parseExpires(expires: string): number {
  const seconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_PRESIGNED_EXPIRES_S)) {
    throw new IncompleteSignatureException(
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_S}, got '${expires}'.`,
    );
  }
  return seconds;
}

// ---------------------------------------------------------------------------------------------
// Checks that need no secret

function checkScope(claim: SignatureClaim): void {
  if (claim.service !== SERVICE) {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${SERVICE}'.`);
  }
  const day = claim.amzDate.slice(0, 8);
  if (claim.scopeDate !== day) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${claim.scopeDate}' != '${day}', from '${claim.amzDate}'.`,
    );
  }
}

/** Header form: ±15 minutes. Presigned form: valid from 15 minutes early until X-Amz-Expires elapses. */
function checkRequestTime(claim: SignatureClaim, nowMs: number): void {
  const now = formatAmzDate(nowMs);
  if (claim.amzDateMs - nowMs > MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${claim.amzDate} is still later than ` +
        `${formatAmzDate(nowMs + MAX_CLOCK_SKEW_MS)} (${now} + 15 min.)`,
    );
  }
  if (claim.form === 'presigned' && claim.expiresSeconds !== undefined) {
    const lifetimeMs = claim.expiresSeconds * 1000;
    if (nowMs - claim.amzDateMs > lifetimeMs) {
      throw new InvalidSignatureException(
        `Signature expired: ${claim.amzDate} is now earlier than ` +
          `${formatAmzDate(nowMs - lifetimeMs)} (${now} - ${claim.expiresSeconds} sec.)`,
      );
    }
    return;
  }
  if (nowMs - claim.amzDateMs > MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature expired: ${claim.amzDate} is now earlier than ` +
        `${formatAmzDate(nowMs - MAX_CLOCK_SKEW_MS)} (${now} - 15 min.)`,
    );
  }
}

function lookupSecret(claim: SignatureClaim, lookup: SecretLookup): string {
  const entry = lookup(claim.accessKeyId, claim.securityToken);
  const tokenOk =
    entry?.sessionToken === undefined ||
    (claim.securityToken !== undefined && constantTimeEqual(claim.securityToken, entry.sessionToken));
  if (entry === undefined || !tokenOk) {
    throw new UnrecognizedClientException('The security token included in the request is invalid.');
  }
  return entry.secretAccessKey;
}

/** Only when the body was actually hashed can a declared hash be held to it (the signature covers the declaration). */
function checkDeclaredPayloadHash(req: SigV4Request, claim: SignatureClaim): void {
  const declared = claim.declaredPayloadHash;
  if (declared === undefined || !/^[0-9a-fA-F]{64}$/.test(declared) || req.bodySha256 === 'streaming') return;
  if (declared.toLowerCase() !== req.bodySha256.toLowerCase()) {
    throw new InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
}

// ---------------------------------------------------------------------------------------------
// The canonical request as the client built it (canonicalization itself: util/sigv4-canonical.ts)

function canonicalRequestOf(req: SigV4Request, claim: SignatureClaim, payloadHash: string): string {
  return canonicalRequest({
    method: req.method,
    canonicalUri: canonicalUri(req.rawPath),
    canonicalQuery: canonicalQueryString(claim.query),
    signedHeaders: claim.signedHeaders,
    headerValue: (name) => signedHeaderValue(req.headers, name) ?? '',
    payloadHash,
  });
}

/** Pairs in wire order; '+' is kept literal (SDKs encode spaces as %20). A parameter without '=' has value ''. */
function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decodeLenient(pair), ''] : [decodeLenient(pair.slice(0, eq)), decodeLenient(pair.slice(eq + 1))];
    });
}

/**
 * The value a signed header had when the client signed it. HTTP/2 drops the hop-by-hop headers
 * `connection` and `transfer-encoding` and replaces `host` with `:authority`, though an HTTP/1.1
 * client may have signed them; their HTTP/1.1 values are restored here.
 */
function signedHeaderValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headerText(headers, name);
  if (value !== undefined) return value;
  if (name === 'connection') return 'keep-alive';
  if (name === 'transfer-encoding') return 'chunked';
  if (name === 'host') return headerText(headers, ':authority');
  return undefined;
}

/** Multiple values of one header are joined with ',' (AWS SigV4, canonical headers). */
function headerText(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The payload hash the client may have signed. A declared x-amz-content-sha256 is used verbatim
 * (covers Java's STREAMING-AWS4-HMAC-SHA256-PAYLOAD and UNSIGNED-PAYLOAD). A streamed body that has
 * not been read is signed as the empty string (Amazon's C producer does this for PutMedia).
 * Presigned URLs are signed over the empty body by @smithy/signature-v4 and the KVS WebRTC SDKs, and
 * over UNSIGNED-PAYLOAD by S3-style presigners, so both are tried.
 */
function payloadHashCandidates(req: SigV4Request, claim: SignatureClaim): string[] {
  if (claim.declaredPayloadHash !== undefined) return [claim.declaredPayloadHash];
  const bodyHash = req.bodySha256 === 'streaming' ? EMPTY_SHA256 : req.bodySha256.toLowerCase();
  return claim.form === 'presigned' ? [bodyHash, UNSIGNED_PAYLOAD] : [bodyHash];
}

// ---------------------------------------------------------------------------------------------
// Signature

const SIGNING_KEY_CACHE_LIMIT = 1000;
const signingKeyCache = new Map<string, Buffer>();

/** Four HMACs per request otherwise; the key only changes daily, so it is cached (oldest evicted first). */
function signingKey(secret: string, scopeDate: string, region: string): Buffer {
  const cacheKey = `${scopeDate}\n${region}\n${secret}`;
  const cached = signingKeyCache.get(cacheKey);
  if (cached) return cached;
  const key = deriveSigningKey(secret, scopeDate, region, SERVICE);
  if (signingKeyCache.size >= SIGNING_KEY_CACHE_LIMIT) {
    const oldest = signingKeyCache.keys().next().value;
    if (oldest !== undefined) signingKeyCache.delete(oldest);
  }
  signingKeyCache.set(cacheKey, key);
  return key;
}

/** Constant time, so response timing reveals nothing about how much of a guess was right. */
function signaturesMatch(expectedHex: string, providedHex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(providedHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(providedHex, 'hex'));
}

/** Compares digests so that neither length nor content leaks through timing. */
function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Malformed percent-encoding is kept as received; the signature check then decides. */
function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
