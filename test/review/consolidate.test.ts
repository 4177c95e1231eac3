import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as jmespath from '../../lib/jmespath';
import { canonicalJson } from '../../lib/record-identity';
import { compileConsolidation, ConsolidationError, reviewTimes, type Consolidation, type HumanAnswer } from '../../lib/review/consolidate';
import type { ConsolidationStrategy } from '../../lib/workflow/types';

/**
 * Consolidation of A2I `humanAnswers` (see "Amazon A2I Output Data",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html, "Output Data From Custom Task Types" and
 * "Track Worker Activity"). The fixtures under test/fixtures/a2i-output/ are whole output.json documents in that
 * shape, with answerContent as crowd-html-elements produce it:
 *   invoice-check-2-1            TaskCount 3, radio group `verdict` + input `total_amount` + text area `notes`;
 *                                2–1 on verdict and total, every note different; array order ≠ submission order;
 *                                one worker's `verdict` has its keys in the other order
 *   fraud-classifier-three-way   TaskCount 3, crowd-classifier `category`: fraud / legitimate / needs-more-info
 *   fraud-classifier-split       TaskCount 2, crowd-classifier: fraud / legitimate
 *   transcription-single         TaskCount 1, the documentation's Amazon Transcribe example
 */

interface OutputJson {
  humanAnswers: HumanAnswer[];
}

function outputJson(name: string): OutputJson {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'a2i-output', `${name}.json`), 'utf8'));
}

const STRATEGIES: ConsolidationStrategy[] = ['first', 'majority', 'unanimous', 'all'];

const consolidate = (strategy: ConsolidationStrategy, answers: HumanAnswer[], fields?: string[]): Consolidation =>
  compileConsolidation({ strategy, fields })(answers);

/** Minute `m` of a review session, as A2I writes times. */
const at = (minute: number): string => `2024-03-12T09:${String(minute).padStart(2, '0')}:00.000Z`;

const answer = (answerContent: unknown, submissionTime?: string): HumanAnswer => ({ answerContent, submissionTime });

/** crowd-classifier output: `<crowd-classifier name="category">`. */
type Label = 'fraud' | 'legitimate' | 'needs-more-info';
const classified = (label: Label) => ({ category: { label } });

/** Answers in submission order (minute 1, 2, 3…), array order the same. */
const classifications = (labels: Label[]): HumanAnswer[] => labels.map((label, i) => answer(classified(label), at(i + 1)));

let notesWritten = 0;
/** An invoice check whose free-text note is always different, as notes are: whole answers never agree. */
function invoice(corrected: boolean, total: string) {
  notesWritten++;
  return { verdict: { correct: !corrected, corrected }, total_amount: total, notes: `checked by reviewer ${notesWritten}` };
}

const T = '1840.50';
const U = '1804.50';
const V = '1840.05';

