import { compileConditions, type CompiledConditions, type ConditionResult } from '../../lib/conditions';
import { samplingIdentity } from '../../lib/record-identity';
import { awsResponse, camelCaseEcho, conditionFixture, identities, issuesOf, withinFiveSigma } from './helpers';

/**
 * Every example of "Use Human Loop Activation Conditions JSON Schema with Amazon Textract"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-json-humantaskactivationconditions-textract-example.html,
 * awsdocs/amazon-sagemaker-developer-guide doc_source/a2i-json-humantaskactivationconditions-textract-example.md),
 * in test/fixtures/conditions/a2i-textract-example-N.json, evaluated on AnalyzeDocument (FORMS) responses for a
 * pay stub (test/fixtures/aws-responses/textract-paystub-*.json) on which it is true and ones on which it is false.
 *
 * The page's JSON is copied as printed, except where it is not JSON or not a whole document:
 * - Example 2: a comma is missing after `"ImportantFormKey": "*"`; added.
 * - Example 4: printed as a bare condition, without `{"Conditions": [...]}`; wrapped (the bare form is kept as
 *   a2i-textract-example-4-as-printed.json, see below).
 * - Example 6: a comma is missing after `"KeyValueBlockConfidenceLessThan": 90`; added.
 * - Example 7: the closing brackets are out of order (`} } ] ] }` closes the Or's object before its array); put in order.
 *
 * The pay stubs (keys "Employee Name", "Mailing Address", "Pay Date", "Gross Pay", "Net Pay"):
 *   clear                      every pair read with key-value confidence ≥ 90 and words ≥ 98.9
 *   faded-pay-date             Pay Date: key-value 41.7, words 57.3, 52.9, 55.8
 *   smudged-pay-date           Pay Date: key-value 62.4, words 83.1, 78.6, 71.3
 *   pay-date-sharp-value       Pay Date: key-value 58.2, key words 74.5, 69.8, value word 96.3
 *   pay-date-uncertain-pairing Pay Date: key-value 84.6, words 99.2, 98.7, 97.9
 *   faded-net-pay              Net Pay:  key-value 47.9, words 88.2, 71.4, 64.0 (Pay Date clear)
 *   no-mailing-address         the address is printed without a label, so no "Mailing Address" key
 *   alias-keys                 another template: "EmployeeName" (clear), "Mailing Address:" (clear),
 *                              "DateOfPay" key-value 55.1, words 79.4, 81.7; "GrossAmount" key-value 52.8, words 80.6, 77.3
 */

type Paystub =
  | 'clear'
  | 'faded-pay-date'
  | 'smudged-pay-date'
  | 'pay-date-sharp-value'
  | 'pay-date-uncertain-pairing'
  | 'faded-net-pay'
  | 'no-mailing-address'
  | 'alias-keys';

const example = (n: number): CompiledConditions => compileConditions(conditionFixture(`a2i-textract-example-${n}`));
const paystub = (name: Paystub): Record<string, unknown> => awsResponse(`textract-paystub-${name}`);

/** Enough documents for a rate within ±35% of 5% at five sigma; "every" and "none" need fewer. */
const DOCUMENTS = identities(4_000, 'paystub');
const SOME_DOCUMENTS = DOCUMENTS.slice(0, 1_000);
/** The identity the workflow would give document `id` (its record id within the workflow). */
const identityOf = (id: string) => () => samplingIdentity(undefined, 'paystubs', id);

/** How many of `ids` activate on the pay stub, and for how many a Sampling condition was true. */
function tally(compiled: CompiledConditions, name: Paystub, ids: string[] = DOCUMENTS): { activated: number; sampled: number } {
  const record = paystub(name);
  let activated = 0;
  let sampled = 0;
  for (const id of ids) {
    const decision = compiled.evaluate(record, identityOf(id));
    if (decision.activated) activated++;
    if (samplingWasTrue(decision.humanTaskActivationConditionResults.Conditions)) sampled++;
  }
  return { activated, sampled };
}

