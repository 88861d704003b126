import { constraintViolation, validation } from './errors.js';

export interface StringRule {
  min?: number;
  max?: number;
  /** Anchored match over the whole value. */
  pattern?: RegExp;
  /** The pattern as the service model spells it, for the message. */
  patternText?: string;
}

export function requiredString(value: unknown, member: string, rule: StringRule = {}): string {
  if (value === undefined || value === null || value === '') {
    if (rule.min === 0 && value === '') return '';
    throw constraintViolation(value ?? 'null', member, 'Member must not be null');
  }
  return checkString(value, member, rule);
}

export function optionalString(value: unknown, member: string, rule: StringRule = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  return checkString(value, member, rule);
}

function checkString(value: unknown, member: string, rule: StringRule): string {
  if (typeof value !== 'string') throw validation(`${member} must be a string`);
  const length = [...value].length;
  if (rule.min !== undefined && length < rule.min) {
    throw constraintViolation(value, member, `Member must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && length > rule.max) {
    throw constraintViolation(value, member, `Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw constraintViolation(
      value,
      member,
      `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`,
    );
  }
  return value;
}

export function optionalInteger(
  value: unknown,
  member: string,
  rule: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw validation(`${member} must be an integer`);
  if (rule.min !== undefined && n < rule.min) {
    throw constraintViolation(n, member, `Member must have value greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && n > rule.max) {
    throw constraintViolation(n, member, `Member must have value less than or equal to ${rule.max}`);
  }
  return n;
}

export function optionalBoolean(value: unknown, member: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw validation(`${member} must be a boolean`);
  return value;
}

export function optionalRecord(value: unknown, member: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validation(`${member} must be a map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw validation(`${member}.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

export function oneOf<T extends string>(value: string, member: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw constraintViolation(value, member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}