describe('whole answers (no fields): every strategy × TaskCount 1, 2, 3', () => {
  const fraud = classified('fraud');
  const legitimate = classified('legitimate');
  const unsure = classified('needs-more-info');

  test.each<[ConsolidationStrategy, Label[], unknown, number, boolean]>([
    ['first', ['fraud'], fraud, 1, false],
    ['first', ['fraud', 'fraud'], fraud, 1, false],
    ['first', ['fraud', 'legitimate'], fraud, 1 / 2, false],
    // The earliest answer wins even against a majority: that is what distinguishes `first`.
    ['first', ['legitimate', 'fraud', 'fraud'], legitimate, 1 / 3, false],
    ['first', ['fraud', 'legitimate', 'needs-more-info'], fraud, 1 / 3, false],
    ['majority', ['fraud'], fraud, 1, false],
    ['majority', ['fraud', 'fraud'], fraud, 1, false],
    ['majority', ['fraud', 'legitimate'], null, 1 / 2, true],
    ['majority', ['legitimate', 'fraud', 'fraud'], fraud, 2 / 3, false],
    ['majority', ['fraud', 'legitimate', 'needs-more-info'], null, 1 / 3, true],
    ['majority', ['fraud', 'fraud', 'fraud'], fraud, 1, false],
    ['unanimous', ['fraud'], fraud, 1, false],
    ['unanimous', ['fraud', 'fraud'], fraud, 1, false],
    ['unanimous', ['fraud', 'legitimate'], null, 1 / 2, false],
    ['unanimous', ['legitimate', 'fraud', 'fraud'], null, 2 / 3, false],
    ['unanimous', ['fraud', 'legitimate', 'needs-more-info'], null, 1 / 3, false],
    ['unanimous', ['fraud', 'fraud', 'fraud'], fraud, 1, false],
    ['all', ['fraud'], [fraud], 1, false],
    ['all', ['fraud', 'fraud'], [fraud, fraud], 1, false],
    ['all', ['fraud', 'legitimate'], [fraud, legitimate], 1 / 2, true],
    ['all', ['legitimate', 'fraud', 'fraud'], [legitimate, fraud, fraud], 2 / 3, false],
    ['all', ['fraud', 'legitimate', 'needs-more-info'], [fraud, legitimate, unsure], 1 / 3, true],
  ])('%s of %j → %j, agreement %d, tie %s', (strategy, labels, consolidated, agreement, tie) => {
    // Act
    const result = consolidate(strategy, classifications(labels));

    // Assess
    expect(result).toEqual({ consolidated, agreement, tie });
  });
});

describe('fields: every strategy × TaskCount 1, 2, 3', () => {
  const FIELDS = ['verdict.corrected', 'total_amount'];
  const entries = (corrected: unknown, total: unknown) => ({ 'verdict.corrected': corrected, total_amount: total });
  const answers = (checks: [boolean, string][]) => checks.map(([corrected, total], i) => answer(invoice(corrected, total), at(i + 1)));

  const ONE: [boolean, string][] = [[true, T]];
  const TWO_SPLIT_ON_TOTAL: [boolean, string][] = [[true, T], [true, U]];
  const TWO_TO_ONE: [boolean, string][] = [[false, U], [true, T], [true, T]];
  const THREE_WAY_ON_TOTAL: [boolean, string][] = [[true, T], [true, U], [true, V]];

  test.each<[ConsolidationStrategy, [boolean, string][], unknown, number, boolean]>([
    ['first', ONE, entries(true, T), 1, false],
    ['first', TWO_SPLIT_ON_TOTAL, entries(true, T), 1 / 2, false],
    ['first', TWO_TO_ONE, entries(false, U), 1 / 3, false],
    ['first', THREE_WAY_ON_TOTAL, entries(true, T), 1 / 3, false],
    ['majority', ONE, entries(true, T), 1, false],
    ['majority', TWO_SPLIT_ON_TOTAL, entries(true, null), 1 / 2, true],
    ['majority', TWO_TO_ONE, entries(true, T), 2 / 3, false],
    ['majority', THREE_WAY_ON_TOTAL, entries(true, null), 1 / 3, true],
    ['unanimous', ONE, entries(true, T), 1, false],
    ['unanimous', TWO_SPLIT_ON_TOTAL, entries(true, null), 1 / 2, false],
    ['unanimous', TWO_TO_ONE, entries(null, null), 2 / 3, false],
    ['unanimous', THREE_WAY_ON_TOTAL, entries(true, null), 1 / 3, false],
    ['all', ONE, entries([true], [T]), 1, false],
    ['all', TWO_SPLIT_ON_TOTAL, entries([true, true], [T, U]), 1 / 2, true],
    ['all', TWO_TO_ONE, entries([false, true, true], [U, T, T]), 2 / 3, false],
    ['all', THREE_WAY_ON_TOTAL, entries([true, true, true], [T, U, V]), 1 / 3, true],
  ])('%s of %j → %j, agreement %d, tie %s', (strategy, checks, consolidated, agreement, tie) => {
    // Act
    const result = consolidate(strategy, answers(checks), FIELDS);

    // Assess
    expect(result).toEqual({ consolidated, agreement, tie });
  });

  test('only the fields are compared: answers that differ in their notes still agree on the fields', () => {
    // Prepare
    const checks = answers([[true, T], [true, T], [true, T]]);

    // Act
    const whole = consolidate('unanimous', checks);
    const byFields = consolidate('unanimous', checks, FIELDS);

    // Assess
    expect(whole).toEqual({ consolidated: null, agreement: 1 / 3, tie: false });
    expect(byFields).toEqual({ consolidated: entries(true, T), agreement: 1, tie: false });
  });

  test.each([[FIELDS], [[...FIELDS].reverse()]])('agreement is the lowest over the fields and tie whether any tied, in any field order (%j)', (fields) => {
    // Prepare: verdict.corrected is unanimous, total_amount split 1–1.
    const checks = answers(TWO_SPLIT_ON_TOTAL);

    // Act
    const result = consolidate('majority', checks, fields);

    // Assess
    expect([result.agreement, result.tie]).toEqual([1 / 2, true]);
  });

  test('the result keeps the order of `fields`, keyed by each expression as written', () => {
    // Act
    const result = consolidate('majority', answers(TWO_TO_ONE), ['total_amount', 'verdict.corrected', 'verdict']);

    // Assess
    expect(Object.keys(result.consolidated as object)).toEqual(['total_amount', 'verdict.corrected', 'verdict']);
    expect((result.consolidated as Record<string, unknown>).verdict).toEqual({ correct: false, corrected: true });
  });
});

