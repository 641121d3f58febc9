/**
 * The error a refused request gets, as AWS answers an IAM denial: HTTP 403 and the message
 * "User: ARN is not authorized to perform: kinesisvideo:ACTION on resource: RESOURCE".
 *
 * Name, by API:
 * - Data plane (kinesis-video-media, kinesis-video-archived-media, PutMedia): `NotAuthorizedException`.
 *   Their models list it for every operation, and their text says "Status Code: 403, The caller is
 *   not authorized to perform an operation on the given stream, or the token has expired"; the
 *   PutMedia API reference lists the same.
 * - Control plane (kinesisvideo): `AccessDeniedException`, what an IAM denial of a control-plane
 *   call actually comes back as ("Status Code: 403; Error Code: AccessDeniedException" for
 *   DescribeStream, awslabs/aws-sdk-android-samples#243; HTTP 403 "… is not authorized to
 *   perform: kinesisvideo:DescribeStream …", awslabs/amazon-kinesis-video-streams-producer-sdk-cpp#869).
 *   The kinesisvideo model also lists NotAuthorizedException on some operations (status 401, no
 *   text saying when); the observed answer wins. Both names are modeled in the control-plane
 *   SDKs, so clients raise a typed exception either way.
 * Status: 403 for both, as observed; the models' 401 is not what IAM denials carry.
 */
import { ApiError } from '../domain/errors.js';

/** The data-plane operations (media and archived media). */
const NOT_AUTHORIZED_OPERATIONS = new Set([
  'PutMedia', 'GetMedia', 'GetClip', 'GetDASHStreamingSessionURL', 'GetHLSStreamingSessionURL', 'GetImages',
  'GetMediaForFragmentList', 'ListFragments',
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
