import { InvalidArgumentException } from '../../domain/errors.js';
import type { ListShape, MapShape, NumberShape, Shape, StringShape, StructureShape } from './shape.js';

/**
 * Checks a parsed JSON request against an operation's input shape, the way the AWS service
 * validates it: required members, string length and pattern, enums, numeric ranges, list and
 * map sizes. Every violation is collected and reported in one InvalidArgumentException whose
 * message names each field, in the wording AWS uses ("1 validation error detected: ...").
 * Members the shape does not know are ignored, as AWS does.
 */
export function validateInput(shape: StructureShape, input: unknown): void {
  const errors: string[] = [];
  checkStructure(shape, input, '', errors);
  if (errors.length > 0) {
    const count = errors.length === 1 ? '1 validation error' : `${errors.length} validation errors`;
    throw new InvalidArgumentException(`${count} detected: ${errors.join('; ')}`);
  }
}

type Check<S extends Shape> = (shape: S, value: unknown, path: string, errors: string[]) => void;

const checks: { [K in Shape['type']]: Check<Extract<Shape, { type: K }>> } = {
  structure: (s, v, p, e) => checkStructure(s, v, p, e),
  list: (s, v, p, e) => checkList(s, v, p, e),
  map: (s, v, p, e) => checkMap(s, v, p, e),
  string: (s, v, p, e) => checkString(s, v, p, e),
  integer: (s, v, p, e) => checkNumber(s, v, p, e, true),
  long: (s, v, p, e) => checkNumber(s, v, p, e, true),
  float: (s, v, p, e) => checkNumber(s, v, p, e, false),
  double: (s, v, p, e) => checkNumber(s, v, p, e, false),
  boolean: (_s, v, p, e) => {
    if (typeof v !== 'boolean') e.push(typeError(p, v, 'a boolean'));
  },
  timestamp: (_s, v, p, e) => {
    if (parseTimestampMs(v) === undefined) e.push(typeError(p, v, 'a timestamp (epoch seconds or ISO-8601)'));
  },
};

function checkShape(shape: Shape, value: unknown, path: string, errors: string[]): void {
  (checks[shape.type] as Check<Shape>)(shape, value, path, errors);
}

function checkStructure(shape: StructureShape, value: unknown, path: string, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push(typeError(path || 'request body', value, 'an object'));
    return;
  }
  for (const name of shape.required ?? []) {
    if (value[name] === undefined || value[name] === null) {
      errors.push(`Value null at '${join(path, name)}' failed to satisfy constraint: Member must not be null`);
    }
  }
  for (const [name, member] of Object.entries(shape.members)) {
    const memberValue = value[name];
    if (memberValue !== undefined && memberValue !== null) checkShape(member, memberValue, join(path, name), errors);
  }
}

function checkList(shape: ListShape, value: unknown, path: string, errors: string[]): void {
  if (!Array.isArray(value)) {
    errors.push(typeError(path, value, 'a list'));
    return;
  }
  checkCount(shape, value.length, path, errors);
  value.forEach((item, i) => {
    if (item === null) errors.push(`Value null at '${path}.${i + 1}.member' failed to satisfy constraint: Member must not be null`);
    else checkShape(shape.member, item, `${path}.${i + 1}.member`, errors);
  });
}

function checkMap(shape: MapShape, value: unknown, path: string, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push(typeError(path, value, 'a map'));
    return;
  }
  const entries = Object.entries(value);
  checkCount(shape, entries.length, path, errors);
  for (const [key, item] of entries) {
    checkShape(shape.key, key, `${path}.key`, errors);
    if (item === null) errors.push(`Value null at '${path}.${key}' failed to satisfy constraint: Member must not be null`);
    else checkShape(shape.value, item, `${path}.${key}`, errors);
  }
}

function checkCount(shape: ListShape | MapShape, count: number, path: string, errors: string[]): void {
  if (shape.min !== undefined && count < shape.min) {
    errors.push(`Value at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && count > shape.max) {
    errors.push(`Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`);
  }
}

function checkString(shape: StringShape, value: unknown, path: string, errors: string[]): void {
  if (typeof value !== 'string') {
    errors.push(typeError(path, value, 'a string'));
    return;
  }
  const shown = `Value '${truncate(value)}' at '${path}' failed to satisfy constraint: Member must`;
  if (shape.enum && !shape.enum.includes(value)) {
    errors.push(`${shown} satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  // AWS counts length in UTF-16 code units (Java String.length), as does JavaScript.
  if (shape.min !== undefined && value.length < shape.min) {
    errors.push(`${shown} have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value.length > shape.max) {
    errors.push(`${shown} have length less than or equal to ${shape.max}`);
  }
  if (shape.pattern !== undefined && !patternFor(shape.pattern).test(value)) {
    errors.push(`${shown} satisfy regular expression pattern: ${shape.pattern}`);
  }
}

function checkNumber(shape: NumberShape, value: unknown, path: string, errors: string[], integral: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integral && !Number.isSafeInteger(value))) {
    errors.push(typeError(path, value, integral ? 'an integer' : 'a number'));
    return;
  }
  if (shape.min !== undefined && value < shape.min) {
    errors.push(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value > shape.max) {
    errors.push(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
  }
}

const compiledPatterns = new Map<string, RegExp>();

/** AWS model patterns match the whole value (Java's String.matches); \p{..} classes need the u flag. */
export function patternFor(pattern: string): RegExp {
  let re = compiledPatterns.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    compiledPatterns.set(pattern, re);
  }
  return re;
}

/** Epoch milliseconds of a wire timestamp: epoch seconds (number, fraction allowed) or an ISO-8601 string. */
export function parseTimestampMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) : undefined;
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeError(path: string, value: unknown, expected: string): string {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
  return `Value at '${path}' failed to satisfy constraint: Member must be ${expected}, got ${actual}`;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}...` : value;
}
