import { camelCaseEcho, holds, leaf, textractResponse, type PairSpec } from './helpers';

/**
 * A2I's built-in condition types, parameter by parameter, on small service responses. The documented
 * examples on realistic responses are in a2i-*-examples.test.ts.
 */

describe('ModerationLabelConfidenceCheck (Rekognition DetectModerationLabels)', () => {
  const response = {
    ModerationLabels: [
      { Confidence: 88.5, Name: 'Suggestive', ParentName: '' },
      { Confidence: 88.5, Name: 'Female Swimwear Or Underwear', ParentName: 'Suggestive' },
      { Confidence: 61.25, Name: 'Revealing Clothes', ParentName: 'Suggestive' },
    ],
    ModerationModelVersion: '6.1',
  };
  const check = (ModerationLabelName: string, comparisons: Record<string, number>, record: unknown = response): boolean =>
    holds(leaf('ModerationLabelConfidenceCheck', { ModerationLabelName, ...comparisons }), record);

  test.each([
    ['ConfidenceEquals', 88.5, true],
    ['ConfidenceEquals', 88.4, false],
    ['ConfidenceLessThan', 88.5, false],
    ['ConfidenceLessThan', 88.6, true],
    ['ConfidenceLessThanEquals', 88.5, true],
    ['ConfidenceLessThanEquals', 88.4, false],
    ['ConfidenceGreaterThan', 88.5, false],
    ['ConfidenceGreaterThan', 88.4, true],
    ['ConfidenceGreaterThanEquals', 88.5, true],
    ['ConfidenceGreaterThanEquals', 88.6, false],
  ])('Suggestive (88.5) with %s %d is %s', (comparison, bound, expected) => {
    expect(check('Suggestive', { [comparison]: bound })).toBe(expected);
  });

  test('the label name is matched exactly and case-sensitively ("The exact (case-sensitive) name")', () => {
    expect(check('Revealing Clothes', { ConfidenceLessThan: 70 })).toBe(true);
    expect(check('revealing clothes', { ConfidenceLessThan: 70 })).toBe(false);
    expect(check('Revealing', { ConfidenceLessThan: 70 })).toBe(false);
    expect(check('Revealing Clothes ', { ConfidenceLessThan: 70 })).toBe(false);
  });

  test('only the named label\'s confidence counts, not another label\'s', () => {
    expect(check('Suggestive', { ConfidenceLessThan: 70 })).toBe(false);
  });

  test('a parent name does not stand for its child labels: ModerationLabelName is matched against Name', () => {
    // Prepare: a response listing only the child label
    const childOnly = { ModerationLabels: [{ Confidence: 90, Name: 'Graphic Male Nudity', ParentName: 'Explicit Nudity' }] };

    // Act + Assess
    expect(check('Explicit Nudity', { ConfidenceGreaterThan: 50 }, childOnly)).toBe(false);
    expect(check('Graphic Male Nudity', { ConfidenceGreaterThan: 50 }, childOnly)).toBe(true);
  });

  test('"*" matches any label', () => {
    expect(check('*', { ConfidenceLessThan: 70 })).toBe(true);
    expect(check('*', { ConfidenceLessThan: 60 })).toBe(false);
  });

  test('several comparisons must all hold for the same label', () => {
    // Prepare: 61.25 < 70 and 88.5 > 80, but no label lies in (70, 80)
    const comparisons = { ConfidenceGreaterThan: 70, ConfidenceLessThan: 80 };

    // Act + Assess
    expect(check('*', comparisons)).toBe(false);
    expect(check('*', { ConfidenceGreaterThan: 60, ConfidenceLessThan: 80 })).toBe(true);
  });

  test('a response without labels, or a record that is not a DetectModerationLabels response, is false', () => {
    expect(check('*', { ConfidenceGreaterThanEquals: 0 }, { ModerationLabels: [], ModerationModelVersion: '6.1' })).toBe(false);
    expect(check('*', { ConfidenceGreaterThanEquals: 0 }, { Labels: response.ModerationLabels })).toBe(false);
    expect(check('*', { ConfidenceGreaterThanEquals: 0 }, null)).toBe(false);
    // Labels that are there but malformed cannot be evaluated at all: see malformed-output.test.ts.
  });

  test('A2I\'s camelCase echo of the response (moderationLabels, name, confidence) evaluates alike', () => {
    // Prepare
    const echo = camelCaseEcho(response);

    // Act + Assess
    expect(echo).toHaveProperty('moderationLabels.0.confidence', 88.5);
    expect(check('Revealing Clothes', { ConfidenceLessThan: 70 }, echo)).toBe(true);
    expect(check('Suggestive', { ConfidenceLessThan: 70 }, echo)).toBe(false);
    expect(check('*', { ConfidenceEquals: 61.25 }, echo)).toBe(true);
  });
});