function samplingWasTrue(nodes: unknown): boolean {
  if (Array.isArray(nodes)) return nodes.some(samplingWasTrue);
  if (nodes === null || typeof nodes !== 'object') return false;
  const node = nodes as Record<string, unknown>;
  if (node.ConditionType === 'Sampling') return node.EvaluationResult === true;
  return [node.And, node.Or, node.Not].some(samplingWasTrue);
}

const activatedCount = (compiled: CompiledConditions, name: Paystub): number => tally(compiled, name).activated;

/** Asserts that no document activates although the Sampling condition selected some of them. */
function expectNone(compiled: CompiledConditions, name: Paystub): void {
  const { activated, sampled } = tally(compiled, name, SOME_DOCUMENTS);
  expect(sampled).toBeGreaterThan(0);
  expect(activated).toBe(0);
}

/** Asserts that every document activates, those the Sampling condition did not select included. */
function expectEvery(compiled: CompiledConditions, name: Paystub): void {
  const { activated, sampled } = tally(compiled, name, SOME_DOCUMENTS);
  expect(sampled).toBeLessThan(SOME_DOCUMENTS.length);
  expect(activated).toBe(SOME_DOCUMENTS.length);
}
const results = (conditions: ConditionResult[]): boolean[] => conditions.map((condition) => condition.EvaluationResult);

describe('the pay stub fixtures are AnalyzeDocument FORMS responses', () => {
  test.each<Paystub>(['clear', 'faded-pay-date', 'alias-keys', 'no-mailing-address'])('%s links PAGE, LINE, WORD and KEY_VALUE_SET blocks by Id', (name) => {
    // Prepare
    const { Blocks } = paystub(name) as { Blocks: { BlockType: string; Id: string; EntityTypes?: string[]; Relationships?: { Type: string; Ids: string[] }[] }[] };
    const ids = new Set(Blocks.map((block) => block.Id));

    // Assess
    expect(ids.size).toBe(Blocks.length);
    expect(new Set(Blocks.map((block) => block.BlockType))).toEqual(new Set(['PAGE', 'LINE', 'WORD', 'KEY_VALUE_SET']));
    for (const block of Blocks) for (const relationship of block.Relationships ?? []) for (const id of relationship.Ids) expect(ids.has(id)).toBe(true);
    const keys = Blocks.filter((block) => block.EntityTypes?.includes('KEY'));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys.length).toBeLessThanOrEqual(5);
    for (const key of keys) expect(key.Relationships?.map((relationship) => relationship.Type).sort()).toEqual(['CHILD', 'VALUE']);
  });
});

describe('Example 1: important form keys with confidence scores in a specified range', () => {
  // "a key-value pair whose key is one of Employee Name, Name, or EmployeeName, with the confidence of the
  // key-value block being less than 60 and the confidences of each of the word blocks making up the key and value
  // being less than 85" (Pay Date …: less than 65 and 85; Gross Pay …: less than 60 and 85)
  test.each<[Paystub, [boolean, boolean, boolean]]>([
    ['faded-pay-date', [false, true, false]],
    ['smudged-pay-date', [false, true, false]],
    ['alias-keys', [false, true, true]],
    ['clear', [false, false, false]],
    ['pay-date-sharp-value', [false, false, false]],
    ['pay-date-uncertain-pairing', [false, false, false]],
    ['faded-net-pay', [false, false, false]],
    ['no-mailing-address', [false, false, false]],
  ])('on the %s pay stub: Employee Name, Pay Date, Gross Pay conditions are %j', (name, expected) => {
    // Act
    const decision = example(1).evaluate(paystub(name), identityOf('paystub-1'));

    // Assess
    expect(results(decision.humanTaskActivationConditionResults.Conditions)).toEqual(expected);
    expect(decision.activated).toBe(expected.includes(true));
  });

  test('one word of the pair at 85 or above is enough to keep the pair out ("each of the word blocks")', () => {
    // pay-date-sharp-value: key-value 58.2 < 65, key words < 85, but the value word is read at 96.3
    const [, payDate] = example(1).evaluate(paystub('pay-date-sharp-value'), identityOf('paystub-1')).humanTaskActivationConditionResults.Conditions;
    expect(payDate.EvaluationResult).toBe(false);
  });

  test('on A2I\'s camelCase echo of the same responses, the answers are the same', () => {
    for (const name of ['faded-pay-date', 'alias-keys', 'clear'] as const) {
      const direct = example(1).evaluate(paystub(name), identityOf('paystub-1'));
      const echoed = example(1).evaluate(camelCaseEcho(paystub(name)), identityOf('paystub-1'));
      expect(echoed).toEqual(direct);
    }
  });
});

