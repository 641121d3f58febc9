/**
 * Codec private data that cannot be understood. Pure code throws this; the API layer turns it
 * into InvalidCodecPrivateDataException (or MissingCodecPrivateData / UnsupportedStreamMediaType
 * by `reason`), the way GetClip and the HLS/DASH sessions report a bad track header.
 */
export type CodecProblem = 'missing' | 'invalid' | 'unsupported';

export class CodecConfigError extends Error {
  constructor(
    message: string,
    readonly reason: CodecProblem = 'invalid',
  ) {
    super(message);
  }
}
