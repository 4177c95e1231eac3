import { serializationException, validationException } from './errors';

/**
 * Just enough of botocore's shape language to check a request the way the services do: required members,
 * string length/pattern/enum, integer range, list size. The services validate on the server (the JS SDK
 * does not, and botocore only checks types and minimums), answering every violation in one
 * ValidationException worded like Coral's: "2 validation errors detected: Value 'x' at 'humanLoopName'
 * failed to satisfy constraint: Member must …; …". A value of the wrong JSON type is a
 * SerializationException, as it is there.
 */
export type Shape = StringShape | IntegerShape | TimestampShape | ListShape | StructureShape;

export interface StringShape {
  type: 'string';
  min?: number;
  max?: number;
  /** The model's pattern, matched against the whole value and quoted as written in messages. */
  pattern?: string;
  enum?: readonly string[];
}
export interface IntegerShape {
  type: 'integer';
  min?: number;
  max?: number;
}
export interface TimestampShape {
  type: 'timestamp';
}
export interface ListShape {
  type: 'list';
  member: Shape;
  min?: number;
  max?: number;
}
export interface StructureShape {
  type: 'structure';
  members: Record<string, Shape>;
  required?: readonly string[];
}

/** Long values (a 3 MB InputContent) are shortened in messages. */
const MAX_QUOTED_CHARS = 200;

const compiledPatterns = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let compiled = compiledPatterns.get(source);
  if (!compiled) {
    compiled = new RegExp(`^(?:${source})$`);
    compiledPatterns.set(source, compiled);
  }
  return compiled;
}

/** Throws the service's ValidationException (or SerializationException) when `value` breaks the shape. */
export function assertValid(shape: StructureShape, value: unknown): void {
  const violations: string[] = [];
  check(shape, value, '', violations);
  if (violations.length > 0) {
    const count = violations.length === 1 ? '1 validation error detected' : `${violations.length} validation errors detected`;
    throw validationException(`${count}: ${violations.join('; ')}`);
  }
}

function check(shape: Shape, value: unknown, path: string, violations: string[]): void {
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'a structure');
      const object = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members)) {
        const memberPath = path === '' ? lowerFirst(name) : `${path}.${lowerFirst(name)}`;
        const memberValue = object[name];
        if (memberValue === undefined || memberValue === null) {
          if (shape.required?.includes(name)) violations.push(`Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`);
          continue;
        }
        check(member, memberValue, memberPath, violations);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw wrongType(path, 'a list');
      if (shape.min !== undefined && value.length < shape.min) violations.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value.length > shape.max) violations.push(violation(value, path, `have length less than or equal to ${shape.max}`));
      value.forEach((item, index) => check(shape.member, item, `${path}.${index + 1}.member`, violations));
      return;
    }
    case 'string': {
      if (typeof value !== 'string') throw wrongType(path, 'a string');
      if (shape.min !== undefined && value.length < shape.min) violations.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value.length > shape.max) violations.push(violation(value, path, `have length less than or equal to ${shape.max}`));
      if (shape.enum && !shape.enum.includes(value)) violations.push(violation(value, path, `satisfy enum value set: [${shape.enum.join(', ')}]`));
      if (shape.pattern !== undefined && !patternOf(shape.pattern).test(value)) violations.push(violation(value, path, `satisfy regular expression pattern: ${shape.pattern}`));
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
      if (shape.min !== undefined && value < shape.min) violations.push(violation(value, path, `have value greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value > shape.max) violations.push(violation(value, path, `have value less than or equal to ${shape.max}`));
      return;
    }
    case 'timestamp':
      if (parseTimestamp(value) === undefined) throw wrongType(path, 'a timestamp');
      return;
  }
}

/**
 * A timestamp as the SDKs and the CLI send one: epoch seconds (awsJson1_1's default) or ISO 8601
 * (restJson1 query strings, `2020-02-24` included). Returns epoch milliseconds.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function violation(value: unknown, path: string, requirement: string): string {
  return `Value ${quote(value)} at '${path}' failed to satisfy constraint: Member must ${requirement}`;
}

function quote(value: unknown): string {
  const text = Array.isArray(value) ? `[${value.map(String).join(', ')}]` : String(value);
  return `'${text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text}'`;
}

function wrongType(path: string, expected: string) {
  return serializationException(`Expected ${expected} at '${path || 'body'}'`);
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Whether `text` is a JSON document (InputContent, activation conditions). */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