describe('the documented shapes (test/fixtures/a2i-output)', () => {
  const invoiceCheck = outputJson('invoice-check-2-1').humanAnswers;

  test('TaskCount 3 with a 2–1 split: the two win, agreement 2/3, no tie', () => {
    // Act
    const result = consolidate('majority', invoiceCheck, ['verdict', 'total_amount']);

    // Assess
    expect(result).toEqual({
      consolidated: { verdict: { correct: false, corrected: true }, total_amount: '1840.50' },
      agreement: 2 / 3,
      tie: false,
    });
  });

  test('compared whole, the same answers are a three-way tie, because every note differs', () => {
    // Act
    const result = consolidate('majority', invoiceCheck);

    // Assess
    expect(result).toEqual({ consolidated: null, agreement: 1 / 3, tie: true });
  });

  test('`first` is the earliest submission, not the first element of humanAnswers', () => {
    // Act
    const result = consolidate('first', invoiceCheck);

    // Assess
    expect(result.consolidated).toEqual(invoiceCheck[1].answerContent);
    expect(result.agreement).toBe(1 / 3);
  });

  test('`all` lists the answers in submission order', () => {
    // Act
    const result = consolidate('all', invoiceCheck, ['total_amount']);

    // Assess
    expect(result).toEqual({ consolidated: { total_amount: ['1804.50', '1840.50', '1840.50'] }, agreement: 2 / 3, tie: false });
  });

  test('crowd-classifier, TaskCount 3, three different labels: null, agreement 1/3, tie', () => {
    // Prepare
    const { humanAnswers } = outputJson('fraud-classifier-three-way');

    // Act
    const whole = consolidate('majority', humanAnswers);
    const byLabel = consolidate('majority', humanAnswers, ['category.label']);

    // Assess
    expect(whole).toEqual({ consolidated: null, agreement: 1 / 3, tie: true });
    expect(byLabel).toEqual({ consolidated: { 'category.label': null }, agreement: 1 / 3, tie: true });
  });

  test('crowd-classifier, TaskCount 2 split 1–1: a tie', () => {
    // Act
    const result = consolidate('majority', outputJson('fraud-classifier-split').humanAnswers);

    // Assess
    expect(result).toEqual({ consolidated: null, agreement: 1 / 2, tie: true });
  });

  test.each(STRATEGIES)('TaskCount 1: %s gives that answer with agreement 1', (strategy) => {
    // Prepare
    const { humanAnswers } = outputJson('transcription-single');
    const transcript = { transcription: 'use lambda to turn your notebook' };

    // Act
    const result = consolidate(strategy, humanAnswers);

    // Assess
    expect(result).toEqual({ consolidated: strategy === 'all' ? [transcript] : transcript, agreement: 1, tie: false });
  });
});

