/**
 * Policy evaluation as IAM does it for one identity policy
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny in any applicable statement wins; otherwise an applicable Allow allows;
 * otherwise the request is implicitly denied.
 *
 * Policies are compiled once per principal: policy variables (`${aws:username}`,
 * `${credentials-iot:ThingName}`) are bound to the principal's name, and each statement's action
 * and resource lists become one anchored regular expression each.
 */
import type { Effect, PolicyDocument, PolicyStatement } from './policy.js';

export type Decision = 'allow' | 'deny' | 'implicit-deny';

export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
  /**
   * Decisions already made, by action and resource. A compiled policy never changes (a reload
   * compiles new ones), and a fleet asks the same few questions again and again (each camera its
   * PutMedia on its stream, each viewer its reads), so the statements are walked once per question.
   */
  readonly decisions?: Map<string, Decision>;
}

/** Bound on remembered decisions per policy; past it the memory starts over. */
const DECISION_CACHE_LIMIT = 4096;

interface CompiledStatement {
  readonly effect: Effect;
  readonly actions: RegExp;
  readonly notAction: boolean;
  readonly resources: RegExp;
  readonly notResource: boolean;
}

/**
 * Values of the policy variables this principal has; a key without a value leaves any statement
 * using it unmatched, as IAM does when the request context lacks the key.
 */
export type PolicyVariables = Readonly<Record<string, string | undefined>>;

/** The variables of a key named `name`: its credentials-file section, or an issued credential's --name. */
export function variablesFor(name: string | undefined): PolicyVariables {
  // AWS IoT's credentials provider sets credentials-iot:ThingName; the KVS guide's IoT policy
  // scopes a camera to `stream/${credentials-iot:ThingName}/*` (dg/how-iot.html).
  return { 'aws:username': name, 'credentials-iot:thingname': name };
}

export function compilePolicy(doc: PolicyDocument, variables: PolicyVariables): CompiledPolicy {
  // Policy variables exist only in Version 2012-10-17; in older documents `${...}` is literal text.
  const substitute = doc.version === '2012-10-17';
  const statements: CompiledStatement[] = [];
  for (const statement of doc.statements) {
    const compiled = compileStatement(statement, substitute ? variables : undefined);
    if (compiled) statements.push(compiled);
  }
  return { statements, decisions: new Map() };
}

function compileStatement(statement: PolicyStatement, variables: PolicyVariables | undefined): CompiledStatement | undefined {
  const resources: string[] = [];
  for (const pattern of statement.resources) {
    const source = variables ? bindVariables(pattern, variables) : globSource(pattern);
    // An unbound variable: the statement does not apply to this principal.
    if (source === undefined) return undefined;
    resources.push(source);
  }
  return {
    effect: statement.effect,
    actions: new RegExp(`^(?:${statement.actions.map(globSource).join('|')})$`, 'i'),
    notAction: statement.notAction,
    resources: new RegExp(`^(?:${resources.join('|')})$`),
    notResource: statement.notResource,
  };
}

/** One policy's verdict on `action` (e.g. kinesisvideo:PutMedia) over `resource` (an ARN, or "*"). */
export function decide(policy: CompiledPolicy, action: string, resource: string): Decision {
  const cache = policy.decisions;
  if (cache === undefined) return evaluate(policy, action, resource);
  const key = `${action}\n${resource}`;
  let decision = cache.get(key);
  if (decision === undefined) {
    decision = evaluate(policy, action, resource);
    if (cache.size >= DECISION_CACHE_LIMIT) cache.clear();
    cache.set(key, decision);
  }
  return decision;
}

function evaluate(policy: CompiledPolicy, action: string, resource: string): Decision {
  let allowed = false;
  for (const s of policy.statements) {
    if (s.actions.test(action) === s.notAction) continue;
    if (s.resources.test(resource) === s.notResource) continue;
    if (s.effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * Several policies that must all allow (an issued credential: its own policy and its issuer's).
 * An explicit Deny in any wins; any policy that does not allow denies implicitly.
 */
export function decideAll(policies: readonly CompiledPolicy[], action: string, resource: string): Decision {
  let decision: Decision = 'allow';
  for (const policy of policies) {
    const one = decide(policy, action, resource);
    if (one === 'deny') return 'deny';
    if (one === 'implicit-deny') decision = 'implicit-deny';
  }
  return decision;
}

/** `*` → any run of characters, `?` → any one character, everything else literal. */
function globSource(pattern: string): string {
  let source = '';
  for (const ch of pattern) source += ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch);
  return source;
}

/**
 * Resolves `${key}` in a resource pattern; `${*}`, `${?}` and `${$}` stand for the literal
 * characters (IAM policy variables, "Special characters"). Undefined when a key has no value.
 */
function bindVariables(pattern: string, variables: PolicyVariables): string | undefined {
  let source = '';
  let rest = pattern;
  for (;;) {
    const start = rest.indexOf('${');
    const end = start < 0 ? -1 : rest.indexOf('}', start);
    if (end < 0) return source + globSource(rest);
    source += globSource(rest.slice(0, start));
    const key = rest.slice(start + 2, end).trim();
    if (key === '*' || key === '?' || key === '$') source += escapeRegExp(key);
    else {
      const value = variables[key.toLowerCase()];
      if (value === undefined) return undefined;
      source += escapeRegExp(value);
    }
    rest = rest.slice(end + 1);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
