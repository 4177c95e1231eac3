import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoReviewConfigError, loadAutoReview, parseAutoReview } from '../../lib/local/auto-review';

/** InputContent as the review loops see it. */
function input(record: Record<string, unknown>, decision: Record<string, unknown> = { activated: ['FieldConfidenceCheck'] }) {
  return { reviewId: 'rev-1', workflow: 'invoices', recordId: 'inv-7', record, decision, source: { bucket: 'in', key: 'a.json' } };
}

function problemsOf(document: unknown): string[] {
  try {
    parseAutoReview(document, 'rules.json');
  } catch (error) {
    expect(error).toBeInstanceOf(AutoReviewConfigError);
    return (error as AutoReviewConfigError).problems;
  }
  throw new Error('expected an AutoReviewConfigError');
}

describe('decide', () => {
  const reviewer = parseAutoReview({
    rules: [
      { when: 'record.total > `1000`', status: 'Stopped' },
      { when: "record.vendor == 'ACME'", answers: [{ approved: true }] },
      { when: 'record.total > `100`', answers: [{ approved: false }] },
    ],
    default: { answers: [{ approved: 'maybe' }] },
  });

  it('takes the first matching rule, in file order', () => {
    // Prepare: matches both the ACME rule and the total > 100 rule
    const content = input({ vendor: 'ACME', total: 500 });
    // Act
    const action = reviewer.decide(content);
    // Assess
    expect(action).toEqual({ kind: 'answer', answers: [{ approved: true }] });
  });

  it('lets an earlier status rule win over a later answers rule', () => {
    expect(reviewer.decide(input({ vendor: 'ACME', total: 5000 }))).toEqual({ kind: 'status', status: 'Stopped' });
  });

  it('falls through to a later rule when earlier ones do not match', () => {
    expect(reviewer.decide(input({ vendor: 'Other', total: 500 }))).toEqual({ kind: 'answer', answers: [{ approved: false }] });
  });

  it('uses the default when no rule matches', () => {
    expect(reviewer.decide(input({ vendor: 'Other', total: 5 }))).toEqual({ kind: 'answer', answers: [{ approved: 'maybe' }] });
  });

  it('accepts a status default', () => {
    const expiring = parseAutoReview({ default: { status: 'Expired' } });
    expect(expiring.decide(input({}))).toEqual({ kind: 'status', status: 'Expired' });
  });

  it.each(['Stopped', 'Expired', 'Failed'])('accepts the status %s in a rule', (status) => {
    const statusReviewer = parseAutoReview({ rules: [{ when: 'recordId', status }] });
    expect(statusReviewer.decide(input({}))).toEqual({ kind: 'status', status });
  });

  it('leaves the loop open (none) when nothing matches and there is no default', () => {
    const onlyRules = parseAutoReview({ rules: [{ when: "workflow == 'payroll'", status: 'Failed' }] });
    expect(onlyRules.decide(input({}))).toEqual({ kind: 'none' });
  });

  it('can see the decision and the workflow, not just the record', () => {
    const byDecision = parseAutoReview({
      rules: [{ when: "contains(decision.activated, 'FieldConfidenceCheck') && workflow == 'invoices'", status: 'Failed' }],
    });
    expect(byDecision.decide(input({}))).toEqual({ kind: 'status', status: 'Failed' });
    expect(byDecision.decide(input({}, { activated: ['Other'] }))).toEqual({ kind: 'none' });
  });

  it('treats a when that throws on this input as not matching, and moves on', () => {
    // Prepare: abs() of a string is a JMESPath type error at evaluation time
    const typed = parseAutoReview({
      rules: [
        { when: 'abs(record.total) > `10`', status: 'Stopped' },
        { when: 'record', answers: [{ fallback: true }] },
      ],
    });
    // Act
    const onString = typed.decide(input({ total: 'lots' }));
    const onNumber = typed.decide(input({ total: -50 }));
    // Assess
    expect(onString).toEqual({ kind: 'answer', answers: [{ fallback: true }] });
    expect(onNumber).toEqual({ kind: 'status', status: 'Stopped' });
  });

  it('does not crash on InputContent that is not an object', () => {
    const any = parseAutoReview({ rules: [{ when: 'record.total', status: 'Failed' }] });
    expect(any.decide(null)).toEqual({ kind: 'none' });
    expect(any.decide('text')).toEqual({ kind: 'none' });
  });
});