describe('submission order', () => {
  test('answers without a submissionTime come after the timed ones, in their array order', () => {
    // Prepare
    const answers = [answer('x'), answer('y', at(5)), answer('z'), answer('w', at(2))];

    // Act
    const all = consolidate('all', answers);
    const first = consolidate('first', answers);

    // Assess
    expect(all.consolidated).toEqual(['w', 'y', 'x', 'z']);
    expect(first.consolidated).toBe('w');
  });

  test('when no answer has a time, array order decides', () => {
    // Act
    const result = consolidate('first', [answer('x'), answer('y')]);

    // Assess
    expect(result.consolidated).toBe('x');
  });

  test('a submissionTime that is not a date counts as missing', () => {
    // Act
    const result = consolidate('all', [answer('x', 'yesterday'), answer('y', at(9))]);

    // Assess
    expect(result.consolidated).toEqual(['y', 'x']);
  });

  test('times are compared as instants, not as strings (offsets)', () => {
    // Prepare: 10:00+01:00 is 09:00Z, earlier than 09:30Z although it sorts later as text.
    const answers = [answer('later', '2024-03-12T09:30:00.000Z'), answer('earlier', '2024-03-12T10:00:00.000+01:00')];

    // Act
    const result = consolidate('first', answers);

    // Assess
    expect(result.consolidated).toBe('earlier');
  });

  test('answers submitted at the same instant keep their array order', () => {
    // Act
    const result = consolidate('all', [answer('x', at(3)), answer('y', at(3)), answer('z', at(1))]);

    // Assess
    expect(result.consolidated).toEqual(['z', 'x', 'y']);
  });

  test('in a majority the winning value is the earliest-submitted of the equal answers', () => {
    // Prepare: equal answers with their keys in different orders; the later one is first in the array.
    const late = { verdict: { corrected: true, correct: false } };
    const early = { verdict: { correct: false, corrected: true } };

    // Act
    const result = consolidate('majority', [answer(late, at(8)), answer(early, at(4)), answer({ verdict: null }, at(6))]);

    // Assess
    expect(result.consolidated).toBe(early);
  });
});

describe('equality', () => {
  test('objects are equal whatever the order of their keys, at every depth', () => {
    // Prepare
    const answers = [
      answer({ verdict: { correct: false, corrected: true }, total_amount: T }, at(1)),
      answer({ total_amount: T, verdict: { corrected: true, correct: false } }, at(2)),
    ];

    // Act
    const result = consolidate('unanimous', answers);

    // Assess
    expect(result).toEqual({ consolidated: answers[0].answerContent, agreement: 1, tie: false });
  });

  test('in the fixture, the reordered verdict counts with its equal: 2–1, not a three-way tie', () => {
    // Act
    const result = consolidate('majority', outputJson('invoice-check-2-1').humanAnswers, ['verdict']);

    // Assess
    expect(result).toEqual({ consolidated: { verdict: { correct: false, corrected: true } }, agreement: 2 / 3, tie: false });
  });

  test('arrays are ordered: the same labels in another order are another answer', () => {
    // Prepare: a multi-select answer (crowd-checkbox values collected into a list by the template).
    const answers = [answer({ labels: ['fraud', 'chargeback'] }, at(1)), answer({ labels: ['chargeback', 'fraud'] }, at(2))];

    // Act
    const result = consolidate('majority', answers);

    // Assess
    expect(result).toEqual({ consolidated: null, agreement: 1 / 2, tie: true });
  });

  test('a string is not the number it spells', () => {
    // Act
    const result = consolidate('unanimous', [answer({ total_amount: '1840.5' }, at(1)), answer({ total_amount: 1840.5 }, at(2))]);

    // Assess
    expect(result).toEqual({ consolidated: null, agreement: 1 / 2, tie: false });
  });
});

