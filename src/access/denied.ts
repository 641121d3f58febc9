/**
 * The error a refused request gets.
 *
 * Name: the one the operation's service model lists for an authorization failure (botocore
 * kinesisvideo / kinesis-video-media / kinesis-video-archived-media 2017-09-30): the stream
 * operations of the original API list `NotAuthorizedException`, the later control-plane ones
 * `AccessDeniedException`; PutMedia's API reference lists NotAuthorizedException. CreateStream
 * and ListStreams list neither, and get IAM's generic `AccessDeniedException`.
 *
 * Status: 403. The models give both exceptions 401, but the archived-media model's own text says
 * "Status Code: 403", and what AWS actually sends for an IAM denial is 403 with
 * "User: ARN is not authorized to perform: kinesisvideo:ACTION on resource: RESOURCE" (seen by
 * Amazon's C++ producer, awslabs/amazon-kinesis-video-streams-producer-sdk-cpp#869, and the
 * Android SDK, awslabs/aws-sdk-android-samples#243). The SDKs pick the exception class by name,
 * so the status changes nothing for them; 403 is what KVS clients log and retry on.
 */
import { ApiError } from '../domain/errors.js';

const NOT_AUTHORIZED_OPERATIONS = new Set([
  'DeleteStream', 'DescribeStream', 'GetDataEndpoint', 'ListTagsForStream', 'TagStream', 'UntagStream',
  'UpdateDataRetention', 'UpdateStream', 'PutMedia', 'GetMedia', 'GetClip', 'GetDASHStreamingSessionURL',
  'GetHLSStreamingSessionURL', 'GetImages', 'GetMediaForFragmentList', 'ListFragments',
]);

export class AuthorizationDenied extends ApiError {
  readonly httpStatus = 403;
  constructor(
    private readonly errorName: 'NotAuthorizedException' | 'AccessDeniedException',
    message: string,
  ) {
    super(message);
  }
  override get code(): string {
    return this.errorName;
  }
}

export function deniedError(operation: string, principalArn: string, action: string, resource: string): AuthorizationDenied {
  const name = NOT_AUTHORIZED_OPERATIONS.has(operation) ? 'NotAuthorizedException' : 'AccessDeniedException';
  return new AuthorizationDenied(name, `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`);
}
