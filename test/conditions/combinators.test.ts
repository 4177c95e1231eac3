import { compileConditions, CONDITION_TYPES, DOCUMENT_LIMITS } from '../../lib/conditions';
import type { ConditionType } from '../../lib/conditions/condition-type';
import { aString, required } from '../../lib/conditions/parameters';
import { constant, decide, holds, leaf, withoutResults } from './helpers';

/** And / Or / Not, nesting, the top level, and the shape of the reported results. */

const T = constant(true);
const F = constant(false);

/** A condition type that records which conditions were evaluated and answers `record[Name]`. */
function spyTypes(): { types: ReadonlyMap<string, ConditionType>; evaluated: string[] } {
  const evaluated: string[] = [];
  const spy: ConditionType = {
    name: 'Spy',
    parameters: { Name: required(aString) },
    compile(parameters) {
      const name = parameters.Name as string;
      return (record) => {
        evaluated.push(name);
        return (record as Record<string, boolean>)[name] === true;
      };
    },
  };
  return { types: new Map([...CONDITION_TYPES, ['Spy', spy]]), evaluated };
}
const spy = (Name: string) => leaf('Spy', { Name });

describe('And / Or / Not', () => {
  test.each([
    [[T], true],
    [[F], false],
    [[T, T], true],
    [[T, F], false],
    [[F, T], false],
    [[T, T, T, F], false],
  ])('And of %j is %s', (operands, expected) => {
    expect(holds({ And: operands }, {})).toBe(expected);
  });

  test.each([
    [[T], true],
    [[F], false],
    [[F, F], false],
    [[F, T], true],
    [[T, F], true],
    [[F, F, F, T], true],
  ])('Or of %j is %s', (operands, expected) => {
    expect(holds({ Or: operands }, {})).toBe(expected);
  });

  test('Not negates its operand, given as an object or as an array of one', () => {
    expect(holds({ Not: T }, {})).toBe(false);
    expect(holds({ Not: F }, {})).toBe(true);
    expect(holds({ Not: [T] }, {})).toBe(false);
    expect(holds({ Not: [F] }, {})).toBe(true);
  });

  test('combinators nest to any depth and combine leaves of different types', () => {
    // Prepare: (label in {fraud, chargeback} AND NOT reviewed) OR (amount > 10000 AND (NOT (iban missing)))
    const condition = {
      Or: [
        { And: [leaf('FieldValueCheck', { Path: 'label', In: ['fraud', 'chargeback'] }), { Not: leaf('Expression', { Expression: 'reviewed' }) }] },
        { And: [leaf('Expression', { Expression: 'amount > `10000`' }), { Not: [{ Not: { Not: leaf('MissingField', { Path: 'iban' }) } }] }] },
      ],
    };

    // Act + Assess
    expect(holds(condition, { label: 'fraud', reviewed: false, amount: 5 })).toBe(true);
    expect(holds(condition, { label: 'fraud', reviewed: true, amount: 5 })).toBe(false);
    expect(holds(condition, { label: 'ok', amount: 20000, iban: 'DE44' })).toBe(true);
    expect(holds(condition, { label: 'ok', amount: 20000 })).toBe(false);
    expect(holds(condition, { label: 'ok', amount: 20000, iban: '' })).toBe(false);
  });

  test('deep nesting (more than A2I\'s two levels, up to the maximum) is accepted and evaluated', () => {
    // Prepare: with the Not below, DOCUMENT_LIMITS.depth combinators deep.
    let condition: Record<string, unknown> = T;
    for (let depth = 0; depth < DOCUMENT_LIMITS.depth - 1; depth++) condition = depth % 2 === 0 ? { And: [condition, T] } : { Or: [F, condition] };

    // Act + Assess
    expect(holds(condition, {})).toBe(true);
    expect(holds({ Not: condition }, {})).toBe(false);
  });
});

describe('the top level', () => {
  test('activates when any top-level condition is true', () => {
    expect(decide({ Conditions: [F, F, T] }, {}).activated).toBe(true);
    expect(decide({ Conditions: [T] }, {}).activated).toBe(true);
    expect(decide({ Conditions: [F, F] }, {}).activated).toBe(false);
    expect(decide({ Conditions: [F] }, {}).activated).toBe(false);
  });

  test('reports every top-level condition, in order', () => {
    // Act
    const decision = decide({ Conditions: [T, F, T, F] }, {});

    // Assess
    expect(decision.humanTaskActivationConditionResults.Conditions.map((result) => result.EvaluationResult)).toEqual([true, false, true, false]);
  });
});