describe('nothing is ignored', () => {
  test('an answer without answerContent counts as the answer null', () => {
    // Prepare
    const answers: HumanAnswer[] = [
      { submissionTime: at(1) } as HumanAnswer,
      { submissionTime: at(2) } as HumanAnswer,
      answer(classified('fraud'), at(3)),
    ];

    // Act
    const majority = consolidate('majority', answers);
    const all = consolidate('all', answers);

    // Assess: had the empty answers been skipped, `fraud` would have won with agreement 1.
    expect(majority).toEqual({ consolidated: null, agreement: 2 / 3, tie: false });
    expect(all.consolidated).toEqual([null, null, classified('fraud')]);
  });

  test('a field that yields nothing is the value null, which can win a majority', () => {
    // Prepare: only one reviewer filled the optional `corrected_amount` input.
    const answers = [
      answer({ verdict: { correct: true, corrected: false } }, at(1)),
      answer({ verdict: { correct: false, corrected: true }, corrected_amount: T }, at(2)),
      answer({ verdict: { correct: true, corrected: false } }, at(3)),
    ];

    // Act
    const majority = consolidate('majority', answers, ['corrected_amount']);
    const all = consolidate('all', answers, ['corrected_amount']);
    const first = consolidate('first', answers, ['corrected_amount']);

    // Assess
    expect(majority).toEqual({ consolidated: { corrected_amount: null }, agreement: 2 / 3, tie: false });
    expect(all.consolidated).toEqual({ corrected_amount: [null, T, null] });
    expect(first).toEqual({ consolidated: { corrected_amount: null }, agreement: 2 / 3, tie: false });
  });

  test('a field no answer has is unanimous: every reviewer left it out, so it does not lower agreement', () => {
    // Act
    const result = consolidate('unanimous', classifications(['fraud', 'fraud']), ['category.confidence', 'category.label']);

    // Assess
    expect(result).toEqual({ consolidated: { 'category.confidence': null, 'category.label': 'fraud' }, agreement: 1, tie: false });
  });

  test('a field on a missing answerContent yields null rather than failing', () => {
    // Act
    const result = consolidate('all', [{ submissionTime: at(1) } as HumanAnswer, answer(classified('fraud'), at(2))], ['category.label']);

    // Assess
    expect(result).toEqual({ consolidated: { 'category.label': [null, 'fraud'] }, agreement: 1 / 2, tie: true });
  });
});

