import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileConditions, type ConditionIssue, DOCUMENT_LIMITS, EVALUATION_STEPS, PARAMETER_LIMITS } from '../../lib/conditions';
import { compileJmesPath, EvaluationBudgetExceeded, withBudget } from '../../lib/jmespath';
import { issuesOf, leaf } from './helpers';

/**
 * Conditions can never freeze a consumer: regular expressions match in linear time (RE2) or are refused at
 * load, JMESPath runs on a per-record step budget (past it, the leaf cannot be evaluated: ConditionError at
 * its location), expressions whose cost cannot be bounded are refused at load, and parameters have maxima.
 */

const ROOT = join(__dirname, '..', '..');
/** Far beyond what the bounded evaluations take: only an evaluation that does not end reaches it. */
const HANG_DEADLINE_MS = 120_000;

interface Outcome {
  activated: boolean;
  errors: ConditionIssue[];
  decisionActivated: boolean;
}

/** Evaluates each case in a child process; an evaluation that never ends fails here instead of freezing jest. */
function evaluateApart(cases: { document: unknown; record: unknown }[]): Outcome[] {
  const child = spawnSync(process.execPath, [join(ROOT, 'bin', 'run-ts.js'), join(__dirname, 'support', 'hostile-evaluation.ts')], {
    cwd: ROOT,
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: HANG_DEADLINE_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the evaluation did not finish (status ${child.status}, signal ${child.signal}): ${String(child.error ?? child.stderr).slice(0, 2000)}`);
  return JSON.parse(child.stdout) as Outcome[];
}

/** `{"Conditions": [{"Or": [<a sample that never draws>, condition]}]}`: the condition under test is at Conditions[0].Or[1]. */
function atOr1(type: string, parameters: Record<string, unknown>): Record<string, unknown> {
  return { Conditions: [{ Or: [leaf('Sampling', { RandomSamplingPercentage: 0.01 }), leaf(type, parameters)] }] };
}

const list = (length: number): number[] => Array.from({ length }, (_, index) => index);
const messages = (issues: ConditionIssue[]): string => issues.map((issue) => `${issue.location}: ${issue.message}`).join('\n');

describe('regular expressions (Matches) match in linear time, RE2 syntax', () => {
  test('a catastrophic pattern on a 45-character value answers (no match), as RE2 semantics say', () => {
    // Act
    const [catastrophic, matching] = evaluateApart([
      { document: atOr1('FieldValueCheck', { Path: 'value', Matches: '^(a+)+$' }), record: { value: `${'a'.repeat(45)}!` } },
      { document: atOr1('FieldValueCheck', { Path: 'value', Matches: '^(a+)+$' }), record: { value: 'a'.repeat(45) } },
    ]);

    // Assess
    expect(catastrophic).toEqual({ activated: false, errors: [], decisionActivated: false });
    expect(matching).toEqual({ activated: true, errors: [], decisionActivated: true });
  });

  test.each([
    ['a backreference', '(a)\\1', 'backreferences are not supported'],
    ['a named backreference', '(?<x>a)\\k<x>', 'backreferences are not supported'],
    ['a lookahead', 'iban(?=DE)', 'lookahead and lookbehind are not supported'],
    ['a negative lookahead', 'iban(?!DE)', 'lookahead and lookbehind are not supported'],
    ['a lookbehind', '(?<=DE)\\d+', 'lookahead and lookbehind are not supported'],
    ['a JavaScript \\u escape', '\\u00e9', 'write a code point as \\x{263A}'],
  ])('%s is refused at load, at its location, saying why', (_name, pattern, why) => {
    // Act
    const issues = issuesOf(atOr1('FieldValueCheck', { Path: 'value', Matches: pattern }));

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0].location).toBe('Conditions[0].Or[1]');
    expect(issues[0].message).toContain('ConditionParameters.Matches invalid regular expression');
    expect(issues[0].message).toContain(why);
  });

  test('RE2 syntax is what is matched: \\x{…}, (?i), \\p{L}, code points for "."', () => {
    const matches = (pattern: string, value: string): boolean =>
      compileConditions(atOr1('FieldValueCheck', { Path: 'value', Matches: pattern })).evaluate({ value }, () => 'x').activated;
    expect(matches('^caf\\x{E9}$', 'café')).toBe(true);
    expect(matches('(?i)^IBAN', 'iban DE')).toBe(true);
    expect(matches('^\\p{L}+$', 'Größe')).toBe(true);
    expect(matches('^.$', '😀')).toBe(true);
    expect(matches('^DE\\d{20}$', 'DE123')).toBe(false);
  });
});

describe('JMESPath runs on a per-record step budget', () => {
  test('a quadratic expression on a large record stops: the leaf cannot be evaluated, at its location; the record is not activated', () => {
    // Prepare: 20,000 × 20,000 elements, 400 million without a budget.
    const record = { a: list(20_000) };
    const cases = [
      { document: atOr1('FieldValueCheck', { Path: 'a[*].[$.a[*]]', Equals: -1 }), record },
      { document: atOr1('Expression', { Expression: 'a[?contains($.a, `-1`)]' }), record },
      { document: atOr1('MissingField', { Path: 'a[*].[$.a[*]][]' }), record },
      // The library's interpreter (functions, let): charged per node and per element its functions read or build.
      { document: atOr1('Expression', { Expression: 'length(to_string(a[*].[$, $]))' }), record },
      { document: atOr1('Expression', { Expression: 'sort_by(a, &to_string($))' }), record },
      { document: atOr1('Expression', { Expression: 'let $x = a in $x[*].[$x[*]]' }), record },
      { document: atOr1('Expression', { Expression: "length(pad_left('x', `1000000000`))" }), record },
      { document: atOr1('Expression', { Expression: "length(replace(s, '', s))" }), record: { s: 'x'.repeat(100_000) } },
    ];

    // Act
    const outcomes = evaluateApart(cases);

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.activated).toBe(false);
      expect(outcome.decisionActivated).toBe(false);
      expect(outcome.errors).toEqual([{ location: 'Conditions[0].Or[1]', message: expect.stringContaining(`evaluation stopped after ${EVALUATION_STEPS} steps`) }]);
    }
  });

  test('the budget is per record: the next record evaluates in full, and a real record is far from it', () => {
    // Prepare
    const conditions = compileConditions(atOr1('FieldValueCheck', { Path: 'a[*].[$.a[*]]', Equals: -1 }));

    // Act
    const large = conditions.summarize({ a: list(5_000) }, () => 'x');
    const small = conditions.summarize({ a: list(500) }, () => 'x');

    // Assess
    expect(large.errors).toHaveLength(1);
    expect(small).toEqual({ activated: false, json: expect.any(String) });
  });

  test('trim, trim_left and trim_right are linear, with the library\'s answers', () => {
    // Prepare: the library's trim_right is a regular expression, quadratic on this value.
    const value = `${'a'.repeat(300_000)}b${'a'.repeat(3)}`;
    const [right, left, both] = ["trim_right(s, 'a')", "trim_left(s, 'a')", 'trim(t)'].map((expression) => compileJmesPath(`length(${expression})`));

    // Act + Assess
    expect(withBudget(EVALUATION_STEPS, () => right({ s: value }))).toBe(300_001);
    expect(withBudget(EVALUATION_STEPS, () => left({ s: value }))).toBe(4);
    expect(withBudget(EVALUATION_STEPS, () => both({ t: ` \u0085\n x y \t` }))).toBe(3);
  });

  test('outside withBudget, evaluation is not metered; inside, it throws EvaluationBudgetExceeded', () => {
    const square = compileJmesPath('length(a[*].[$.a[*]][][])');
    const record = { a: list(300) };
    expect(square(record)).toBe(90_000);
    expect(() => withBudget(10_000, () => square(record))).toThrow(EvaluationBudgetExceeded);
    expect(square(record)).toBe(90_000);
  });
});

describe('validation refuses expressions whose cost cannot be bounded', () => {
  test.each([
    ['[@,@] composed 40 times', Array(40).fill('[@,@]').join('.'), 'times the size of its input'],
    ['[@,@] piped 40 times', Array(40).fill('[@,@]').join(' | '), 'times the size of its input'],
    ['{a: @, b: @} nested 12 deep', Array(12).fill('{a: @, b: @}').join('.'), 'times the size of its input'],
    ['projections over $ nested in projections', 'a[*].[$.a[*].[$.a[*].[$.a[*]]]]', 'projections over $ (or a variable) nested 3 deep'],
    ['map over $ inside map over $', 'map(&map(&$.a[*], $.a), a)', 'nested 2 deep'],
  ])('%s', (_name, expression, why) => {
    // Act
    const issues = issuesOf(atOr1('FieldValueCheck', { Path: expression, Exists: true }));

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0].location).toBe('Conditions[0].Or[1]');
    expect(issues[0].message).toContain('ConditionParameters.Path invalid JMESPath');
    expect(issues[0].message).toContain(why);
  });

  test.each(['fields[*].confidence', "fields[?name=='iban'].value | [0]", 'a[*].b[*].c[*].d', 'items[?id == $.selected]', 'a[*].[$.b[*]]', '{x: [a, b], y: [c, d]}', 'sort_by(a, &b)[*].c'])(
    'an expression whose cost is linear (or at most quadratic) is accepted: %s',
    (expression) => {
      expect(() => compileConditions(atOr1('FieldValueCheck', { Path: expression, Exists: true }))).not.toThrow();
    },
  );
});

describe('parameters and documents have maxima', () => {
  const at = (document: unknown): string => messages(issuesOf(document));

  test('In and NotIn: at most 1,000 values, each at most 1,024 characters of JSON', () => {
    const values = (count: number): string[] => list(count).map((index) => `v${index}`);
    expect(at(atOr1('FieldValueCheck', { Path: 'label', In: values(20_000) }))).toContain(
      `Conditions[0].Or[1]: FieldValueCheck: ConditionParameters.In has 20000 values (at most ${PARAMETER_LIMITS.values})`,
    );
    expect(at(atOr1('FieldValueCheck', { Path: 'label', NotIn: [{ text: 'x'.repeat(2000) }] }))).toContain('ConditionParameters.NotIn [0] is 2011 characters of JSON (at most 1024)');
    expect(at(atOr1('FieldValueCheck', { Path: 'label', Equals: 'x'.repeat(2000) }))).toContain('ConditionParameters.Equals is 2002 characters of JSON');
    expect(() => compileConditions(atOr1('FieldValueCheck', { Path: 'label', In: values(PARAMETER_LIMITS.values) }))).not.toThrow();
  });

  test('strings: at most 1,024 characters; ImportantFormKeyAliases: at most 100', () => {
    const long = 'x'.repeat(PARAMETER_LIMITS.string + 1);
    expect(at(atOr1('FieldValueCheck', { Path: long, Exists: true }))).toContain(`ConditionParameters.Path is ${long.length} characters long (at most 1024)`);
    expect(at(atOr1('FieldValueCheck', { Path: 'a', Matches: long }))).toContain('ConditionParameters.Matches is 1025 characters long');
    expect(at(atOr1('ModerationLabelConfidenceCheck', { ModerationLabelName: long, ConfidenceGreaterThan: 50 }))).toContain('ConditionParameters.ModerationLabelName is 1025');
    const aliases = list(101).map((index) => `Key ${index}:`);
    expect(at(atOr1('MissingImportantFormKey', { ImportantFormKey: 'Name:', ImportantFormKeyAliases: aliases }))).toContain(
      'ConditionParameters.ImportantFormKeyAliases has 101 entries (at most 100)',
    );
  });

  test('documents: at most 100 operands per list, combinators 32 deep, 64 KiB of JSON', () => {
    const operands = list(101).map(() => leaf('MissingField', { Path: 'a' }));
    expect(at({ Conditions: operands })).toBe(`Conditions: has 101 conditions (at most ${DOCUMENT_LIMITS.operands})`);
    expect(at({ Conditions: [{ And: operands }] })).toBe('Conditions[0].And: has 101 operands (at most 100)');
    let deep: Record<string, unknown> = leaf('MissingField', { Path: 'a' });
    for (let depth = 0; depth <= DOCUMENT_LIMITS.depth; depth++) deep = { Not: deep };
    expect(at({ Conditions: [deep] })).toMatch(/^Conditions\[0\](\.Not){32}: nests combinators 33 deep \(at most 32\)$/);
    const wide = list(80).map((index) => leaf('FieldValueCheck', { Path: `f${index}`, In: list(100).map((value) => `value-${value}`) }));
    expect(at({ Conditions: [{ Or: wide }] })).toMatch(/^\(document\): is \d+ characters as JSON \(at most 65536\)/);
  });
});
