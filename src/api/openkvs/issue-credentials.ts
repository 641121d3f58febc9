/**
 * POST /openkvs/issueCredentials — openkvs's own operation (no KVS operation lives under
 * /openkvs/, so it cannot collide with one), SigV4-signed like every call:
 *
 *   { "Policy": "<IAM policy JSON>", "DurationSeconds": 43200, "Name": "camera-17" }
 *   → { "Credentials": { "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration" } }
 *
 * Shaped after STS GetFederationToken, the AWS call that narrows an IAM user's own rights with
 * a policy for a while: the same bounds (15 minutes to 36 hours, Name 2–32 of [\w+=,.@-]) and
 * the same rule that the result is the intersection of the given policy and the caller's own.
 * Only keys of the credentials file may issue; issued credentials may not issue more.
 */
import { InvalidArgumentException } from '../../domain/errors.js';
import { AuthorizationDenied } from '../../access/denied.js';
import { parsePolicy, PolicyError } from '../../access/policy.js';
import { principalArn } from '../../access/principal.js';
import type { JsonOperation } from '../operation.js';
import type { OperationShape } from '../shapes/shape.js';

interface IssueCredentialsInput {
  Policy: string;
  DurationSeconds?: number;
  Name?: string;
}

export const ISSUE_CREDENTIALS_PATH = '/openkvs/issueCredentials';
/** GetFederationToken's default lifetime. */
const DEFAULT_DURATION_SECONDS = 43_200;

const shape: OperationShape = {
  path: ISSUE_CREDENTIALS_PATH,
  input: {
    type: 'structure',
    members: {
      Policy: { type: 'string', min: 1, max: 65_536 },
      DurationSeconds: { type: 'integer', min: 900, max: 129_600 },
      Name: { type: 'string', min: 2, max: 32, pattern: '[\\w+=,.@-]*' },
    },
    required: ['Policy'],
  },
};

export const issueCredentials: JsonOperation<IssueCredentialsInput> = {
  name: 'IssueCredentials',
  shape,
  async handle(input, ctx) {
    const { principal } = ctx.access;
    if (!ctx.keys) throw new InvalidArgumentException('openkvs runs without --credentials: there is nothing to issue credentials from.');
    if (!ctx.keys.isFileKey(principal.accessKeyId)) {
      throw new AuthorizationDenied(
        'AccessDeniedException',
        `User: ${principalArn(principal, ctx.accountId)} is not authorized to issue credentials: only keys of the credentials file may.`,
      );
    }
    try {
      parsePolicy(input.Policy, 'Policy');
    } catch (err) {
      if (err instanceof PolicyError) throw new InvalidArgumentException(err.message);
      throw err;
    }
    const name = input.Name ?? principal.name;
    const issued = ctx.keys.issue(principal, input.Policy, (input.DurationSeconds ?? DEFAULT_DURATION_SECONDS) * 1000, name);
    ctx.log.info({ requestId: ctx.requestId, issuer: principal.accessKeyId, accessKeyId: issued.accessKeyId, name, expires: new Date(issued.expiresMs).toISOString() }, 'credentials issued');
    return {
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: new Date(issued.expiresMs).toISOString(),
      },
    };
  },
};
