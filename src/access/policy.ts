/**
 * IAM identity policies, in AWS's own JSON grammar, parsed and checked once (at start, on SIGHUP,
 * when credentials are issued) so that a request only runs precompiled matchers.
 *
 * Grammar (IAM JSON policy element reference,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):
 *   { "Version"?: "2012-10-17" | "2008-10-17", "Id"?: string,
 *     "Statement": Statement | Statement[] }
 *   Statement: { "Sid"?, "Effect": "Allow" | "Deny",
 *                exactly one of "Action" / "NotAction" (string or list),
 *                exactly one of "Resource" / "NotResource" (string or list) }
 * `*` and `?` are wildcards in both; actions match case-insensitively, resources case-sensitively.
 * `Principal` has no place in a policy attached to a key (an identity policy), and `Condition` is
 * refused rather than ignored: ignoring it would widen an Allow or drop a Deny.
 */
import { KNOWN_ACTIONS, SERVICE_PREFIX } from './actions.js';

export type Effect = 'Allow' | 'Deny';

/** A statement as written (variables unresolved), kept for binding to a principal. */
export interface PolicyStatement {
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly actions: readonly string[];
  /** True when the statement used NotAction: it applies to every action but these. */
  readonly notAction: boolean;
  readonly resources: readonly string[];
  readonly notResource: boolean;
}

export interface PolicyDocument {
  readonly version: string | undefined;
  readonly statements: readonly PolicyStatement[];
  /** The document's JSON text as given (sealed into issued credentials). */
  readonly text: string;
}

export class PolicyError extends Error {}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);

/**
 * Parses a policy document. `where` names it in errors (e.g. "creds.ini: [camera-17] policy
 * cam.json"); statement errors add the statement's position and Sid.
 */
export function parsePolicy(text: string, where: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw new PolicyError(`${where}: a policy must be a JSON object`);
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) throw new PolicyError(`${where}: unknown top-level element "${key}"`);
  }
  const version = doc['Version'];
  if (version !== undefined && (typeof version !== 'string' || !VERSIONS.has(version))) {
    throw new PolicyError(`${where}: Version must be "2012-10-17" or "2008-10-17", got ${JSON.stringify(version)}`);
  }
  const raw = doc['Statement'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw new PolicyError(`${where}: Statement is missing or empty`);
  const statements = list.map((statement, index) => parseStatement(statement, `${where}: statement ${index + 1}`));
  return { version: version as string | undefined, statements, text };
}

function parseStatement(raw: unknown, where: string): PolicyStatement {
  if (!isObject(raw)) throw new PolicyError(`${where}: a statement must be a JSON object`);
  const sid = raw['Sid'];
  if (sid !== undefined && typeof sid !== 'string') throw new PolicyError(`${where}: Sid must be a string`);
  const at = sid === undefined ? where : `${where} (Sid "${sid}")`;
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(key)) throw new PolicyError(`${at}: unknown element "${key}"`);
  }
  if (raw['Principal'] !== undefined || raw['NotPrincipal'] !== undefined) {
    throw new PolicyError(`${at}: Principal/NotPrincipal belong in resource policies, not in a key's policy`);
  }
  if (raw['Condition'] !== undefined) {
    throw new PolicyError(`${at}: Condition is not supported by openkvs (ignoring it would change what the statement means)`);
  }
  const effect = raw['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny') throw new PolicyError(`${at}: Effect must be "Allow" or "Deny", got ${JSON.stringify(effect)}`);
  const action = exactlyOne(raw, 'Action', 'NotAction', at);
  const resource = exactlyOne(raw, 'Resource', 'NotResource', at);
  action.values.forEach((name) => checkAction(name, at));
  resource.values.forEach((pattern) => checkResource(pattern, at));
  return {
    sid,
    effect,
    actions: action.values,
    notAction: action.negated,
    resources: resource.values,
    notResource: resource.negated,
  };
}

function exactlyOne(raw: Record<string, unknown>, name: string, notName: string, at: string): { values: string[]; negated: boolean } {
  const plain = raw[name];
  const negated = raw[notName];
  if ((plain === undefined) === (negated === undefined)) throw new PolicyError(`${at}: needs exactly one of ${name} or ${notName}`);
  const value = plain ?? negated;
  const values = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new PolicyError(`${at}: ${plain !== undefined ? name : notName} must be a non-empty string or list of strings`);
  }
  return { values: values as string[], negated: plain === undefined };
}

/** "*", or "service:name" where name may hold wildcards; a kinesisvideo name without one must exist. */
function checkAction(action: string, at: string): void {
  if (action === '*') return;
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1) {
    throw new PolicyError(`${at}: action "${action}" must look like "${SERVICE_PREFIX}:PutMedia"`);
  }
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1);
  if (service !== SERVICE_PREFIX || /[*?]/.test(name)) return;
  const known = [...KNOWN_ACTIONS].some((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (!known) throw new PolicyError(`${at}: unknown action "${action}" (Kinesis Video Streams has no action "${name}")`);
}

function checkResource(pattern: string, at: string): void {
  if (pattern === '*' || pattern.startsWith('arn:')) return;
  throw new PolicyError(`${at}: resource "${pattern}" must be "*" or an ARN (arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/CREATION)`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