describe('errors', () => {
  test.each(STRATEGIES)('%s of no answers throws ConsolidationError', (strategy) => {
    // Prepare
    const run = compileConsolidation({ strategy });

    // Act
    const act = () => run([]);

    // Assess
    expect(act).toThrow(ConsolidationError);
    expect(act).toThrow(expect.objectContaining({ name: 'ConsolidationError' }));
  });

  test('humanAnswers missing from output.json throws ConsolidationError', () => {
    // Act
    const act = () => compileConsolidation({ strategy: 'majority' })(undefined as unknown as HumanAnswer[]);

    // Assess
    expect(act).toThrow(ConsolidationError);
  });

  test('an element that is not an answer object throws ConsolidationError naming it by position and kind, not value', () => {
    // Act
    const act = (element: unknown) => () => consolidate('majority', [answer('x', at(1)), element as HumanAnswer]);

    // Assess
    expect(act(null)).toThrow(new ConsolidationError('human answer 2 is not an object: got null'));
    expect(act('SECRET-answer')).toThrow(new ConsolidationError('human answer 2 is not an object: got string'));
    expect(act(['SECRET-answer'])).toThrow(new ConsolidationError('human answer 2 is not an object: got an array'));
  });

  test('an unknown strategy is refused when compiling', () => {
    // Act
    const act = () => compileConsolidation({ strategy: 'average' as ConsolidationStrategy });

    // Assess
    expect(act).toThrow(ConsolidationError);
    expect(act).toThrow(/unknown consolidation strategy "average"/);
  });

  test('an empty fields list is refused when compiling', () => {
    // Act
    const act = () => compileConsolidation({ strategy: 'majority', fields: [] });

    // Assess
    expect(act).toThrow(ConsolidationError);
  });

  test('a field that is not JMESPath is refused when compiling, with the JMESPath error', () => {
    // Act
    const act = () => compileConsolidation({ strategy: 'majority', fields: ['verdict.'] });

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'JmesPathSyntaxError', expression: 'verdict.' }));
  });

  test('a field that fails on an answer throws ConsolidationError naming the field and the answer', () => {
    // Prepare: length() of a number is a JMESPath type error.
    const run = compileConsolidation({ strategy: 'majority', fields: ['length(total_amount)'] });

    // Act
    const act = () => run([answer({ total_amount: T }, at(1)), answer({ total_amount: 1840.5 }, at(2))]);

    // Assess
    expect(act).toThrow(ConsolidationError);
    expect(act).toThrow(/"length\(total_amount\)" failed on answer 2/);
  });
});

describe('compile once', () => {
  afterEach(() => jest.restoreAllMocks());

  test('field expressions are compiled when the configuration is, never per loop', () => {
    // Prepare
    const compile = jest.spyOn(jmespath, 'compileJmesPath');
    const run = compileConsolidation({ strategy: 'majority', fields: ['verdict', 'total_amount'] });
    const compiledUpFront = compile.mock.calls.map(([expression]) => expression);

    // Act
    for (let i = 0; i < 50; i++) run(outputJson('invoice-check-2-1').humanAnswers);

    // Assess
    expect(compiledUpFront).toEqual(['verdict', 'total_amount']);
    expect(compile).toHaveBeenCalledTimes(2);
  });
});

