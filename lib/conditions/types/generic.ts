import { compileJmesPath, deepEqual, isTruthy } from '../../jmespath';
import { comparisonParameterNames, compileComparisons, type NumberTest } from '../comparison';
import type { ConditionType, LeafTest } from '../condition-type';
import { aBoolean, aJmesPath, aNumber, anArray, anyJson, aRegex, optional, required } from '../parameters';
import { yieldedValues } from '../values';

const confidenceParameters = Object.fromEntries(comparisonParameterNames('Confidence').map((name) => [name, optional(aNumber)]));

export const fieldConfidenceCheck: ConditionType = {
  name: 'FieldConfidenceCheck',
  parameters: { Path: required(aJmesPath), ...confidenceParameters },
  validate: (parameters) =>
    compileComparisons('Confidence', parameters) ? [] : [`needs one of ${comparisonParameterNames('Confidence').join(', ')}`],
  compile(parameters) {
    const path = compileJmesPath(parameters.Path as string);
    const test = compileComparisons('Confidence', parameters) as NumberTest;
    return (record) => {
      const result = path(record);
      if (typeof result === 'number') return test(result);
      for (const value of yieldedValues(result)) if (typeof value === 'number' && test(value)) return true;
      return false;
    };
  },
};

const VALUE_TESTS = ['Equals', 'NotEquals', 'In', 'NotIn', 'Matches', 'Exists'] as const;

export const fieldValueCheck: ConditionType = {
  name: 'FieldValueCheck',
  parameters: {
    Path: required(aJmesPath),
    Equals: optional(anyJson),
    NotEquals: optional(anyJson),
    In: optional(anArray),
    NotIn: optional(anArray),
    Matches: optional(aRegex),
    Exists: optional(aBoolean),
  },
  validate(parameters) {
    const given = VALUE_TESTS.filter((name) => parameters[name] !== undefined);
    if (given.length === 1) return [];
    return [`needs exactly one of ${VALUE_TESTS.join(', ')}${given.length ? `, got ${given.join(' and ')}` : ''}`];
  },
  compile(parameters) {
    const path = compileJmesPath(parameters.Path as string);
    const test = valueTest(parameters);
    if (parameters.Exists !== undefined) {
      const wanted = parameters.Exists as boolean;
      return (record) => (yieldedValues(path(record)).length > 0) === wanted;
    }
    return (record) => yieldedValues(path(record)).some(test);
  },
};

function valueTest(parameters: Record<string, unknown>): (value: unknown) => boolean {
  if (parameters.Equals !== undefined) return (value) => deepEqual(value, parameters.Equals);
  if (parameters.NotEquals !== undefined) return (value) => !deepEqual(value, parameters.NotEquals);
  if (parameters.In !== undefined) {
    const options = parameters.In as unknown[];
    return (value) => options.some((option) => deepEqual(value, option));
  }
  if (parameters.NotIn !== undefined) {
    const options = parameters.NotIn as unknown[];
    return (value) => !options.some((option) => deepEqual(value, option));
  }
  if (parameters.Matches !== undefined) {
    const pattern = new RegExp(parameters.Matches as string, 'u');
    return (value) => typeof value === 'string' && pattern.test(value);
  }
  return () => true;
}

export const missingField: ConditionType = {
  name: 'MissingField',
  parameters: { Path: required(aJmesPath) },
  compile(parameters): LeafTest {
    const path = compileJmesPath(parameters.Path as string);
    return (record) => {
      const result = path(record);
      return result === null || result === undefined || result === '' || (Array.isArray(result) && result.length === 0);
    };
  },
};

export const expression: ConditionType = {
  name: 'Expression',
  parameters: { Expression: required(aJmesPath) },
  compile(parameters) {
    const evaluate = compileJmesPath(parameters.Expression as string);
    return (record) => isTruthy(evaluate(record));
  },
};
