import * as jmespathLibrary from '@jmespath-community/jmespath';
import { compileConditions, type PathCompiler } from '../../lib/conditions';
import { compileJmesPath, compileJmesPathAny } from '../../lib/jmespath';
import { leaf } from './helpers';

/** Conditions are compiled once per workflow: evaluating a record parses no JMESPath. */

function countingCompiler(): PathCompiler & { compiled: string[] } {
  const compiled: string[] = [];
  return {
    compiled,
    value(expression) {
      compiled.push(expression);
      return compileJmesPath(expression);
    },
    any(expression) {
      compiled.push(expression);
      return compileJmesPathAny(expression);
    },
  };
}

const DOCUMENT = {
  Conditions: [
    {
      Or: [
        leaf('FieldConfidenceCheck', { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }),
        { And: [leaf('Sampling', { RandomSamplingPercentage: 5 }), leaf('FieldValueCheck', { Path: 'label', In: ['fraud', 'chargeback'] })] },
      ],
    },
    { Not: [leaf('MissingField', { Path: "fields[?name=='iban'].value | [0]" })] },
    leaf('Expression', { Expression: 'length(fields) > `2` && sum(fields[*].confidence) < `2.2`' }),
    leaf('FieldValueCheck', { Path: 'fields[*].value', Matches: '^DE' }),
  ],
};
const PATHS = ['fields[*].confidence', 'label', "fields[?name=='iban'].value | [0]", 'length(fields) > `2` && sum(fields[*].confidence) < `2.2`', 'fields[*].value'];

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    label: i % 3 === 0 ? 'fraud' : 'ok',
    fields: [
      { name: 'iban', value: i % 5 === 0 ? '' : `DE${i}`, confidence: (i % 100) / 100 },
      { name: 'total', value: String(i), confidence: 0.9 },
      { name: 'date', value: null, confidence: 0.95 },
    ],
  }));

describe('compile once, evaluate many', () => {
  test('each path is compiled once, when the document is compiled, and never while records are evaluated', () => {
    // Prepare
    const compilePath = countingCompiler();
    const compiled = compileConditions(DOCUMENT, { compilePath });
    const afterCompile = [...compilePath.compiled];

    // Act
    for (const record of records(1)) compiled.evaluate(record, () => 'id');
    const afterOne = compilePath.compiled.length;
    const decisions = records(2_000).map((record, i) => compiled.evaluate(record, () => `id-${i}`));

    // Assess
    expect([...afterCompile].sort()).toEqual([...PATHS].sort());
    expect(afterOne).toBe(PATHS.length);
    expect(compilePath.compiled.length).toBe(PATHS.length);
    const outcomes = decisions.map((decision) => JSON.stringify(decision.humanTaskActivationConditionResults.Conditions.map((c) => c.EvaluationResult)));
    expect(new Set(outcomes).size).toBeGreaterThan(4);
    expect(new Set(decisions.map((decision) => decision.activated))).toEqual(new Set([true, false]));
  });

  test('evaluating records never calls the JMESPath parser, interpreted functions included', () => {
    // Prepare
    const compiled = compileConditions(DOCUMENT);
    const parse = jest.spyOn(jmespathLibrary, 'compile');
    const search = jest.spyOn(jmespathLibrary, 'search');

    try {
      // Act
      for (const [i, record] of records(1_000).entries()) compiled.evaluate(record, () => `id-${i}`);

      // Assess
      expect(parse).not.toHaveBeenCalled();
      expect(search).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
      search.mockRestore();
    }
  });

  test('the spy would see a parse: compiling a document does call the parser', () => {
    // Prepare
    const parse = jest.spyOn(jmespathLibrary, 'compile');

    try {
      // Act
      compileConditions(DOCUMENT);

      // Assess
      expect(parse).toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  test('the compiled document gives the same answers as compiling it afresh for each record', () => {
    // Prepare
    const compiled = compileConditions(DOCUMENT);
    const sample = records(300);

    // Act
    const once = sample.map((record, i) => compiled.evaluate(record, () => `id-${i}`));
    const afresh = sample.map((record, i) => compileConditions(DOCUMENT).evaluate(record, () => `id-${i}`));

    // Assess
    expect(once).toEqual(afresh);
  });
});