describe('reviewTimes', () => {
  it('leaves the duration out when a submission precedes the loop (skewed clocks), rather than going negative', () => {
    const times = reviewTimes([{ answerContent: {}, submissionTime: '2026-11-22T10:00:00.000Z' }], '2026-11-22T11:00:00.000Z');

    expect(times).toEqual({ startedAt: '2026-11-22T11:00:00.000Z', completedAt: '2026-11-22T10:00:00.000Z' });
  });

  test('from the earliest acceptance to the latest submission', () => {
    // Prepare
    const { humanAnswers } = outputJson('invoice-check-2-1');

    // Act
    const times = reviewTimes(humanAnswers);

    // Assess: 09:12:47.930 → 09:21:19.880.
    expect(times).toEqual({ startedAt: '2024-03-12T09:12:47.930Z', completedAt: '2024-03-12T09:21:19.880Z', secondsInReview: 511.95 });
  });

  test('the loop creation time, when given, is the start', () => {
    // Prepare
    const { humanAnswers } = outputJson('transcription-single');

    // Act
    const times = reviewTimes(humanAnswers, '2020-06-18T16:58:03.5Z');

    // Assess
    expect(times).toEqual({ startedAt: '2020-06-18T16:58:03.5Z', completedAt: '2020-06-18T17:08:26.246Z', secondsInReview: 622.746 });
  });

  test('seconds are rounded to milliseconds', () => {
    // Act: sub-millisecond digits in a time do not reach the result.
    const times = reviewTimes([{ answerContent: {}, acceptanceTime: '2020-12-28T18:59:15.1914Z', submissionTime: '2020-12-28T18:59:58.3216Z' }]);

    // Assess
    expect(times.secondsInReview).toBe(43.13);
  });

  test('earliest and latest are instants, not strings', () => {
    // Prepare
    const answers: HumanAnswer[] = [
      { answerContent: 1, acceptanceTime: '2024-03-12T09:30:00.000Z', submissionTime: '2024-03-12T09:45:00.000Z' },
      { answerContent: 2, acceptanceTime: '2024-03-12T10:10:00.000+01:00', submissionTime: '2024-03-12T10:50:00.000+01:00' },
    ];

    // Act
    const times = reviewTimes(answers);

    // Assess: 10:10+01:00 is 09:10Z (earliest start); 09:45Z is 10:45+01:00, before 10:50+01:00.
    expect(times).toEqual({ startedAt: '2024-03-12T10:10:00.000+01:00', completedAt: '2024-03-12T10:50:00.000+01:00', secondsInReview: 2400 });
  });

  test('without any acceptance time or creation time there is no start and no duration', () => {
    // Act
    const times = reviewTimes([answer('x', at(4))]);

    // Assess: absent ends are left out, not present as undefined.
    expect(times).toStrictEqual({ completedAt: at(4) });
    expect(Object.keys(times)).toEqual(['completedAt']);
  });

  test('without any submission time there is no end and no duration', () => {
    // Act
    const times = reviewTimes([{ answerContent: 'x', acceptanceTime: at(1) }], at(0));

    // Assess
    expect(Object.keys(times)).toEqual(['startedAt']);
    expect(times).toStrictEqual({ startedAt: at(0) });
  });

  test('times that do not parse are left out', () => {
    // Act
    const times = reviewTimes([{ answerContent: 'x', acceptanceTime: 'soon', submissionTime: at(7) }, { answerContent: 'y', acceptanceTime: at(2), submissionTime: 'later' }], 'never');

    // Assess
    expect(times).toEqual({ startedAt: at(2), completedAt: at(7), secondsInReview: 300 });
  });
});

