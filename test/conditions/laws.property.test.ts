import fc from 'fast-check';
import { compileConditions, type ConditionResult } from '../../lib/conditions';
import { constant, leaf, withoutResults, type Condition } from './helpers';

/**
 * Laws of the combinators, on random condition trees whose leaves depend only on the record: constant
 * Expressions, FieldValueCheck on a flag and FieldConfidenceCheck on a score of a generated record.
 * (Sampling is left out on purpose: its draw is salted by its location, which these rewrites move.)
 */

const FLAGS = ['a', 'b', 'c', 'd'] as const;

interface TestRecord {
  flags: Record<string, boolean>;
  scores: Record<string, number>;
}

const recordArbitrary: fc.Arbitrary<TestRecord> = fc.record({
  flags: fc.record(Object.fromEntries(FLAGS.map((name) => [name, fc.boolean()])) as Record<string, fc.Arbitrary<boolean>>),
  scores: fc.record(Object.fromEntries(FLAGS.map((name) => [name, fc.integer({ min: 0, max: 100 })])) as Record<string, fc.Arbitrary<number>>),
});

const leafArbitrary: fc.Arbitrary<Condition> = fc.oneof(
  fc.boolean().map(constant),
  fc.constantFrom(...FLAGS).map((name) => leaf('FieldValueCheck', { Path: `flags.${name}`, Equals: true })),
  fc
    .tuple(fc.constantFrom(...FLAGS), fc.integer({ min: 0, max: 100 }))
    .map(([name, bound]) => leaf('FieldConfidenceCheck', { Path: `scores.${name}`, ConfidenceLessThan: bound })),
);

const { tree: treeArbitrary } = fc.letrec<{ tree: Condition }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArbitrary,
    fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((operands) => ({ And: operands })),
    fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((operands) => ({ Or: operands })),
    tie('tree').map((operand) => ({ Not: operand })),
    tie('tree').map((operand) => ({ Not: [operand] })),
  ),
}));

/** An independent reading of the semantics, to hold the engine to. */
function model(condition: Condition, record: TestRecord): boolean {
  if ('And' in condition) return (condition.And as Condition[]).every((operand) => model(operand, record));
  if ('Or' in condition) return (condition.Or as Condition[]).some((operand) => model(operand, record));
  if ('Not' in condition) return !model(Array.isArray(condition.Not) ? condition.Not[0] : (condition.Not as Condition), record);
  const parameters = condition.ConditionParameters as Record<string, string | number>;
  const name = String(parameters.Path ?? '').split('.')[1];
  switch (condition.ConditionType) {
    case 'Expression':
      return parameters.Expression === '`true`';
    case 'FieldValueCheck':
      return record.flags[name] === true;
    case 'FieldConfidenceCheck':
      return record.scores[name] < (parameters.ConfidenceLessThan as number);
  }
  throw new Error(`unexpected leaf ${JSON.stringify(condition)}`);
}

const evaluate = (condition: Condition, record: TestRecord): boolean =>
  compileConditions({ Conditions: [condition] }).evaluate(record, () => 'id').humanTaskActivationConditionResults.Conditions[0].EvaluationResult;

/** Every combinator's EvaluationResult agrees with its operands' reported results. */
function consistent(result: ConditionResult): boolean {
  const operands = (key: string): ConditionResult[] => {
    const value = result[key];
    return (Array.isArray(value) ? value : [value]) as ConditionResult[];
  };
  if ('And' in result) return operands('And').every(consistent) && result.EvaluationResult === operands('And').every((operand) => operand.EvaluationResult);
  if ('Or' in result) return operands('Or').every(consistent) && result.EvaluationResult === operands('Or').some((operand) => operand.EvaluationResult);
  if ('Not' in result) {
    const [operand] = operands('Not');
    return consistent(operand) && result.EvaluationResult === !operand.EvaluationResult;
  }
  return typeof result.EvaluationResult === 'boolean';
}

const RUNS = { numRuns: 300 };

