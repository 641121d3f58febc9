/**
 * PutMedia acknowledgements (kvs-api.md §3.2): one JSON object per line on the PutMedia
 * response, in the key spelling and types Amazon's producers parse.
 */

export type AckEventType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'ERROR' | 'IDLE';

export interface Ack {
  readonly EventType: AckEventType;
  /** The fragment's Cluster Timecode as sent; absent on IDLE. */
  readonly FragmentTimecode?: number;
  /** A JSON string (47 digits), never a number. */
  readonly FragmentNumber?: string;
  /** ERROR only; a JSON number, which Amazon's C producer requires. */
  readonly ErrorId?: number;
  readonly ErrorCode?: string;
}

/** The ack error ids and codes openkvs sends, named as AWS names them. */
export const AckErrors = {
  STREAM_READ_ERROR: 4000,
  MAX_FRAGMENT_SIZE_REACHED: 4001,
  MAX_FRAGMENT_DURATION_REACHED: 4002,
  MAX_CONNECTION_DURATION_REACHED: 4003,
  FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS: 4004,
  INVALID_MKV_DATA: 4006,
  INVALID_PRODUCER_TIMESTAMP: 4007,
  STREAM_NOT_ACTIVE: 4008,
  FRAGMENT_METADATA_LIMIT_REACHED: 4009,
  TRACK_NUMBER_MISMATCH: 4010,
  FRAMES_MISSING_FOR_TRACK: 4011,
  MORE_THAN_ALLOWED_TRACKS_FOUND: 4012,
  INTERNAL_ERROR: 5000,
  ARCHIVAL_ERROR: 5001,
} as const;

export type AckErrorCode = keyof typeof AckErrors;

/** A PutMedia session ends with this error ack; `message` is for our logs only. */
export class IngestError extends Error {
  constructor(
    readonly errorCode: AckErrorCode,
    message: string,
  ) {
    super(message);
  }

  get errorId(): number {
    return AckErrors[this.errorCode];
  }
}

/** Fragment identity for acks about one fragment. */
export interface AckedFragment {
  readonly clusterTimecode: number;
  readonly fragmentNumber: string;
}

export function fragmentAck(type: Exclude<AckEventType, 'ERROR' | 'IDLE'>, fragment: AckedFragment): Ack {
  return { EventType: type, FragmentTimecode: fragment.clusterTimecode, FragmentNumber: fragment.fragmentNumber };
}

export function errorAck(error: IngestError, fragment: AckedFragment | undefined): Ack {
  return {
    EventType: 'ERROR',
    ...(fragment && { FragmentTimecode: fragment.clusterTimecode, FragmentNumber: fragment.fragmentNumber }),
    ErrorId: error.errorId,
    ErrorCode: error.errorCode,
  };
}

export const IDLE_ACK: Ack = { EventType: 'IDLE' };

/** One line of the ack stream. */
export function serializeAck(ack: Ack): string {
  return `${JSON.stringify(ack)}\n`;
}
