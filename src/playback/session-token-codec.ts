/**
 * The byte layout of a session inside a token (format 2). Fixed order, fixed widths, so that a
 * token stays short (it is repeated in every URL of a 5000-fragment playlist) and decoding has
 * no ambiguity:
 *
 *   u8 format | u8 protocol | u8 playback mode | u8 selector type | u8 flags
 *   | u8 container format | u8 discontinuity mode | u16 max fragment results | 8 bytes session id
 *   | u48 created ms | u48 expires ms | u48 anchor ms | [u48 start ms] | [u48 end ms]
 *   | u48 stream id | u16 stream name length | stream name (UTF-8)
 *
 * flags: bit 0 start present, bit 1 end present, bit 2 DisplayFragmentTimestamp ALWAYS,
 * bit 3 DisplayFragmentNumber ALWAYS. DASH sessions write 0 for the two HLS-only bytes.
 * Big-endian throughout. Format 1 carried the stream ARN (up to 1024 characters, typically ~75);
 * the numeric id plus the name (checked against each other on every request) is a third of that.
 */
import type { ContainerFormat, DiscontinuityMode, FragmentSelectorType, PlaybackMode, PlaybackProtocol, PlaybackSession } from './session.js';
import { MAX_FRAGMENT_RESULTS_LIMIT } from './session.js';

export const TOKEN_FORMAT = 2;
/** Stream names are at most 256 characters (service model); UTF-8 may take up to 3 bytes each. */
const MAX_NAME_BYTES = 3 * 256;
const MAX_U48 = 2 ** 48 - 1;
/** The fixed part: 7 single bytes, u16 max results, 8-byte session id. */
const HEADER_BYTES = 17;

const PROTOCOLS: readonly PlaybackProtocol[] = ['HLS', 'DASH'];
const MODES: readonly PlaybackMode[] = ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'];
const SELECTORS: readonly FragmentSelectorType[] = ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'];
const CONTAINERS: readonly ContainerFormat[] = ['FRAGMENTED_MP4', 'MPEG_TS'];
const DISCONTINUITY: readonly DiscontinuityMode[] = ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'];

const Flag = { Start: 1, End: 2, DisplayTimestamp: 4, DisplayNumber: 8 } as const;

/** The bytes do not hold a session of this format. */
export class SessionCodecError extends Error {}

export function encodeSession(session: PlaybackSession): Uint8Array {
  const name = new TextEncoder().encode(session.streamName);
  if (name.length === 0 || name.length > MAX_NAME_BYTES) throw new RangeError(`stream name of ${name.length} bytes`);
  const max = session.maxFragmentResults;
  if (!Number.isInteger(max) || max < 1 || max > MAX_FRAGMENT_RESULTS_LIMIT) throw new RangeError(`maxFragmentResults ${max}`);
  const times = [session.createdAtMs, session.expiresAtMs, session.anchorMs, session.startTimestampMs, session.endTimestampMs].filter((t) => t !== undefined);
  const out = new Uint8Array(HEADER_BYTES + 6 * (times.length + 1) + 2 + name.length);
  const view = new DataView(out.buffer);
  out.set([TOKEN_FORMAT, PROTOCOLS.indexOf(session.protocol), MODES.indexOf(session.playbackMode), SELECTORS.indexOf(session.fragmentSelectorType), flagsOf(session)]);
  if (session.protocol === 'HLS') out.set([CONTAINERS.indexOf(session.containerFormat), DISCONTINUITY.indexOf(session.discontinuityMode)], 5);
  view.setUint16(7, max);
  out.set(sessionIdBytes(session.sessionId), 9);
  let at = HEADER_BYTES;
  for (const value of [...times, session.streamId]) {
    writeU48(view, at, value);
    at += 6;
  }
  view.setUint16(at, name.length);
  out.set(name, at + 2);
  return out;
}

function flagsOf(session: PlaybackSession): number {
  let flags = (session.startTimestampMs !== undefined ? Flag.Start : 0) | (session.endTimestampMs !== undefined ? Flag.End : 0);
  if (session.displayFragmentTimestamp === 'ALWAYS') flags |= Flag.DisplayTimestamp;
  if (session.protocol === 'DASH' && session.displayFragmentNumber === 'ALWAYS') flags |= Flag.DisplayNumber;
  return flags;
}

export function decodeSession(bytes: Uint8Array): PlaybackSession {
  const reader = new Reader(bytes);
  if (reader.u8() !== TOKEN_FORMAT) throw new SessionCodecError('unknown token format');
  const protocol = reader.choice(PROTOCOLS, 'protocol');
  const playbackMode = reader.choice(MODES, 'playback mode');
  const fragmentSelectorType = reader.choice(SELECTORS, 'selector type');
  const flags = reader.u8();
  if (flags > 15) throw new SessionCodecError('unknown flags');
  const containerByte = reader.u8();
  const discontinuityByte = reader.u8();
  const maxFragmentResults = reader.u16();
  const sessionId = Buffer.from(reader.take(8)).toString('hex');
  const createdAtMs = reader.u48();
  const expiresAtMs = reader.u48();
  const anchorMs = reader.u48();
  const startTimestampMs = flags & Flag.Start ? reader.u48() : undefined;
  const endTimestampMs = flags & Flag.End ? reader.u48() : undefined;
  const streamId = reader.u48();
  const streamName = new TextDecoder('utf-8', { fatal: true }).decode(reader.take(reader.u16()));
  reader.end();
  const displayFragmentTimestamp = flags & Flag.DisplayTimestamp ? 'ALWAYS' : 'NEVER';
  const common = {
    sessionId, streamId, streamName, playbackMode, fragmentSelectorType, startTimestampMs, endTimestampMs,
    displayFragmentTimestamp, maxFragmentResults, createdAtMs, expiresAtMs, anchorMs,
  } as const;
  if (protocol === 'HLS') {
    const containerFormat = pick(CONTAINERS, containerByte, 'container format');
    const discontinuityMode = pick(DISCONTINUITY, discontinuityByte, 'discontinuity mode');
    return { protocol, ...common, containerFormat, discontinuityMode };
  }
  if (containerByte !== 0 || discontinuityByte !== 0) throw new SessionCodecError('HLS options in a DASH session');
  return { protocol, ...common, displayFragmentNumber: flags & Flag.DisplayNumber ? 'ALWAYS' : 'NEVER' };
}

function sessionIdBytes(sessionId: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(sessionId)) throw new RangeError(`session id ${sessionId} is not 16 lowercase hex digits`);
  return Buffer.from(sessionId, 'hex');
}

function writeU48(view: DataView, at: number, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U48) throw new RangeError(`${value} is not a 48-bit count`);
  view.setUint16(at, Math.floor(value / 2 ** 32));
  view.setUint32(at + 2, value % 2 ** 32);
}

function pick<T>(values: readonly T[], index: number, what: string): T {
  const value = values[index];
  if (value === undefined) throw new SessionCodecError(`unknown ${what} ${index}`);
  return value;
}

/** Sequential reads that fail with SessionCodecError, not RangeError: short input is malformed input. */
class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(count: number): number {
    if (this.at + count > this.bytes.length) throw new SessionCodecError('token too short');
    const at = this.at;
    this.at += count;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2));
  }
  u48(): number {
    const at = this.need(6);
    return this.view.getUint16(at) * 2 ** 32 + this.view.getUint32(at + 2);
  }
  take(count: number): Uint8Array {
    const at = this.need(count);
    return this.bytes.subarray(at, at + count);
  }
  choice<T>(values: readonly T[], what: string): T {
    return pick(values, this.u8(), what);
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new SessionCodecError('trailing bytes');
  }
}
