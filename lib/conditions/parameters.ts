import { compileJmesPath, JmesPathSyntaxError } from '../jmespath';
import { regexProblem } from './regex';

/** Returns the reason a parameter value is wrong, or undefined when it is fine. */
export type ParameterCheck = (value: unknown) => string | undefined;

export interface ParameterSpec {
  required: boolean;
  check: ParameterCheck;
}

export const required = (check: ParameterCheck): ParameterSpec => ({ required: true, check });
export const optional = (check: ParameterCheck): ParameterSpec => ({ required: false, check });

/**
 * Maxima of a condition's parameters (README, Activation conditions). Each value a condition holds is
 * copied into the decision of every record, and each costs evaluation time: they keep both small.
 */
export const PARAMETER_LIMITS = {
  /** Characters of any string parameter: a name, a JMESPath expression, a regular expression. */
  string: 1024,
  /** Values of In and NotIn. */
  values: 1000,
  /** Characters of the JSON of one value of Equals, NotEquals, In or NotIn. */
  valueJson: 1024,
  /** Entries of ImportantFormKeyAliases. */
  aliases: 100,
} as const;

// "" is told apart from other strings: "must be a non-empty string, got a string" would not say what is wrong.
const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : value === '' ? 'an empty string' : `a ${typeof value}`;

export const aString: ParameterCheck = (value) => {
  if (typeof value !== 'string' || value.length === 0) return `must be a non-empty string, got ${describe(value)}`;
  return value.length > PARAMETER_LIMITS.string ? `is ${value.length} characters long (at most ${PARAMETER_LIMITS.string})` : undefined;
};

export const aBoolean: ParameterCheck = (value) =>
  typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}`;

export const aNumber: ParameterCheck = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number, got ${describe(value)}`;

export const aNumberIn =
  (min: number, max: number): ParameterCheck =>
  (value) => {
    const notNumber = aNumber(value);
    if (notNumber) return notNumber;
    const number = value as number;
    return number < min || number > max ? `must be between ${min} and ${max}, got ${number}` : undefined;
  };

export const aStringArray: ParameterCheck = (value) => {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) return 'must be an array of non-empty strings';
  if (value.length > PARAMETER_LIMITS.aliases) return `has ${value.length} entries (at most ${PARAMETER_LIMITS.aliases})`;
  const long = value.findIndex((item: string) => item.length > PARAMETER_LIMITS.string);
  return long >= 0 ? `[${long}] is ${(value[long] as string).length} characters long (at most ${PARAMETER_LIMITS.string})` : undefined;
};

/** An array of at most PARAMETER_LIMITS.values JSON values, each small (see anyJson). */
export const anArray: ParameterCheck = (value) => {
  if (!Array.isArray(value)) return `must be an array, got ${describe(value)}`;
  if (value.length > PARAMETER_LIMITS.values) return `has ${value.length} values (at most ${PARAMETER_LIMITS.values})`;
  for (let i = 0; i < value.length; i++) {
    const reason = anyJson(value[i]);
    if (reason) return `[${i}] ${reason}`;
  }
  return undefined;
};

export const anyJson: ParameterCheck = (value) => {
  if (value === undefined) return 'must be a JSON value';
  const length = JSON.stringify(value).length;
  return length > PARAMETER_LIMITS.valueJson ? `is ${length} characters of JSON (at most ${PARAMETER_LIMITS.valueJson})` : undefined;
};

export const aJmesPath: ParameterCheck = (value) => {
  const notString = aString(value);
  if (notString) return notString;
  try {
    compileJmesPath(value as string);
    return undefined;
  } catch (error) {
    if (error instanceof JmesPathSyntaxError) return error.message;
    throw error;
  }
};

export const aRegex: ParameterCheck = (value) => {
  const notString = aString(value);
  if (notString) return notString;
  return regexProblem(value as string);
};
