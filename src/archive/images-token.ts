import { createHash } from 'node:crypto';
import { InvalidArgumentException } from '../domain/errors.js';
import type { FragmentTimestampKind } from '../storage/index-store.js';

/**
 * GetImages' NextToken: the number of the next sample of the request's schedule. It is bound to
 * the stream and to the schedule (selector, start, end, interval) by a check value, so a token
 * reused with another stream or another range, edited, or garbage is refused with
 * InvalidArgumentException, as ListFragments' tokens are (list-token.ts). The images' format and
 * size may change between pages: they do not move the schedule.
 *
 * Wire form: base64 (the model's `[a-zA-Z0-9+/]+={0,2}`) of `i1|<by>,<start>,<end>,<interval>|<next>|<check>`.
 */
export interface ImagesCursor {
  readonly by: FragmentTimestampKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
}

const VERSION = 'i1';
const INVALID = 'The NextToken is invalid or does not belong to this request.';

export function encodeImagesToken(streamArn: string, cursor: ImagesCursor, nextSample: number): string {
  const body = `${VERSION}|${scheduleText(cursor)}|${nextSample}`;
  return Buffer.from(`${body}|${check(streamArn, body)}`).toString('base64');
}

/** The next sample number, if the token belongs to this stream and schedule. */
export function decodeImagesToken(streamArn: string, cursor: ImagesCursor, token: string): number {
  const text = Buffer.from(token, 'base64').toString('latin1');
  const cut = text.lastIndexOf('|');
  const body = text.slice(0, cut);
  if (cut < 0 || text.slice(cut + 1) !== check(streamArn, body)) throw new InvalidArgumentException(INVALID);
  const [version, schedule, next, ...rest] = body.split('|');
  if (version !== VERSION || schedule !== scheduleText(cursor) || next === undefined || rest.length > 0 || !/^\d{1,9}$/.test(next)) {
    throw new InvalidArgumentException(INVALID);
  }
  return Number(next);
}

function scheduleText(c: ImagesCursor): string {
  return `${c.by},${c.startMs},${c.endMs},${c.intervalMs}`;
}

function check(streamArn: string, body: string): string {
  return createHash('sha256').update(`openkvs GetImages\n${streamArn}\n${body}`).digest('hex').slice(0, 16);
}