describe('every condition is evaluated and reported (no short circuit, as A2I does)', () => {
  test('operands after a decisive one are still evaluated', () => {
    // Prepare
    const { types, evaluated } = spyTypes();
    const document = {
      Conditions: [{ Or: [spy('a'), spy('b')] }, { And: [spy('c'), spy('d')] }, spy('e'), { Not: spy('f') }],
    };
    const compiled = compileConditions(document, { types });

    // Act: a is true (decides the Or), c is false (decides the And), e alone activates
    const decision = compiled.evaluate({ a: true, b: true, c: false, d: true, e: true, f: false }, () => 'id');

    // Assess
    expect(evaluated).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(decision.activated).toBe(true);
    expect(decision.humanTaskActivationConditionResults.Conditions).toEqual([
      { Or: [{ ...spy('a'), EvaluationResult: true }, { ...spy('b'), EvaluationResult: true }], EvaluationResult: true },
      { And: [{ ...spy('c'), EvaluationResult: false }, { ...spy('d'), EvaluationResult: true }], EvaluationResult: false },
      { ...spy('e'), EvaluationResult: true },
      { Not: { ...spy('f'), EvaluationResult: false }, EvaluationResult: true },
    ]);
  });

  test('the result mirrors the document as given, with EvaluationResult on every node', () => {
    // Prepare
    const document = {
      Conditions: [
        {
          Or: [
            leaf('FieldConfidenceCheck', { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }),
            { And: [leaf('Sampling', { RandomSamplingPercentage: 100 }), leaf('FieldValueCheck', { Path: 'label', In: ['fraud', 'chargeback'] })] },
          ],
        },
        { Not: [leaf('MissingField', { Path: 'iban' })] },
        { Not: leaf('Expression', { Expression: 'amount > `10`' }) },
      ],
    };
    const record = { fields: [{ confidence: 0.95 }], label: 'fraud', iban: null, amount: 3 };

    // Act
    const decision = decide(document, record, () => 'record-1');

    // Assess
    expect(decision).toEqual({
      activated: true,
      humanTaskActivationConditionResults: {
        Conditions: [
          {
            Or: [
              { ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }, EvaluationResult: false },
              {
                And: [
                  { ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 100 }, EvaluationResult: true },
                  { ConditionType: 'FieldValueCheck', ConditionParameters: { Path: 'label', In: ['fraud', 'chargeback'] }, EvaluationResult: true },
                ],
                EvaluationResult: true,
              },
            ],
            EvaluationResult: true,
          },
          { Not: [{ ConditionType: 'MissingField', ConditionParameters: { Path: 'iban' }, EvaluationResult: true }], EvaluationResult: false },
          { Not: { ConditionType: 'Expression', ConditionParameters: { Expression: 'amount > `10`' }, EvaluationResult: false }, EvaluationResult: true },
        ],
      },
    });
    expect(withoutResults(decision.humanTaskActivationConditionResults)).toEqual(document);
    expect(Object.keys(decision)).toEqual(['activated', 'humanTaskActivationConditionResults']);
  });

  test('a leaf reports the ConditionParameters it was compiled with, even if the caller mutates the document later', () => {
    // Prepare
    const parameters = { Path: 'label', In: ['fraud'] };
    const compiled = compileConditions({ Conditions: [leaf('FieldValueCheck', parameters)] });
    parameters.In.push('chargeback');
    parameters.Path = 'other';

    // Act
    const decision = compiled.evaluate({ label: 'chargeback' }, () => 'id');

    // Assess
    expect(decision.activated).toBe(false);
    expect(decision.humanTaskActivationConditionResults.Conditions[0].ConditionParameters).toEqual({ Path: 'label', In: ['fraud'] });
  });

  test('the reported ConditionParameters cannot be changed, so no consumer of a decision can alter later evaluations', () => {
    // Prepare
    const compiled = compileConditions({ Conditions: [leaf('FieldValueCheck', { Path: 'label', In: ['fraud'] })] });
    const reported = compiled.evaluate({ label: 'ok' }, () => 'id').humanTaskActivationConditionResults.Conditions[0]
      .ConditionParameters as { Path: string; In: string[] };

    // Act
    const pushing = () => reported.In.push('ok');
    const assigning = () => {
      reported.Path = 'other';
    };

    // Assess
    expect(pushing).toThrow(/not extensible/);
    expect(assigning).toThrow(/read only/);
    expect(compiled.evaluate({ label: 'ok' }, () => 'id').activated).toBe(false);
    expect(compiled.evaluate({ label: 'fraud' }, () => 'id').activated).toBe(true);
  });

  test('each evaluation returns its own results: one record\'s answer does not leak into the next', () => {
    // Prepare
    const compiled = compileConditions({ Conditions: [{ And: [leaf('Expression', { Expression: 'flag' }), T] }] });

    // Act
    const first = compiled.evaluate({ flag: true }, () => 'a');
    const second = compiled.evaluate({ flag: false }, () => 'b');

    // Assess
    expect(first.activated).toBe(true);
    expect(first.humanTaskActivationConditionResults.Conditions[0].EvaluationResult).toBe(true);
    expect(second.activated).toBe(false);
    expect(second.humanTaskActivationConditionResults.Conditions[0].EvaluationResult).toBe(false);
  });
});
