import { deepEqual, isTruthy } from '../../jmespath';
import { comparisonParameterNames, compileComparisons, type NumberTest } from '../comparison';
import { ConditionEvaluationError, type ConditionType, describeJsonType, type LeafTest } from '../condition-type';
import { compileRegex } from '../regex';
import { aBoolean, aJmesPath, aNumber, anArray, anyJson, aRegex, optional, required } from '../parameters';

const confidenceParameters = Object.fromEntries(comparisonParameterNames('Confidence').map((name) => [name, optional(aNumber)]));

export const fieldConfidenceCheck: ConditionType = {
  name: 'FieldConfidenceCheck',
  parameters: { Path: required(aJmesPath), ...confidenceParameters },
  validate: (parameters) =>
    compileComparisons('Confidence', parameters) ? [] : [`needs one of ${comparisonParameterNames('Confidence').join(', ')}`],
  /**
   * True when a number the path yields satisfies the comparisons; a path that yields nothing (null, missing,
   * an empty list: JMESPath cannot tell a null from a missing field) is false. Anything else it yields (a
   * string such as "0.4", a boolean, an object) cannot be evaluated (ConditionEvaluationError), wherever it
   * is among the values: all are looked at, so the answer does not depend on their order.
   */
  compile(parameters, _location, compilePath) {
    const expression = parameters.Path as string;
    const path = compilePath.any(expression);
    const test = compileComparisons('Confidence', parameters) as NumberTest;
    // One visitor per condition, not a closure per record: evaluation is synchronous and never re-enters a leaf.
    let holds = false;
    const visit = (value: unknown): boolean => {
      if (typeof value !== 'number') throw new ConditionEvaluationError(`Path ${JSON.stringify(expression)} yields ${describeJsonType(value)}, not a number`);
      if (test(value)) holds = true;
      return false;
    };
    return (record) => {
      holds = false;
      path(record, visit);
      return holds;
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
    if (given.length !== 1) return [`needs exactly one of ${VALUE_TESTS.join(', ')}${given.length ? `, got ${given.join(' and ')}` : ''}`];
    return unreachableValues(parameters);
  },
  compile(parameters, _location, compilePath) {
    const path = compilePath.any(parameters.Path as string);
    const test = valueTest(parameters);
    if (parameters.Exists !== undefined) {
      const wanted = parameters.Exists as boolean;
      return (record) => path(record, yieldsSomething) === wanted;
    }
    return (record) => path(record, test);
  },
};

function valueTest(parameters: Record<string, unknown>): (value: unknown) => boolean {
  if (parameters.Equals !== undefined) return (value) => deepEqual(value, parameters.Equals);
  if (parameters.NotEquals !== undefined) return (value) => !deepEqual(value, parameters.NotEquals);
  if (parameters.In !== undefined) return memberOf(parameters.In as unknown[]);
  if (parameters.NotIn !== undefined) {
    const member = memberOf(parameters.NotIn as unknown[]);
    return (value) => !member(value);
  }
  if (parameters.Matches !== undefined) {
    const matches = compileRegex(parameters.Matches as string);
    return (value) => typeof value === 'string' && matches(value);
  }
  return () => true;
}

/** JSON equality with one of `options`: strings, numbers and booleans by a Set lookup (up to 1,000 options), the others one by one. */
function memberOf(options: unknown[]): (value: unknown) => boolean {
  const scalars = new Set(options.filter((option) => typeof option !== 'object'));
  const structured = options.filter((option) => typeof option === 'object');
  return (value) => (typeof value !== 'object' ? scalars.has(value) : structured.some((option) => deepEqual(value, option)));
}

export const missingField: ConditionType = {
  name: 'MissingField',
  parameters: { Path: required(aJmesPath) },
  compile(parameters, _location, compilePath): LeafTest {
    const path = compilePath.value(parameters.Path as string);
    return (record) => {
      const result = path(record);
      return result === null || result === undefined || result === '' || (Array.isArray(result) && result.length === 0);
    };
  },
};

export const expression: ConditionType = {
  name: 'Expression',
  parameters: { Expression: required(aJmesPath) },
  compile(parameters, _location, compilePath) {
    const evaluate = compilePath.value(parameters.Expression as string);
    return (record) => isTruthy(evaluate(record));
  },
};

const yieldsSomething = (): boolean => true;

/**
 * A path never yields null (null is "nothing") and yields an array's elements, not the array: such values
 * in Equals, In or NotIn could never take effect, so they are errors rather than conditions that silently
 * never match.
 */
function unreachableValues(parameters: Record<string, unknown>): string[] {
  const hint = 'use MissingField or Exists: false for a missing or null value, and a path to the elements for arrays';
  const unreachable = (value: unknown): boolean => value === null || Array.isArray(value);
  if (parameters.Equals !== undefined && unreachable(parameters.Equals)) {
    return [`Equals ${JSON.stringify(parameters.Equals)} can never match: paths yield neither null nor arrays (${hint})`];
  }
  for (const name of ['In', 'NotIn'] as const) {
    const values = parameters[name];
    if (Array.isArray(values) && values.some(unreachable)) {
      return [`${name} holds ${JSON.stringify(values.find(unreachable))}, which a path never yields (${hint})`];
    }
  }
  return [];
}
