/**
 * PutMedia acknowledgements: the response body is a stream of JSON objects, each normally ended
 * by '\n' (kvs-api.md §3.2). Objects are cut out by brace matching rather than by newline, as
 * Amazon's producer does, so an ack split over several chunks, several acks in one chunk, or
 * acks without a newline all parse.
 */

export type AckEventType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'IDLE' | 'ERROR';

interface AckFields {
  /** The fragment's Cluster timecode as the producer sent it. */
  readonly fragmentTimecode?: number;
  /** KVS fragment number (a long decimal string). */
  readonly fragmentNumber?: string;
  /** The ack object exactly as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type AckEvent =
  | (AckFields & { readonly type: 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'IDLE' })
  | (AckFields & { readonly type: 'ERROR'; readonly errorId: number; readonly errorCode: string });

export type AckErrorEvent = Extract<AckEvent, { type: 'ERROR' }>;

/** ErrorId → ErrorCode (kvs-api.md §3.2), for servers that send only the id, as the PIC requires. */
export const ACK_ERROR_CODES: Readonly<Record<number, string>> = {
  4000: 'STREAM_READ_ERROR',
  4001: 'MAX_FRAGMENT_SIZE_REACHED',
  4002: 'MAX_FRAGMENT_DURATION_REACHED',
  4003: 'MAX_CONNECTION_DURATION_REACHED',
  4004: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
  4005: 'MORE_THAN_ONE_TRACK_FOUND',
  4006: 'INVALID_MKV_DATA',
  4007: 'INVALID_PRODUCER_TIMESTAMP',
  4008: 'STREAM_NOT_ACTIVE',
  4009: 'FRAGMENT_METADATA_LIMIT_REACHED',
  4010: 'TRACK_NUMBER_MISMATCH',
  4011: 'FRAMES_MISSING_FOR_TRACK',
  4012: 'MORE_THAN_ALLOWED_TRACKS_FOUND',
  4500: 'KMS_KEY_ACCESS_DENIED',
  4501: 'KMS_KEY_DISABLED',
  4502: 'KMS_KEY_VALIDATION_ERROR',
  4503: 'KMS_KEY_UNAVAILABLE',
  4504: 'KMS_KEY_INVALID_USAGE',
  4505: 'KMS_KEY_INVALID_STATE',
  4506: 'KMS_KEY_NOT_FOUND',
  4507: 'STREAM_DELETED',
  5000: 'INTERNAL_ERROR',
  5001: 'ARCHIVAL_ERROR',
};

const MAX_ACK_CHARS = 64 * 1024;
const EVENT_TYPES: ReadonlySet<string> = new Set<AckEventType>(['BUFFERING', 'RECEIVED', 'PERSISTED', 'IDLE', 'ERROR']);

/** The ack stream is not what KVS sends (not JSON, or a non-object). */
export class AckProtocolError extends Error {
  override readonly name = 'AckProtocolError';
}

/** Cuts complete top-level JSON objects out of a byte stream, whatever the chunking. */
export class AckObjectSplitter {
  private readonly decoder = new TextDecoder();
  /** Text of the object still open at the end of the previous chunk. */
  private partial = '';
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Returns the objects completed by this chunk, as JSON text. */
  push(chunk: Uint8Array): string[] {
    const text = this.decoder.decode(chunk, { stream: true });
    const objects: string[] = [];
    let objectStart = 0; // an object left open by the previous chunk continues at index 0
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.depth > 0) {
        if (this.closesObject(c)) {
          objects.push(this.partial + text.slice(objectStart, i + 1));
          this.partial = '';
        }
      } else if (c === '{') {
        this.depth = 1;
        objectStart = i;
      } else if (!/\s/.test(c)) {
        throw new AckProtocolError(`unexpected ${JSON.stringify(c)} between acks`);
      }
    }
    if (this.depth > 0) this.partial += text.slice(objectStart);
    // Real acks are under 1 KB; an endless object means this is no ack stream.
    if (this.partial.length > MAX_ACK_CHARS) throw new AckProtocolError(`ack longer than ${MAX_ACK_CHARS} characters`);
    return objects;
  }

  /** True when c closes the current top-level object. Braces inside strings do not count. */
  private closesObject(c: string): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === '\\') this.escaped = true;
      else if (c === '"') this.inString = false;
      return false;
    }
    if (c === '"') this.inString = true;
    else if (c === '{') this.depth++;
    else if (c === '}') this.depth--;
    return this.depth === 0;
  }

  /** True when the stream ended inside an object. */
  get pending(): boolean {
    return this.depth > 0;
  }
}

/** Parses one ack object; undefined for an EventType this client does not know (skipped, not fatal). */
export function parseAck(json: string): AckEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new AckProtocolError(`ack is not JSON: ${json.slice(0, 200)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AckProtocolError(`ack is not an object: ${json.slice(0, 200)}`);
  const record = raw as Record<string, unknown>;
  const type = record['EventType'];
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return undefined;
  const fields = {
    raw: record,
    ...optional('fragmentTimecode', toNumber(record['FragmentTimecode'])),
    ...optional('fragmentNumber', toText(record['FragmentNumber'])),
  };
  if (type !== 'ERROR') return { type: type as Exclude<AckEventType, 'ERROR'>, ...fields };
  const errorId = toNumber(record['ErrorId']) ?? 0;
  const errorCode = toText(record['ErrorCode']) ?? ACK_ERROR_CODES[errorId] ?? 'UNKNOWN_ERROR';
  return { type: 'ERROR', errorId, errorCode, ...fields };
}

/** Numbers may arrive as JSON numbers or (old docs) numeric strings. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

/** Fragment numbers are strings on the wire; a number would already have lost digits, but is kept. */
function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** Leaves the key out entirely when the value is undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
