/**
 * Who made a request, once SigV4 has verified it, and what that caller may do.
 */
import { decideAll, type CompiledPolicy, type Decision } from './evaluate.js';

export interface Principal {
  readonly accessKeyId: string;
  /** The credentials-file section, or the --name of an issued credential; shown in denials and logs. */
  readonly name: string;
  /**
   * Policies that must all allow an action. Undefined: full access (a key with no policy, and
   * every caller in open mode). An issued credential carries its own policy and its issuer's.
   */
  readonly policies: readonly CompiledPolicy[] | undefined;
  /** Issued (short-lived) credentials: the key that issued them. */
  readonly issuer?: string;
  /** Issued credentials: when they stop working (ms since the epoch). */
  readonly expiresMs?: number;
}

/** Open mode's caller: no credentials are configured, so everything is allowed. */
export const OPEN_ACCESS: Principal = { accessKeyId: 'anonymous', name: 'anonymous', policies: undefined };

export function decisionFor(principal: Principal, action: string, resource: string): Decision {
  return principal.policies === undefined ? 'allow' : decideAll(principal.policies, action, resource);
}

/**
 * The caller as AWS would name it in "User: … is not authorized to perform: …": an IAM user for a
 * key of the credentials file, a federated user (an STS session narrowed by a policy, as
 * GetFederationToken makes) for issued credentials.
 */
export function principalArn(principal: Principal, accountId: string): string {
  return principal.issuer === undefined
    ? `arn:aws:iam::${accountId}:user/${principal.name}`
    : `arn:aws:sts::${accountId}:federated-user/${principal.name}`;
}