describe('Example 2: ImportantFormKeyConfidenceCheck with the catch-all "*"', () => {
  // "if Amazon Textract detects a key-value pair whose confidence for the key-value block is less than 60 and is
  // less than 90 for any underlying word blocks, a HumanLoop is created"
  test.each<[Paystub, boolean]>([
    ['faded-pay-date', true],
    ['faded-net-pay', true],
    ['alias-keys', true],
    ['clear', false],
    ['smudged-pay-date', false],
    ['pay-date-sharp-value', false],
    ['pay-date-uncertain-pairing', false],
    ['no-mailing-address', false],
  ])('on the %s pay stub: %s', (name, expected) => {
    expect(example(2).evaluate(paystub(name), identityOf('paystub-1')).activated).toBe(expected);
  });
});

describe('Example 3: Sampling', () => {
  // "5% of inferences resulting from an Amazon Textract AnalyzeDocument request will be sent to human workers"
  test('about 5% of documents are sampled, whatever their confidences', () => {
    expect(withinFiveSigma(activatedCount(example(3), 'clear'), DOCUMENTS.length, 0.05)).toBe(true);
  });

  test('"If you send the same request to AnalyzeDocument multiple times, the result of Sampling will not change"', () => {
    // Prepare
    const ids = SOME_DOCUMENTS;
    const [clear, faded] = [paystub('clear'), paystub('faded-pay-date')];

    // Act: two compilations of the flow definition, two evaluations each
    const first = ids.map((id) => example(3).evaluate(clear, identityOf(id)).activated);
    const compiledAgain = example(3);
    const again = ids.map((id) => compiledAgain.evaluate(faded, identityOf(id)).activated);
    const andAgain = ids.map((id) => compiledAgain.evaluate(faded, identityOf(id)).activated);

    // Assess
    expect(again).toEqual(first);
    expect(andAgain).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(0);
  });
});

describe('Example 4: MissingImportantFormKey', () => {
  // "if Mailing Address or its alias, Mailing Address: is missing from keys detected by Amazon Textract, a human
  // review will be triggered"
  test.each<[Paystub, boolean]>([
    ['no-mailing-address', true],
    ['clear', false],
    ['alias-keys', false],
    ['faded-pay-date', false],
  ])('on the %s pay stub: %s', (name, expected) => {
    expect(example(4).evaluate(paystub(name), identityOf('paystub-1')).activated).toBe(expected);
  });

  test('the alias "Mailing Address:" is what keeps the alias-keys pay stub from triggering', () => {
    // Prepare: the same condition without its alias
    const withoutAlias = compileConditions({
      Conditions: [{ ConditionType: 'MissingImportantFormKey', ConditionParameters: { ImportantFormKey: 'Mailing Address' } }],
    });

    // Act + Assess
    expect(withoutAlias.evaluate(paystub('alias-keys'), identityOf('paystub-1')).activated).toBe(true);
  });

  test('as printed, without {"Conditions": [...]}, the snippet is rejected rather than silently never activating', () => {
    expect(issuesOf(conditionFixture('a2i-textract-example-4-as-printed'))).toEqual([
      { location: '(document)', message: 'unexpected key "ConditionType" (only "Conditions" is allowed)' },
      { location: '(document)', message: 'unexpected key "ConditionParameters" (only "Conditions" is allowed)' },
      { location: 'Conditions', message: 'must be a non-empty array of conditions' },
    ]);
  });
});

