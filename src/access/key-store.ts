/**
 * The keys the server accepts, and what each may do: the credentials file's keys (replaced as a
 * whole on SIGHUP) and the short-lived credentials they issue (verified from their token alone).
 */
import { ExpiredTokenException } from '../domain/errors.js';
import type { Clock } from '../util/clock.js';
import { compilePolicy, variablesFor, type CompiledPolicy } from './evaluate.js';
import { IssuedCredentialKeys, type IssuedCredentials } from './issued-credentials.js';
import { parsePolicy, type PolicyDocument } from './policy.js';
import { decisionFor, type Principal } from './principal.js';

/** One key of the credentials file. */
export interface KeyEntry {
  readonly accessKeyId: string;
  /** Its [section] name. */
  readonly name: string;
  readonly secretAccessKey: string;
  /** When set, requests must carry this token (x-amz-security-token). */
  readonly sessionToken?: string;
  /** `policy = FILE`; absent: full access. */
  readonly policy?: PolicyDocument;
}

/** What SigV4 verification needs from a key, and who it is. */
export interface ResolvedKey {
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly principal: Principal;
}

interface FileKey {
  readonly entry: KeyEntry;
  readonly principal: Principal;
}

interface Watch {
  readonly principal: Principal;
  /** The secret of the file key behind it (the issuer's, for issued credentials) when the watch began: a changed secret revokes too. */
  readonly secret: string | undefined;
  readonly action: string;
  readonly resource: string;
  readonly onRevoked: () => void;
}

/** Opened tokens, so a camera's every request does not inflate and compile its policy again. */
const ISSUED_CACHE_LIMIT = 10_000;

export class KeyStore {
  private keys = new Map<string, FileKey>();
  private readonly issuedCache = new Map<string, Principal>();
  private readonly watches = new Set<Watch>();

  constructor(
    entries: readonly KeyEntry[],
    private readonly issuedKeys: IssuedCredentialKeys,
    private readonly clock: Clock,
  ) {
    this.install(entries);
  }

  /** The key a request names, or undefined when it is unknown. Throws ExpiredTokenException for an expired issued credential. */
  lookup(accessKeyId: string, securityToken: string | undefined): ResolvedKey | undefined {
    const fileKey = this.keys.get(accessKeyId);
    if (fileKey) {
      const { secretAccessKey, sessionToken } = fileKey.entry;
      return sessionToken === undefined ? { secretAccessKey, principal: fileKey.principal } : { secretAccessKey, sessionToken, principal: fileKey.principal };
    }
    if (securityToken === undefined) return undefined;
    const principal = this.issuedPrincipal(securityToken);
    if (principal === undefined || principal.accessKeyId !== accessKeyId) return undefined;
    if (principal.expiresMs !== undefined && this.clock.nowMs() >= principal.expiresMs) {
      throw new ExpiredTokenException('The security token included in the request is expired');
    }
    return { secretAccessKey: this.issuedKeys.secretFor(securityToken), sessionToken: securityToken, principal };
  }

  /**
   * New credentials for `issuer` (a key of the file), valid `ttlMs`, limited to `policyText` AND
   * the issuer's own policy: they are evaluated against both, so they can never do more than
   * the key that made them, whatever the policy given says.
   */
  issue(issuer: Principal, policyText: string, ttlMs: number, name: string): IssuedCredentials {
    return this.issuedKeys.issue({ issuer: issuer.accessKeyId, name, expiresMs: this.clock.nowMs() + ttlMs, policy: policyText });
  }

  /** True for a key of the credentials file (as opposed to issued credentials). */
  isFileKey(accessKeyId: string): boolean {
    return this.keys.has(accessKeyId);
  }

  /**
   * Replaces the file's keys (SIGHUP). Issued credentials of a removed key stop working with it.
   * Every watched long request (PutMedia) whose caller may no longer do what it is doing is told.
   */
  replace(entries: readonly KeyEntry[]): { removed: string[]; revokedSessions: number } {
    const before = new Set(this.keys.keys());
    this.install(entries);
    this.issuedCache.clear();
    const removed = [...before].filter((id) => !this.keys.has(id));
    let revokedSessions = 0;
    for (const watch of [...this.watches]) {
      if (this.stillAllowed(watch)) continue;
      this.watches.delete(watch);
      revokedSessions++;
      watch.onRevoked();
    }
    return { removed, revokedSessions };
  }

  /** Calls `onRevoked` if a reload takes `action` on `resource` away from `principal`. Returns the unwatch function. */
  watch(principal: Principal, action: string, resource: string, onRevoked: () => void): () => void {
    const secret = this.keys.get(principal.issuer ?? principal.accessKeyId)?.entry.secretAccessKey;
    const watch: Watch = { principal, secret, action, resource, onRevoked };
    this.watches.add(watch);
    return () => this.watches.delete(watch);
  }

  private stillAllowed(watch: Watch): boolean {
    const { principal } = watch;
    if (this.keys.get(principal.issuer ?? principal.accessKeyId)?.entry.secretAccessKey !== watch.secret) return false;
    const now = principal.issuer === undefined ? this.currentFileKey(principal) : this.currentIssued(principal);
    return now !== undefined && decisionFor(now, watch.action, watch.resource) === 'allow';
  }

  private currentFileKey(principal: Principal): Principal | undefined {
    return this.keys.get(principal.accessKeyId)?.principal;
  }

  private currentIssued(principal: Principal): Principal | undefined {
    const issuer = principal.issuer === undefined ? undefined : this.keys.get(principal.issuer);
    if (!issuer) return undefined;
    // The issued policy is the first; the issuer's (possibly changed) policy replaces the rest.
    const own = principal.policies?.[0];
    return { ...principal, policies: own ? [own, ...(issuer.principal.policies ?? [])] : issuer.principal.policies };
  }

  private install(entries: readonly KeyEntry[]): void {
    const keys = new Map<string, FileKey>();
    for (const entry of entries) {
      const policies = entry.policy ? [compilePolicy(entry.policy, variablesFor(entry.name))] : undefined;
      keys.set(entry.accessKeyId, { entry, principal: { accessKeyId: entry.accessKeyId, name: entry.name, policies } });
    }
    this.keys = keys;
  }

  private issuedPrincipal(token: string): Principal | undefined {
    const cached = this.issuedCache.get(token);
    if (cached) return cached;
    const record = this.issuedKeys.open(token);
    if (!record) return undefined;
    const issuer = this.keys.get(record.issuer);
    if (!issuer) return undefined;
    let own: CompiledPolicy;
    try {
      own = compilePolicy(parsePolicy(record.policy, 'issued credentials'), variablesFor(record.name));
    } catch {
      return undefined;
    }
    const principal: Principal = {
      accessKeyId: record.accessKeyId,
      name: record.name,
      policies: [own, ...(issuer.principal.policies ?? [])],
      issuer: record.issuer,
      expiresMs: record.expiresMs,
    };
    if (this.issuedCache.size >= ISSUED_CACHE_LIMIT) {
      const oldest = this.issuedCache.keys().next().value;
      if (oldest !== undefined) this.issuedCache.delete(oldest);
    }
    this.issuedCache.set(token, principal);
    return principal;
  }
}