describe('JMESPath truthiness of when', () => {
  const reviewer = parseAutoReview({ rules: [{ when: 'record.value', status: 'Stopped' }] });
  const matched = (value: unknown) => reviewer.decide(input({ value })).kind === 'status';

  it.each([
    ['false', false],
    ['null', null],
    ['an empty string', ''],
    ['an empty array', []],
    ['an empty object', {}],
  ])('%s is false', (_, value) => {
    expect(matched(value)).toBe(false);
  });

  it.each([
    ['true', true],
    ['zero', 0],
    ['a non-empty string', 'no'],
    ['the string "false"', 'false'],
    ['an array of false', [false]],
    ['a non-empty object', { a: null }],
  ])('%s is true', (_, value) => {
    expect(matched(value)).toBe(true);
  });

  it('a missing field is null, so false', () => {
    expect(reviewer.decide(input({}))).toEqual({ kind: 'none' });
  });
});

describe('answersFor', () => {
  const reviewer = parseAutoReview({ default: { answers: [{ worker: 1 }, { worker: 2 }] } });
  const action = reviewer.decide(input({}));

  it('gives the answers in order when there is one per worker', () => {
    expect(reviewer.answersFor(action, 2)).toEqual([{ worker: 1 }, { worker: 2 }]);
  });

  it('repeats the last answer when there are fewer answers than workers', () => {
    expect(reviewer.answersFor(action, 4)).toEqual([{ worker: 1 }, { worker: 2 }, { worker: 2 }, { worker: 2 }]);
  });

  it('drops answers beyond the task count', () => {
    expect(reviewer.answersFor(action, 1)).toEqual([{ worker: 1 }]);
  });

  it('returns copies, so changing one worker answer does not change the rule or the others', () => {
    // Act
    const answers = reviewer.answersFor(action, 3);
    answers[1].worker = 99;
    // Assess
    expect(answers[2]).toEqual({ worker: 2 });
    expect(reviewer.answersFor(action, 2)).toEqual([{ worker: 1 }, { worker: 2 }]);
  });

  it('gives no answers for status and none actions', () => {
    expect(reviewer.answersFor({ kind: 'status', status: 'Stopped' }, 3)).toEqual([]);
    expect(reviewer.answersFor({ kind: 'none' }, 3)).toEqual([]);
  });
});

