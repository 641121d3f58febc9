import { createHash } from 'node:crypto';
import { InvalidArgumentException } from '../domain/errors.js';
import { parseFragmentNumber } from '../domain/fragment.js';

/**
 * GetMedia's AWS_KINESISVIDEO_CONTINUATION_TOKEN: the fragment number of the document it ends,
 * `_`, and 8 hex digits of SHA-256 over the stream ARN and that number. A GetMedia started from it
 * resumes with the first fragment after that one, so a reader that reconnects with the token of
 * the last document it received loses nothing and gets nothing twice. AWS keeps the format to
 * itself (kvs-api.md §9 item 1); this one fits the model's `^[a-zA-Z0-9_.\-]+$`, at most 128
 * characters, and a token of another stream, or an edited one, is refused.
 */
const CHECK_HEX_DIGITS = 8;

export function encodeContinuationToken(streamArn: string, fragmentNumber: string): string {
  return `${fragmentNumber}_${check(streamArn, fragmentNumber)}`;
}

/** The fragment number a token resumes after; InvalidArgumentException for a token not of this stream. */
export function decodeContinuationToken(streamArn: string, token: string): string {
  const [fragmentNumber, given, ...rest] = token.split('_');
  if (
    fragmentNumber === undefined ||
    rest.length > 0 ||
    parseFragmentNumber(fragmentNumber) === undefined ||
    given !== check(streamArn, fragmentNumber)
  ) {
    throw new InvalidArgumentException('The ContinuationToken is invalid or does not belong to this stream.');
  }
  return fragmentNumber;
}

function check(streamArn: string, fragmentNumber: string): string {
  return createHash('sha256').update(`openkvs GetMedia\n${streamArn}\n${fragmentNumber}`).digest('hex').slice(0, CHECK_HEX_DIGITS);
}
