import { createHash } from 'node:crypto';
import { InvalidArgumentException } from '../domain/errors.js';
import { FRAGMENT_NUMBER_DIGITS } from '../domain/fragment.js';
import type { FragmentTimeRange } from '../storage/index-store.js';

/**
 * ListFragments' NextToken: where the next page starts (after a fragment number, in number order,
 * which is arrival order, so pages never skip or repeat while new fragments arrive) and the
 * selector the listing was started with. It is bound to its stream and carries a check value, so a
 * token from another stream (or one re-created under the same name), an edited one or garbage is
 * refused with InvalidArgumentException, as AWS refuses a bad token.
 *
 * Wire form: base64 (the model's `[a-zA-Z0-9+/]+={0,2}`) of `v1|<range>|<after>|<check>`, where
 * <range> is `all` or `<by>,<startMs>,<endMs>` and <check> is 16 hex digits of SHA-256 over the
 * stream ARN and the rest. The check is an integrity check, not a secret: the token only names a
 * position in a stream the caller must name (and be allowed to read) anyway.
 */
export interface ListCursor {
  /** The selector's inclusive range on the fragment start; undefined: every fragment. */
  readonly range: FragmentTimeRange | undefined;
  /** The last fragment number already listed. */
  readonly afterNumber: string;
}

const VERSION = 'v1';
const CHECK_HEX_DIGITS = 16;
const INVALID = 'The NextToken is invalid or does not belong to this stream.';

export function encodeListToken(streamArn: string, cursor: ListCursor): string {
  const body = `${VERSION}|${rangeText(cursor.range)}|${cursor.afterNumber}`;
  return Buffer.from(`${body}|${check(streamArn, body)}`).toString('base64');
}

export function decodeListToken(streamArn: string, token: string): ListCursor {
  const text = Buffer.from(token, 'base64').toString('latin1');
  const cut = text.lastIndexOf('|');
  const body = text.slice(0, cut);
  if (cut < 0 || text.slice(cut + 1) !== check(streamArn, body)) throw new InvalidArgumentException(INVALID);
  const [version, range, afterNumber, ...rest] = body.split('|');
  if (version !== VERSION || range === undefined || afterNumber === undefined || rest.length > 0) throw new InvalidArgumentException(INVALID);
  if (!new RegExp(`^\\d{${FRAGMENT_NUMBER_DIGITS}}$`).test(afterNumber)) throw new InvalidArgumentException(INVALID);
  return { range: parseRange(range), afterNumber };
}

/** Whether two selector ranges are the same (a NextToken may only continue its own listing). */
export function sameRange(a: FragmentTimeRange | undefined, b: FragmentTimeRange | undefined): boolean {
  return rangeText(a) === rangeText(b);
}

function rangeText(range: FragmentTimeRange | undefined): string {
  return range ? `${range.by},${range.startMs},${range.endMs}` : 'all';
}

function parseRange(text: string): FragmentTimeRange | undefined {
  if (text === 'all') return undefined;
  const match = /^(producer|server),(-?\d+),(-?\d+)$/.exec(text);
  if (!match) throw new InvalidArgumentException(INVALID);
  return { by: match[1] as FragmentTimeRange['by'], startMs: Number(match[2]), endMs: Number(match[3]) };
}

function check(streamArn: string, body: string): string {
  return createHash('sha256').update(`openkvs ListFragments\n${streamArn}\n${body}`).digest('hex').slice(0, CHECK_HEX_DIGITS);
}