describe('laws of And, Or and Not', () => {
  test('the engine agrees with the model of the semantics', () => {
    fc.assert(
      fc.property(treeArbitrary, recordArbitrary, (tree, record) => evaluate(tree, record) === model(tree, record)),
      RUNS,
    );
  });

  test('every node is reported, consistently with its operands, and the report mirrors the document', () => {
    fc.assert(
      fc.property(fc.array(treeArbitrary, { minLength: 1, maxLength: 3 }), recordArbitrary, (trees, record) => {
        const { Conditions } = compileConditions({ Conditions: trees }).evaluate(record, () => 'id').humanTaskActivationConditionResults;
        return Conditions.every(consistent) && JSON.stringify(withoutResults(Conditions)) === JSON.stringify(trees);
      }),
      RUNS,
    );
  });

  test('And and Or are commutative: any order of the operands gives the same result', () => {
    fc.assert(
      fc.property(
        fc.array(treeArbitrary, { minLength: 1, maxLength: 5 }).chain((operands) =>
          fc.tuple(fc.constant(operands), fc.shuffledSubarray(operands, { minLength: operands.length, maxLength: operands.length })),
        ),
        recordArbitrary,
        ([operands, shuffled], record) =>
          evaluate({ And: operands }, record) === evaluate({ And: shuffled }, record) &&
          evaluate({ Or: operands }, record) === evaluate({ Or: shuffled }, record),
      ),
      RUNS,
    );
  });

  test('De Morgan: Not(And(x, y)) = Or(Not x, Not y) and Not(Or(x, y)) = And(Not x, Not y)', () => {
    fc.assert(
      fc.property(treeArbitrary, treeArbitrary, recordArbitrary, (x, y, record) => {
        const notAnd = evaluate({ Not: { And: [x, y] } }, record);
        const orOfNots = evaluate({ Or: [{ Not: x }, { Not: [y] }] }, record);
        const notOr = evaluate({ Not: [{ Or: [x, y] }] }, record);
        const andOfNots = evaluate({ And: [{ Not: [x] }, { Not: y }] }, record);
        return notAnd === orOfNots && notOr === andOfNots;
      }),
      RUNS,
    );
  });

  test('Not(Not(x)) = x, whether Not is given an object or an array of one', () => {
    fc.assert(
      fc.property(treeArbitrary, recordArbitrary, (x, record) => {
        const expected = evaluate(x, record);
        return (
          evaluate({ Not: { Not: x } }, record) === expected &&
          evaluate({ Not: [{ Not: [x] }] }, record) === expected &&
          evaluate({ Not: x }, record) === !expected
        );
      }),
      RUNS,
    );
  });

  test('And of one operand and Or of one operand are that operand', () => {
    fc.assert(
      fc.property(treeArbitrary, recordArbitrary, (x, record) => {
        const expected = evaluate(x, record);
        return evaluate({ And: [x] }, record) === expected && evaluate({ Or: [x] }, record) === expected;
      }),
      RUNS,
    );
  });

  test('And with a true operand and Or with a false one are the other operand; And with false is false, Or with true is true', () => {
    fc.assert(
      fc.property(treeArbitrary, recordArbitrary, (x, record) => {
        const expected = evaluate(x, record);
        return (
          evaluate({ And: [x, constant(true)] }, record) === expected &&
          evaluate({ Or: [constant(false), x] }, record) === expected &&
          evaluate({ And: [x, constant(false)] }, record) === false &&
          evaluate({ Or: [constant(true), x] }, record) === true
        );
      }),
      RUNS,
    );
  });

  test('the top level activates exactly when any of its conditions is true, as an Or of them would', () => {
    fc.assert(
      fc.property(fc.array(treeArbitrary, { minLength: 1, maxLength: 5 }), recordArbitrary, (trees, record) => {
        const decision = compileConditions({ Conditions: trees }).evaluate(record, () => 'id');
        const results = decision.humanTaskActivationConditionResults.Conditions.map((result) => result.EvaluationResult);
        return (
          results.length === trees.length &&
          decision.activated === results.some(Boolean) &&
          decision.activated === evaluate({ Or: trees }, record) &&
          results.every((result, i) => result === evaluate(trees[i], record))
        );
      }),
      RUNS,
    );
  });
  test('summarize gives the same activation and exactly the JSON of the full decision, from cache or not', () => {
    fc.assert(
      fc.property(fc.array(treeArbitrary, { minLength: 1, maxLength: 5 }), fc.array(recordArbitrary, { minLength: 1, maxLength: 8 }), (trees, records) => {
        const compiled = compileConditions({ Conditions: trees });
        // Twice over the records: the second pass reads the JSON from the cache.
        return [...records, ...records].every((record) => {
          const decision = compiled.evaluate(record, () => 'id');
          const summary = compiled.summarize(record, () => 'id');
          return summary.activated === decision.activated && summary.json === JSON.stringify(decision);
        });
      }),
      RUNS,
    );
  });

  test('summarize agrees on documents too large for the mask (over 30 nodes)', () => {
    fc.assert(
      fc.property(fc.array(leafArbitrary, { minLength: 31, maxLength: 40 }), recordArbitrary, (leaves, record) => {
        const compiled = compileConditions({ Conditions: [{ Or: leaves }] });
        const decision = compiled.evaluate(record, () => 'id');
        const summary = compiled.summarize(record, () => 'id');
        return summary.activated === decision.activated && summary.json === JSON.stringify(decision);
      }),
      { numRuns: 50 },
    );
  });
});