describe('properties', () => {
  /** Rebuilds objects with their keys reversed at every depth: equal by value, different as written. */
  const reversedKeys = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(reversedKeys);
    return Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reversedKeys(inner)]));
  };

  // Small domains, so that reviewers often agree, and sometimes tie.
  const contentArbitrary: fc.Arbitrary<unknown> = fc
    .tuple(
      fc.record(
        {
          verdict: fc.constantFrom({ correct: true, corrected: false }, { correct: false, corrected: true }),
          total_amount: fc.constantFrom(T, U),
          category: fc.constantFrom(classified('fraud').category, classified('legitimate').category),
        },
        { requiredKeys: ['verdict'] },
      ),
      fc.boolean(),
    )
    .map(([content, reverse]) => (reverse ? reversedKeys(content) : content));

  const answerArbitrary: fc.Arbitrary<HumanAnswer> = fc
    .record({
      content: fc.option(contentArbitrary, { nil: undefined, freq: 8 }),
      minute: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined, freq: 4 }),
    })
    .map(({ content, minute }) => {
      const result = { submissionTime: minute === undefined ? undefined : at(minute) } as HumanAnswer;
      if (content !== undefined) result.answerContent = content;
      return result;
    });

  const answersArbitrary = fc.array(answerArbitrary, { minLength: 1, maxLength: 3 });
  const permutedArbitrary = answersArbitrary.chain((answers) =>
    fc.tuple(fc.constant(answers), fc.shuffledSubarray(answers, { minLength: answers.length, maxLength: answers.length })),
  );
  const fieldsArbitrary = fc.constantFrom<string[] | undefined>(undefined, ['verdict'], ['total_amount', 'category.label'], ['corrected_amount']);
  const strategyArbitrary = fc.constantFrom(...STRATEGIES);

  test('permuting the answers changes no majority or unanimous result, nor the agreement and tie of all', () => {
    fc.assert(
      fc.property(permutedArbitrary, fieldsArbitrary, ([answers, permuted], fields) => {
        for (const strategy of ['majority', 'unanimous'] as const) {
          expect(consolidate(strategy, permuted, fields)).toEqual(consolidate(strategy, answers, fields));
        }
        const all = consolidate('all', answers, fields);
        const permutedAll = consolidate('all', permuted, fields);
        expect([permutedAll.agreement, permutedAll.tie]).toEqual([all.agreement, all.tie]);
      }),
    );
  });

  test('with distinct submission times, array order changes no result of any strategy', () => {
    const timedArbitrary = fc
      .uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 3 })
      .chain((minutes) => fc.tuple(...minutes.map((minute) => contentArbitrary.map((content) => answer(content, at(minute))))))
      .chain((answers) => fc.tuple(fc.constant(answers), fc.shuffledSubarray(answers, { minLength: answers.length, maxLength: answers.length })));
    fc.assert(
      fc.property(timedArbitrary, fieldsArbitrary, strategyArbitrary, ([answers, permuted], fields, strategy) => {
        expect(consolidate(strategy, permuted, fields)).toEqual(consolidate(strategy, answers, fields));
      }),
    );
  });

  test('agreement is always within [1/n, 1]', () => {
    fc.assert(
      fc.property(answersArbitrary, fieldsArbitrary, strategyArbitrary, (answers, fields, strategy) => {
        const { agreement } = consolidate(strategy, answers, fields);
        expect(agreement).toBeGreaterThanOrEqual(1 / answers.length);
        expect(agreement).toBeLessThanOrEqual(1);
      }),
    );
  });

  test('when unanimous finds unanimity, majority gives the same value with agreement 1', () => {
    fc.assert(
      fc.property(answersArbitrary, fieldsArbitrary, (answers, fields) => {
        const unanimous = consolidate('unanimous', answers, fields);
        const majority = consolidate('majority', answers, fields);
        if (unanimous.agreement === 1) expect(majority).toEqual(unanimous);
        if (fields) {
          // Field by field: a field the reviewers all gave the same non-null value has that value in both.
          for (const [field, value] of Object.entries(unanimous.consolidated as Record<string, unknown>)) {
            if (value !== null) expect((majority.consolidated as Record<string, unknown>)[field]).toEqual(value);
          }
        }
      }),
    );
  });

  test('a single answer always wins, with agreement 1 and no tie', () => {
    fc.assert(
      fc.property(answerArbitrary, fieldsArbitrary, strategyArbitrary, (single, fields, strategy) => {
        const result = consolidate(strategy, [single], fields);
        const content = single.answerContent ?? null;
        const given = fields
          ? Object.fromEntries(fields.map((field) => [field, jmespath.compileJmesPath(field)(content) ?? null]))
          : content;
        const expected = strategy !== 'all' ? given : fields ? Object.fromEntries(Object.entries(given as object).map(([k, v]) => [k, [v]])) : [given];
        expect(result).toEqual({ consolidated: expected, agreement: 1, tie: false });
      }),
    );
  });

  test('majority on whole answers agrees with counting canonical JSON', () => {
    fc.assert(
      fc.property(answersArbitrary, (answers) => {
        const counts = new Map<string, number>();
        for (const { answerContent } of answers) {
          const key = canonicalJson(answerContent ?? null);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
        const tie = sorted.length > 1 && sorted[0][1] === sorted[1][1];

        const result = consolidate('majority', answers);

        expect(result.tie).toBe(tie);
        expect(result.agreement).toBe(sorted[0][1] / answers.length);
        expect(result.consolidated === null ? 'null' : canonicalJson(result.consolidated)).toBe(tie ? 'null' : sorted[0][0]);
      }),
    );
  });
});
