import { compileConditions, type CompiledConditions, type ConditionResult } from '../../lib/conditions';
import { samplingIdentity } from '../../lib/record-identity';
import { identities, leaf, withinFiveSigma } from './helpers';

/** Deterministic sampling: the same record always gets the same answer; across records the rate is the percentage. */

const N = 20_000;
const IDS = identities(N, 'invoices/inv');
const sampling = (RandomSamplingPercentage: number) => leaf('Sampling', { RandomSamplingPercentage });
const compile = (...conditions: unknown[]): CompiledConditions => compileConditions({ Conditions: conditions });
/** The EvaluationResult of each top-level condition, per identity. */
const draws = (compiled: CompiledConditions, ids: string[] = IDS): boolean[][] =>
  ids.map((id) => compiled.evaluate({}, () => id).humanTaskActivationConditionResults.Conditions.map((result) => result.EvaluationResult));

describe('determinism', () => {
  test('the same identity gets the same answer on every evaluation and on every compilation of the document', () => {
    // Prepare
    const document = { Conditions: [sampling(50), { And: [sampling(5), leaf('Expression', { Expression: '`true`' })] }] };
    const ids = IDS.slice(0, 2_000);

    // Act
    const first = draws(compileConditions(document), ids);
    const compiled = compileConditions(JSON.parse(JSON.stringify(document)));
    const second = draws(compiled, ids);
    const third = draws(compiled, ids);

    // Assess
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(new Set(first.map((row) => row[0])).size).toBe(2);
  });

  test('the answer depends on the identity only, not on the rest of the record', () => {
    // Prepare
    const compiled = compile(sampling(50));
    const ids = IDS.slice(0, 500);

    // Act
    const onEmpty = ids.map((id) => compiled.evaluate({}, () => id).activated);
    const onOther = ids.map((id, i) => compiled.evaluate({ amount: i, label: 'fraud' }, () => id).activated);

    // Assess
    expect(onOther).toEqual(onEmpty);
  });

  test('records without an id draw on their content: the same content in another key order gets the same answer', () => {
    // Prepare
    const compiled = compile(sampling(50));
    const records = Array.from({ length: 500 }, (_, i) => ({ invoice: { number: i, currency: 'EUR' }, total: i * 3 }));
    const reordered = records.map((record) => ({ total: record.total, invoice: { currency: 'EUR', number: record.invoice.number } }));

    // Act
    const first = records.map((record) => compiled.evaluate(record, () => samplingIdentity(record)).activated);
    const second = reordered.map((record) => compiled.evaluate(record, () => samplingIdentity(record)).activated);

    // Assess
    expect(second).toEqual(first);
    expect(withinFiveSigma(first.filter(Boolean).length, records.length, 0.5)).toBe(true);
  });
});

describe('rate', () => {
  test.each([0.01, 1, 5, 12.5, 50, 99])('%d%% samples that share of 20,000 distinct identities', (percentage) => {
    // Act
    const sampled = draws(compile(sampling(percentage))).filter(([result]) => result).length;

    // Assess
    expect(withinFiveSigma(sampled, N, percentage / 100)).toBe(true);
  });

  test('100% samples every identity', () => {
    expect(draws(compile(sampling(100))).every(([result]) => result)).toBe(true);
  });

  test('a larger percentage at the same place samples more', () => {
    // Act
    const counts = [1, 5, 50].map((percentage) => draws(compile(sampling(percentage))).filter(([result]) => result).length);

    // Assess
    expect(counts[0]).toBeLessThan(counts[1]);
    expect(counts[1]).toBeLessThan(counts[2]);
  });
});

describe('independence', () => {
  test.each([
    [50, 50],
    [10, 20],
    [5, 50],
  ])('Sampling %d%% and Sampling %d%% at different places draw independently: jointly at the product of their rates', (p, q) => {
    // Act
    const results = draws(compile(sampling(p), sampling(q)));

    // Assess
    const first = results.filter(([a]) => a).length;
    const second = results.filter(([, b]) => b).length;
    const both = results.filter(([a, b]) => a && b).length;
    expect(withinFiveSigma(first, N, p / 100)).toBe(true);
    expect(withinFiveSigma(second, N, q / 100)).toBe(true);
    expect(withinFiveSigma(both, N, (p / 100) * (q / 100))).toBe(true);
  });

  test('two Sampling conditions under one And activate at the product of their rates', () => {
    // Prepare
    const compiled = compile({ And: [sampling(50), sampling(50)] });

    // Act
    const activated = IDS.filter((id) => compiled.evaluate({}, () => id).activated).length;

    // Assess
    expect(withinFiveSigma(activated, N, 0.25)).toBe(true);
  });

  test('a Sampling condition nested deeper draws independently of one at the top', () => {
    // Prepare
    const compiled = compile(sampling(30), { Or: [leaf('Expression', { Expression: '`false`' }), { Not: { Not: sampling(30) } }] });

    // Act
    const results = draws(compiled);

    // Assess
    const both = results.filter(([a, b]) => a && b).length;
    expect(withinFiveSigma(both, N, 0.09)).toBe(true);
  });
});

describe('the identity', () => {
  test('is not asked for when the document holds no Sampling condition', () => {
    // Prepare
    const identity = jest.fn(() => 'id');
    const compiled = compile(leaf('Expression', { Expression: 'flag' }), { Not: leaf('MissingField', { Path: 'x' }) });

    // Act
    compiled.evaluate({ flag: true }, identity);

    // Assess
    expect(identity).not.toHaveBeenCalled();
  });

  test('is asked for once per evaluation, however many Sampling conditions there are', () => {
    // Prepare
    const identity = jest.fn(() => 'id');
    const compiled = compile(sampling(5), { And: [sampling(10), { Or: [sampling(20), sampling(30)] }] });

    // Act
    compiled.evaluate({}, identity);
    compiled.evaluate({}, identity);

    // Assess
    expect(identity).toHaveBeenCalledTimes(2);
  });

  test('reported Sampling results carry the parameters as given', () => {
    // Act
    const [result] = compile(sampling(12.5)).evaluate({}, () => 'id').humanTaskActivationConditionResults.Conditions as ConditionResult[];

    // Assess
    expect(result).toEqual({ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 12.5 }, EvaluationResult: expect.any(Boolean) });
  });
});
