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

// "" is told apart from other strings: "must be a non-empty string, got a string" would not say what is wrong.
const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : value === '' ? 'an empty string' : `a ${typeof value}`;

export const aString: ParameterCheck = (value) =>
  typeof value === 'string' && value.length > 0 ? undefined : `must be a non-empty string, got ${describe(value)}`;

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

export const aStringArray: ParameterCheck = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0)
    ? undefined
    : 'must be an array of non-empty strings';

export const anArray: ParameterCheck = (value) => (Array.isArray(value) ? undefined : `must be an array, got ${describe(value)}`);

export const anyJson: ParameterCheck = (value) => (value === undefined ? 'must be a JSON value' : undefined);

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
