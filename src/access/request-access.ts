/**
 * One request's authorization: who is calling, which action the operation is, and the check an
 * operation runs once it knows the resource (the stream's ARN, after looking the stream up).
 */
import type { Logger } from '../util/logger.js';
import { actionOf } from './actions.js';
import { deniedError } from './denied.js';
import type { KeyStore } from './key-store.js';
import { decisionFor, principalArn, type Principal } from './principal.js';

export interface RequestAccess {
  readonly principal: Principal;
  /** kinesisvideo:<Operation>. */
  readonly action: string;
  /** Throws the operation's AWS denial unless the caller may perform the action on `resource`; denials are logged. */
  authorize(resource: string): void;
  /** May the caller perform the action on `resource`? No error, no log. */
  allows(resource: string): boolean;
  /**
   * For a long request (PutMedia): `onRevoked` runs if a credentials reload takes the right away
   * (key removed, secret or policy changed). Returns the function that stops watching.
   */
  watch(resource: string, onRevoked: () => void): () => void;
}

export interface AccessDeps {
  readonly accountId: string;
  readonly log: Logger;
  readonly requestId: string;
  /** Undefined in open mode: nothing can be revoked. */
  readonly keys: KeyStore | undefined;
}

export function requestAccess(principal: Principal, operation: string, deps: AccessDeps): RequestAccess {
  const action = actionOf(operation);
  return {
    principal,
    action,
    allows: (resource) => decisionFor(principal, action, resource) === 'allow',
    authorize(resource) {
      const decision = decisionFor(principal, action, resource);
      if (decision === 'allow') return;
      // Never the secret: the key id and the section/credential name identify the caller.
      deps.log.warn(
        { requestId: deps.requestId, accessKeyId: principal.accessKeyId, key: principal.name, action, resource, decision },
        'access denied',
      );
      throw deniedError(operation, principalArn(principal, deps.accountId), action, resource);
    },
    watch(resource, onRevoked) {
      return deps.keys ? deps.keys.watch(principal, action, resource, onRevoked) : () => {};
    },
  };
}