const payDate: PairSpec = { key: 'Pay Date', value: '01/31/2024', keyValue: 58, keyWords: [80, 82], valueWords: 84 };
const grossPay: PairSpec = { key: 'Gross Pay', value: '$4,250.00', keyValue: 94, keyWords: 99, valueWords: 99 };
const employee: PairSpec = { key: 'Employee Name:', value: 'Jane Q. Doe', keyValue: 91, keyWords: [99, 98], valueWords: [97, 75, 99] };

describe('ImportantFormKeyConfidenceCheck (Textract AnalyzeDocument FORMS)', () => {
  const form = textractResponse([employee, payDate, grossPay]);
  const check = (parameters: Record<string, unknown>, record: unknown = form): boolean =>
    holds(leaf('ImportantFormKeyConfidenceCheck', parameters), record);

  test.each([
    ['KeyValueBlockConfidenceEquals', 58, true],
    ['KeyValueBlockConfidenceEquals', 57, false],
    ['KeyValueBlockConfidenceLessThan', 58, false],
    ['KeyValueBlockConfidenceLessThan', 59, true],
    ['KeyValueBlockConfidenceLessThanEquals', 58, true],
    ['KeyValueBlockConfidenceLessThanEquals', 57, false],
    ['KeyValueBlockConfidenceGreaterThan', 58, false],
    ['KeyValueBlockConfidenceGreaterThan', 57, true],
    ['KeyValueBlockConfidenceGreaterThanEquals', 58, true],
    ['KeyValueBlockConfidenceGreaterThanEquals', 59, false],
  ])('Pay Date (key-value block 58) with %s %d is %s', (comparison, bound, expected) => {
    expect(check({ ImportantFormKey: 'Pay Date', [comparison]: bound })).toBe(expected);
  });

  test.each([
    // Pay Date's words: key 80 and 82, value 84; each of them must satisfy the comparison
    ['WordBlockConfidenceEquals', 82, false],
    ['WordBlockConfidenceLessThan', 84, false],
    ['WordBlockConfidenceLessThan', 85, true],
    ['WordBlockConfidenceLessThanEquals', 84, true],
    ['WordBlockConfidenceLessThanEquals', 83, false],
    ['WordBlockConfidenceGreaterThan', 80, false],
    ['WordBlockConfidenceGreaterThan', 79, true],
    ['WordBlockConfidenceGreaterThanEquals', 80, true],
    ['WordBlockConfidenceGreaterThanEquals', 81, false],
  ])('Pay Date (words 80, 82, 84) with %s %d is %s', (comparison, bound, expected) => {
    expect(check({ ImportantFormKey: 'Pay Date', [comparison]: bound })).toBe(expected);
  });

  test('WordBlockConfidenceEquals holds when every word of the key and value has that confidence', () => {
    expect(check({ ImportantFormKey: 'Gross Pay', WordBlockConfidenceEquals: 99 })).toBe(true);
  });

  test('the word comparison covers the value\'s words too ("each of the word blocks making up the key and value")', () => {
    // Employee Name:'s key words are 99 and 98; its value has a 75
    expect(check({ ImportantFormKey: 'Employee Name:', WordBlockConfidenceGreaterThan: 90 })).toBe(false);
    expect(check({ ImportantFormKey: 'Employee Name:', WordBlockConfidenceGreaterThan: 70 })).toBe(true);
  });

  test('a key with an empty value is judged on its key words alone', () => {
    // Prepare
    const blank = textractResponse([{ key: 'Net Pay', value: '', keyValue: 40, keyWords: [70, 72], valueWords: [] }]);

    // Act + Assess
    expect(check({ ImportantFormKey: 'Net Pay', KeyValueBlockConfidenceLessThan: 50, WordBlockConfidenceLessThan: 75 }, blank)).toBe(true);
    expect(check({ ImportantFormKey: 'Net Pay', WordBlockConfidenceLessThan: 71 }, blank)).toBe(false);
  });

  test('key-value and word comparisons must both hold for the same pair', () => {
    // Prepare: one pair with a low key-value confidence but sharp words, another the other way round
    const split = textractResponse([
      { key: 'Pay Date', value: '01/31/2024', keyValue: 40, keyWords: 99, valueWords: 99 },
      { key: 'Gross Pay', value: '$4,250.00', keyValue: 95, keyWords: 50, valueWords: 50 },
    ]);

    // Act + Assess
    expect(check({ ImportantFormKey: '*', KeyValueBlockConfidenceLessThan: 60, WordBlockConfidenceLessThan: 60 }, split)).toBe(false);
    expect(check({ ImportantFormKey: '*', KeyValueBlockConfidenceLessThan: 60 }, split)).toBe(true);
    expect(check({ ImportantFormKey: '*', WordBlockConfidenceLessThan: 60 }, split)).toBe(true);
  });

  test('several comparisons of one kind must all hold', () => {
    expect(check({ ImportantFormKey: 'Pay Date', KeyValueBlockConfidenceGreaterThan: 50, KeyValueBlockConfidenceLessThan: 60 })).toBe(true);
    expect(check({ ImportantFormKey: 'Pay Date', KeyValueBlockConfidenceGreaterThan: 60, KeyValueBlockConfidenceLessThan: 99 })).toBe(false);
    expect(check({ ImportantFormKey: 'Pay Date', WordBlockConfidenceGreaterThan: 79, WordBlockConfidenceLessThan: 85 })).toBe(true);
    expect(check({ ImportantFormKey: 'Pay Date', WordBlockConfidenceGreaterThan: 81, WordBlockConfidenceLessThan: 85 })).toBe(false);
  });

  test('the key is the text of its words joined by spaces, matched exactly (case and punctuation included)', () => {
    const low = { KeyValueBlockConfidenceLessThan: 100 };
    expect(check({ ImportantFormKey: 'Pay Date', ...low })).toBe(true);
    expect(check({ ImportantFormKey: 'pay date', ...low })).toBe(false);
    expect(check({ ImportantFormKey: 'Pay', ...low })).toBe(false);
    expect(check({ ImportantFormKey: 'Pay Date:', ...low })).toBe(false);
    expect(check({ ImportantFormKey: 'Employee Name', ...low })).toBe(false);
    expect(check({ ImportantFormKey: 'Employee Name:', ...low })).toBe(true);
  });

  test('an alias matches like the key itself', () => {
    const parameters = { ImportantFormKey: 'Date Paid', KeyValueBlockConfidenceLessThan: 60 };
    expect(check(parameters)).toBe(false);
    expect(check({ ...parameters, ImportantFormKeyAliases: ['PayDate', 'Pay Date'] })).toBe(true);
    expect(check({ ...parameters, ImportantFormKeyAliases: ['PayDate', 'pay-date'] })).toBe(false);
  });

  test('"*" matches every key ("all keys are considered to be matched")', () => {
    expect(check({ ImportantFormKey: '*', KeyValueBlockConfidenceLessThan: 60 })).toBe(true);
    expect(check({ ImportantFormKey: '*', KeyValueBlockConfidenceLessThan: 58 })).toBe(false);
    expect(check({ ImportantFormKey: '*', KeyValueBlockConfidenceGreaterThan: 93 })).toBe(true);
  });

  test('VALUE blocks, lines and words outside a KEY are not keys', () => {
    // Prepare: "01/31/2024" is a value and a line, never a key
    const parameters = { ImportantFormKey: '01/31/2024', KeyValueBlockConfidenceLessThan: 100 };

    // Act + Assess
    expect(check(parameters)).toBe(false);
  });

  test('a record that is not a Textract response is false', () => {
    const parameters = { ImportantFormKey: '*', KeyValueBlockConfidenceGreaterThanEquals: 0 };
    expect(check(parameters, {})).toBe(false);
    expect(check(parameters, { DocumentMetadata: { Pages: 1 }, Blocks: [] })).toBe(false);
  });

  test('A2I\'s camelCase echo of the response (blocks, blockType, relationships…) evaluates alike', () => {
    // Prepare
    const echo = camelCaseEcho(form);

    // Act + Assess
    expect(echo).toHaveProperty('blocks.0.blockType', 'PAGE');
    expect(check({ ImportantFormKey: 'Pay Date', KeyValueBlockConfidenceLessThan: 60, WordBlockConfidenceLessThan: 85 }, echo)).toBe(true);
    expect(check({ ImportantFormKey: 'Pay Date', KeyValueBlockConfidenceLessThan: 58 }, echo)).toBe(false);
    expect(check({ ImportantFormKey: 'Gross Pay', WordBlockConfidenceEquals: 99 }, echo)).toBe(true);
  });
});

