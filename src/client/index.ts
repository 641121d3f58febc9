/**
 * `openkvs/client`: a PutMedia client for Node, for openkvs and Amazon Kinesis Video Streams alike.
 *
 *   import { putMedia } from 'openkvs/client';
 *   const session = putMedia({ endpoint, streamName: 'cam1', body: createReadStream('clip.mkv') });
 *   for await (const ack of session) console.log(ack.type, ack.fragmentNumber);
 *   const summary = await session.done;
 */
export {
  putMedia,
  formatStartTimestamp,
  type PutMediaOptions,
  type PutMediaSession,
  type PutMediaSummary,
} from './put-media.js';
export { ACK_ERROR_CODES, AckProtocolError, type AckErrorEvent, type AckEvent, type AckEventType } from './acks.js';
export { PutMediaHttpError } from './errors.js';
export { type CredentialsOption } from './aws-config.js';
export { signRequest, type AwsCredentials, type RequestToSign, type SigningParams } from './sigv4-sign.js';
export { paceByClusterTimecodes, ClusterTimecodeScanner, type PacingOptions, type ScanEvent } from './pacing.js';
export { CLIENT_VERSION } from './version.js';