describe('validation', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'rules'],
  ])('rejects a document that is %s', (_, document) => {
    expect(problemsOf(document)).toEqual(['must be a JSON object with "rules" and/or "default"']);
  });

  it('requires rules or default', () => {
    expect(problemsOf({})).toEqual(['must have "rules", "default" or both']);
  });

  it('rejects unknown top-level, rule and default keys', () => {
    const problems = problemsOf({
      rules: [{ when: 'record', status: 'Stopped', comment: 'x' }],
      default: { status: 'Failed', why: 1 },
      defaults: {},
    });
    expect(problems).toEqual([
      'defaults: unknown key (expected rules, default)',
      'rules[0].comment: unknown key (expected when, answers, status)',
      'default.why: unknown key (expected answers, status)',
    ]);
  });

  it('requires rules to be an array of objects', () => {
    expect(problemsOf({ rules: { when: 'a' } })).toEqual(['rules: must be an array']);
    expect(problemsOf({ rules: ['a'] })).toEqual(['rules[0]: must be an object']);
  });

  it('requires default to be an object', () => {
    expect(problemsOf({ default: [] })).toEqual(['default: must be an object']);
  });

  it('requires when, as a string, in valid JMESPath', () => {
    const problems = problemsOf({
      rules: [
        { status: 'Stopped' },
        { when: true, status: 'Stopped' },
        { when: 'record.[', status: 'Stopped' },
        { when: "label == 'x", status: 'Stopped' },
        { when: '  ', status: 'Stopped' },
      ],
    });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe('rules[0].when: is missing');
    expect(problems[1]).toBe('rules[1].when: must be a string');
    expect(problems[2]).toMatch(/^rules\[2\]\.when: invalid JMESPath "record\.\[": /);
    expect(problems[3]).toMatch(/^rules\[3\]\.when: invalid JMESPath .*unterminated raw string/);
    expect(problems[4]).toMatch(/^rules\[4\]\.when: invalid JMESPath .*empty/);
  });

  it('requires exactly one of answers and status', () => {
    expect(problemsOf({ rules: [{ when: 'a', answers: [{}], status: 'Stopped' }] })).toEqual([
      'rules[0]: must have exactly one of "answers" or "status", not both',
    ]);
    expect(problemsOf({ rules: [{ when: 'a' }] })).toEqual(['rules[0]: must have exactly one of "answers" or "status"']);
    expect(problemsOf({ default: {} })).toEqual(['default: must have exactly one of "answers" or "status"']);
  });

  it.each([
    ['null', null],
    ['a single object', { approved: true }],
    ['empty', []],
  ])('rejects answers that are %s', (_, answers) => {
    expect(problemsOf({ rules: [{ when: 'a', answers }] })).toEqual([
      'rules[0].answers: must be a non-empty array of answerContent objects',
    ]);
  });

  it('names every answer that is not a JSON object', () => {
    expect(problemsOf({ default: { answers: [{ ok: true }, 'yes', null, [1]] } })).toEqual([
      'default.answers[1]: must be a JSON object (an answerContent)',
      'default.answers[2]: must be a JSON object (an answerContent)',
      'default.answers[3]: must be a JSON object (an answerContent)',
    ]);
  });

  it.each(['Completed', 'stopped', 3])('rejects the status %p', (status) => {
    expect(problemsOf({ rules: [{ when: 'a', status }] })).toEqual([
      `rules[0].status: must be one of Stopped, Expired, Failed, got ${JSON.stringify(status)}`,
    ]);
  });

  it('reports every problem at once, with the source in the message', () => {
    // Act
    let thrown: unknown;
    try {
      parseAutoReview({ rules: [{ when: 1, status: 'Done' }], default: { answers: 'x' } }, 'my-rules.json');
    } catch (error) {
      thrown = error;
    }
    // Assess
    expect(thrown).toBeInstanceOf(AutoReviewConfigError);
    const error = thrown as AutoReviewConfigError;
    expect(error.name).toBe('AutoReviewConfigError');
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(
      /^invalid auto-review rules in my-rules\.json: rules\[0\]\.when: must be a string; rules\[0\]\.status: .*; default\.answers: /,
    );
  });

  it('defaults the source name to auto-review', () => {
    expect(() => parseAutoReview(null)).toThrow(/^invalid auto-review rules in auto-review: /);
  });
});

describe('loadAutoReview', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auto-review-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads rules from a JSON file', () => {
    // Prepare
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ rules: [{ when: 'record.flag', answers: [{ ok: 1 }] }] }));
    // Act
    const reviewer = loadAutoReview(file);
    // Assess
    expect(reviewer.decide(input({ flag: true }))).toEqual({ kind: 'answer', answers: [{ ok: 1 }] });
  });

  it('turns a JSON syntax error into a config error naming the file', () => {
    // Prepare
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"rules": [');
    // Act
    const act = () => loadAutoReview(file);
    // Assess
    expect(act).toThrow(AutoReviewConfigError);
    expect(act).toThrow(`invalid auto-review rules in ${file}: not valid JSON: `);
  });

  it('names the file in validation problems too', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ rules: [{ when: 'a', status: 'Done' }] }));
    expect(() => loadAutoReview(file)).toThrow(`invalid auto-review rules in ${file}: rules[0].status:`);
  });

  it('turns a missing file into a config error naming it', () => {
    const file = join(dir, 'missing.json');
    expect(() => loadAutoReview(file)).toThrow(`invalid auto-review rules in ${file}: cannot read the file: `);
  });
});