describe('MissingImportantFormKey (Textract AnalyzeDocument FORMS)', () => {
  const form = textractResponse([employee, payDate, grossPay]);
  const missing = (ImportantFormKey: string, ImportantFormKeyAliases?: string[], record: unknown = form): boolean =>
    holds(leaf('MissingImportantFormKey', { ImportantFormKey, ...(ImportantFormKeyAliases ? { ImportantFormKeyAliases } : {}) }), record);

  test('is false when the key was detected, true when it was not', () => {
    expect(missing('Pay Date')).toBe(false);
    expect(missing('Net Pay')).toBe(true);
  });

  test('is false when an alias was detected: only when the key and all its aliases are absent is it missing', () => {
    expect(missing('Employee Name', ['Employee Name:'])).toBe(false);
    expect(missing('Date of Pay', ['DateOfPay', 'Pay Date'])).toBe(false);
    expect(missing('Date of Pay', ['DateOfPay', 'pay-date'])).toBe(true);
  });

  test('matching is exact: another case or a missing colon does not count as detected', () => {
    expect(missing('pay date')).toBe(true);
    expect(missing('Employee Name')).toBe(true);
    expect(missing('Employee name:')).toBe(true);
  });

  test('text that Textract did not detect as a key does not count, even if it is on the page', () => {
    // Prepare: "$4,250.00" and "01/31/2024" are values (and lines)
    // Act + Assess
    expect(missing('$4,250.00')).toBe(true);
    expect(missing('01/31/2024')).toBe(true);
  });

  test('on a response without form keys, or a record that is not a Textract response, every key is missing', () => {
    expect(missing('Pay Date', undefined, { DocumentMetadata: { Pages: 1 }, Blocks: [] })).toBe(true);
    expect(missing('Pay Date', undefined, { ModerationLabels: [] })).toBe(true);
    expect(missing('*', undefined, { Blocks: [] })).toBe(true);
    expect(missing('*')).toBe(false);
  });

  test('A2I\'s camelCase echo evaluates alike', () => {
    const echo = camelCaseEcho(form);
    expect(missing('Pay Date', undefined, echo)).toBe(false);
    expect(missing('Net Pay', undefined, echo)).toBe(true);
  });
});
