/**
 * One error class per AWS exception name. The HTTP layer maps any ApiError to the AWS error
 * shape once (http/errors.ts); everything else just throws these.
 * Statuses follow the service models (kvs-api.md §2.4, §3.1, §4.7).
 */
export abstract class ApiError extends Error {
  abstract readonly httpStatus: number;
  /** The AWS exception name, sent as x-amzn-ErrorType and __type. */
  get code(): string {
    return this.constructor.name;
  }
}

const status = (httpStatus: number) =>
  class extends ApiError {
    readonly httpStatus = httpStatus;
  };

// Control plane, media and archived media (service models).
export class AccessDeniedException extends status(401) {}
export class AccountStreamLimitExceededException extends status(400) {}
export class AccountChannelLimitExceededException extends status(400) {}
export class ClientLimitExceededException extends status(400) {}
export class ConnectionLimitExceededException extends status(400) {}
export class DeviceStreamLimitExceededException extends status(400) {}
export class InvalidArgumentException extends status(400) {}
export class InvalidDeviceException extends status(400) {}
export class InvalidEndpointException extends status(400) {}
export class InvalidResourceFormatException extends status(400) {}
export class NoDataRetentionException extends status(400) {}
export class NotAuthorizedException extends status(401) {}
export class ResourceInUseException extends status(400) {}
export class ResourceNotFoundException extends status(404) {}
export class StreamEdgeConfigurationNotFoundException extends status(404) {}
export class TagsPerResourceExceededLimitException extends status(400) {}
export class VersionMismatchException extends status(400) {}
export class UnsupportedStreamMediaTypeException extends status(400) {}
export class MissingCodecPrivateDataException extends status(400) {}
export class InvalidCodecPrivateDataException extends status(400) {}
export class InvalidMediaFrameException extends status(400) {}

// Common errors every AWS service answers (request signing and the HTTP envelope).
export class MissingAuthenticationTokenException extends status(403) {}
export class IncompleteSignatureException extends status(403) {}
export class InvalidSignatureException extends status(403) {}
export class UnrecognizedClientException extends status(403) {}
/** Issued (short-lived) credentials past their expiry, as STS-issued ones are answered. */
export class ExpiredTokenException extends status(403) {}
export class SerializationException extends status(400) {}
export class UnknownOperationException extends status(404) {}
export class RequestEntityTooLargeException extends status(413) {}
export class InternalFailure extends status(500) {}
export class ServiceUnavailableException extends status(503) {}