describe('Example 5: Sampling and ImportantFormKeyConfidenceCheck with the And operator', () => {
  // "5% of key-value pairs detected by Amazon Textract whose key is one of Pay Date, PayDate, DateOfPay, or pay-date,
  // with the confidence of the key-value block less than 65 and the confidences of each of the word blocks making
  // up the key and value less than 85 are sent to workers for review"
  test('about 5% of documents with a doubtful Pay Date activate, the same ones whichever doubtful Pay Date it is', () => {
    // Prepare
    const compiled = example(5);
    const activatedOn = (name: Paystub) => {
      const record = paystub(name);
      return DOCUMENTS.filter((id) => compiled.evaluate(record, identityOf(id)).activated);
    };

    // Act
    const faded = activatedOn('faded-pay-date');

    // Assess
    expect(withinFiveSigma(faded.length, DOCUMENTS.length, 0.05)).toBe(true);
    expect(activatedOn('smudged-pay-date')).toEqual(faded);
    expect(activatedOn('alias-keys')).toEqual(faded);
  });

  test.each<Paystub>(['clear', 'pay-date-sharp-value', 'pay-date-uncertain-pairing', 'faded-net-pay'])('no document activates on the %s pay stub', (name) => {
    expectNone(example(5), name);
  });
});

describe('Example 6: always review low confidence Pay Dates, sample high confidence ones', () => {
  // Prose: "Key-value pairs detected whose key is one of Pay Date, … with key-value and word block confidences less
  // than 60 will be sent for human review"; "5% of key-value pairs detected whose key is one of Pay Date, … with
  // key-value and word block confidences greater than 90 will be sent for human review".
  // The JSON's second condition is "KeyValueBlockConfidenceLessThan": 90 with "WordBlockConfidenceGreaterThan": 90;
  // the engine evaluates the JSON, so it samples pairs read sharply (words > 90) but paired doubtfully (< 90).
  test('every document with a Pay Date under 60 throughout activates', () => {
    expectEvery(example(6), 'faded-pay-date');
  });

  test('about 5% of documents whose Pay Date words are sharp but whose pairing is below 90 activate', () => {
    expect(withinFiveSigma(activatedCount(example(6), 'pay-date-uncertain-pairing'), DOCUMENTS.length, 0.05)).toBe(true);
  });

  test.each<Paystub>(['clear', 'smudged-pay-date', 'pay-date-sharp-value', 'alias-keys'])('no document activates on the %s pay stub', (name) => {
    // clear: key-value 92.6 is not < 90 (the prose's "greater than 90" would sample it; the JSON does not)
    expectNone(example(6), name);
  });
});

describe('Example 7: Sampling and ImportantFormKeyConfidenceCheck with the Or operator', () => {
  // "returns a key-value pair whose key is one of Pay Date, PayDate, DateOfPay, or pay-date, with the confidence of
  // the key-value block less than 65 and the confidences of each of the word blocks … less than 85. Additionally,
  // 5% of all other forms will trigger a human loop."
  test.each<Paystub>(['faded-pay-date', 'smudged-pay-date', 'alias-keys'])('every document activates on the %s pay stub', (name) => {
    expectEvery(example(7), name);
  });

  test.each<Paystub>(['clear', 'pay-date-sharp-value', 'faded-net-pay'])('about 5%% of documents activate on the %s pay stub', (name) => {
    expect(withinFiveSigma(activatedCount(example(7), name), DOCUMENTS.length, 0.05)).toBe(true);
  });
});
