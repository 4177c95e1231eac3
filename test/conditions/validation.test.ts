import { compileConditions, ConditionDocumentError } from '../../lib/conditions';
import { constant, issuesOf, leaf } from './helpers';

/** A condition document is validated as a whole when it is compiled; each issue names its location. */

const ok = constant(true);
const single = (condition: unknown) => ({ Conditions: [condition] });

describe('the document', () => {
  test.each([null, [], 'Conditions', 42, true])('%j is not a condition document', (document) => {
    expect(issuesOf(document)).toEqual([{ location: '(document)', message: 'must be an object {"Conditions": [...]}' }]);
  });

  test.each([{}, { Conditions: [] }, { Conditions: {} }, { Conditions: 'all' }])('%j has no conditions', (document) => {
    expect(issuesOf(document)).toEqual([{ location: 'Conditions', message: 'must be a non-empty array of conditions' }]);
  });

  test('a key beside Conditions is reported', () => {
    expect(issuesOf({ Conditions: [ok], Condition: [] })).toEqual([
      { location: '(document)', message: 'unexpected key "Condition" (only "Conditions" is allowed)' },
    ]);
  });

  test('a condition that is not an object, or is an empty object, is reported at its index', () => {
    expect(issuesOf({ Conditions: [ok, 'Sampling'] })).toEqual([
      { location: 'Conditions[1]', message: 'must be a condition object ({"ConditionType": …} or {"And"|"Or"|"Not": …})' },
    ]);
    expect(issuesOf({ Conditions: [{}] })).toEqual([{ location: 'Conditions[0]', message: 'needs "ConditionType" or one of "And", "Or", "Not"' }]);
  });
});

describe('condition types and their parameters', () => {
  test('an unknown ConditionType is named, with the known ones', () => {
    // Act
    const [issue] = issuesOf(single(leaf('ModerationLabelCheck', { ModerationLabelName: '*' })));

    // Assess
    expect(issue.location).toBe('Conditions[0]');
    expect(issue.message).toMatch(/^unknown ConditionType "ModerationLabelCheck" \(known: .*\)$/);
    for (const known of ['ModerationLabelConfidenceCheck', 'ImportantFormKeyConfidenceCheck', 'MissingImportantFormKey', 'Sampling']) {
      expect(issue.message).toContain(known);
    }
  });

  test('condition type names are case-sensitive', () => {
    expect(issuesOf(single(leaf('sampling', { RandomSamplingPercentage: 5 })))[0].message).toMatch(/^unknown ConditionType "sampling"/);
  });

  test('ConditionParameters must be an object', () => {
    expect(issuesOf(single({ ConditionType: 'Sampling' }))).toEqual([{ location: 'Conditions[0]', message: 'Sampling: ConditionParameters must be an object' }]);
    expect(issuesOf(single({ ConditionType: 'Sampling', ConditionParameters: [5] }))).toEqual([
      { location: 'Conditions[0]', message: 'Sampling: ConditionParameters must be an object' },
    ]);
  });

  test.each([
    ['Sampling', {}, 'Sampling: ConditionParameters.RandomSamplingPercentage is required'],
    ['FieldConfidenceCheck', { ConfidenceLessThan: 0.5 }, 'FieldConfidenceCheck: ConditionParameters.Path is required'],
    ['FieldValueCheck', { Equals: 1 }, 'FieldValueCheck: ConditionParameters.Path is required'],
    ['MissingField', {}, 'MissingField: ConditionParameters.Path is required'],
    ['Expression', {}, 'Expression: ConditionParameters.Expression is required'],
    ['ModerationLabelConfidenceCheck', { ConfidenceLessThan: 50 }, 'ModerationLabelConfidenceCheck: ConditionParameters.ModerationLabelName is required'],
    ['ImportantFormKeyConfidenceCheck', { WordBlockConfidenceLessThan: 50 }, 'ImportantFormKeyConfidenceCheck: ConditionParameters.ImportantFormKey is required'],
    ['MissingImportantFormKey', { ImportantFormKeyAliases: ['Name:'] }, 'MissingImportantFormKey: ConditionParameters.ImportantFormKey is required'],
  ])('%s without its required parameter', (type, parameters, message) => {
    expect(issuesOf(single(leaf(type, parameters)))).toEqual([{ location: 'Conditions[0]', message }]);
  });

  test.each([
    ['FieldConfidenceCheck', { Path: 'score' }, 'FieldConfidenceCheck: needs one of ConfidenceEquals, ConfidenceLessThan, ConfidenceLessThanEquals, ConfidenceGreaterThan, ConfidenceGreaterThanEquals'],
    ['ModerationLabelConfidenceCheck', { ModerationLabelName: '*' }, 'ModerationLabelConfidenceCheck: needs one of ConfidenceEquals, ConfidenceLessThan, ConfidenceLessThanEquals, ConfidenceGreaterThan, ConfidenceGreaterThanEquals'],
    ['FieldValueCheck', { Path: 'label' }, 'FieldValueCheck: needs exactly one of Equals, NotEquals, In, NotIn, Matches, Exists'],
    ['FieldValueCheck', { Path: 'label', Equals: 'a', NotIn: ['b'] }, 'FieldValueCheck: needs exactly one of Equals, NotEquals, In, NotIn, Matches, Exists, got Equals and NotIn'],
  ])('%s with %j lacks the test it needs, or has too many', (type, parameters, message) => {
    expect(issuesOf(single(leaf(type, parameters)))).toEqual([{ location: 'Conditions[0]', message }]);
  });

  test('ImportantFormKeyConfidenceCheck needs a KeyValueBlockConfidence or WordBlockConfidence comparison', () => {
    const [issue] = issuesOf(single(leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: 'Pay Date' })));
    expect(issue.message).toMatch(/^ImportantFormKeyConfidenceCheck: needs at least one of KeyValueBlockConfidenceEquals, .*WordBlockConfidenceGreaterThanEquals$/);
  });

  test('an unexpected parameter is named, with the allowed ones', () => {
    expect(issuesOf(single(leaf('Sampling', { RandomSamplingPercentage: 5, Seed: 1 })))).toEqual([
      { location: 'Conditions[0]', message: 'Sampling: unexpected parameter ConditionParameters.Seed (allowed: RandomSamplingPercentage)' },
    ]);
    expect(issuesOf(single(leaf('ModerationLabelConfidenceCheck', { ModerationLabelName: '*', ConfidenceLessThen: 50 })))).toEqual([
      {
        location: 'Conditions[0]',
        message:
          'ModerationLabelConfidenceCheck: unexpected parameter ConditionParameters.ConfidenceLessThen (allowed: ModerationLabelName, ConfidenceEquals, ConfidenceLessThan, ConfidenceLessThanEquals, ConfidenceGreaterThan, ConfidenceGreaterThanEquals)',
      },
    ]);
  });

  test('a key beside ConditionType and ConditionParameters is reported', () => {
    expect(issuesOf(single({ ...leaf('Expression', { Expression: 'a' }), Description: 'x' }))).toEqual([
      { location: 'Conditions[0]', message: 'unexpected key "Description"' },
    ]);
  });

  test.each([
    ['FieldConfidenceCheck', 'Path', { ConfidenceLessThan: 1 }, 'fields[*.confidence'],
    ['FieldValueCheck', 'Path', { Exists: true }, 'label == `"x'],
    ['MissingField', 'Path', {}, 'a..b'],
    ['Expression', 'Expression', {}, 'totalAmount >'],
  ])('%s with a %s that is not JMESPath', (type, name, rest, expression) => {
    // Act
    const issues = issuesOf(single(leaf(type, { [name]: expression, ...rest })));

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0].location).toBe('Conditions[0]');
    expect(issues[0].message.startsWith(`${type}: ConditionParameters.${name} invalid JMESPath ${JSON.stringify(expression)}: `)).toBe(true);
  });

  test('an empty or blank expression is rejected', () => {
    expect(issuesOf(single(leaf('Expression', { Expression: '' })))).toEqual([
      { location: 'Conditions[0]', message: 'Expression: ConditionParameters.Expression must be a non-empty string, got an empty string' },
    ]);
    expect(issuesOf(single(leaf('MissingField', { Path: '  ' })))[0].message).toBe('MissingField: ConditionParameters.Path invalid JMESPath "  ": expression is empty');
  });

  test('a regular expression that does not compile is rejected with the reason', () => {
    // Act
    const issues = issuesOf(single(leaf('FieldValueCheck', { Path: 'iban', Matches: '^DE(\\d{20}$' })));

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/^FieldValueCheck: ConditionParameters.Matches invalid regular expression "\^DE\(\\\\d\{20\}\$": .+/);
  });

  test.each([0, 0.009, -5, 100.01, 1000])('a sampling percentage of %d is out of range', (percentage) => {
    expect(issuesOf(single(leaf('Sampling', { RandomSamplingPercentage: percentage })))).toEqual([
      { location: 'Conditions[0]', message: `Sampling: ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100, got ${percentage}` },
    ]);
  });

  test.each([0.01, 0.5, 5, 99.99, 100])('a sampling percentage of %d is accepted', (percentage) => {
    expect(() => compileConditions(single(leaf('Sampling', { RandomSamplingPercentage: percentage })))).not.toThrow();
  });

  test.each([
    ['Sampling', { RandomSamplingPercentage: '5' }, 'Sampling: ConditionParameters.RandomSamplingPercentage must be a number, got a string'],
    ['Sampling', { RandomSamplingPercentage: Infinity }, 'Sampling: ConditionParameters.RandomSamplingPercentage must be a number, got a number'],
    ['FieldConfidenceCheck', { Path: 'a', ConfidenceLessThan: '0.5' }, 'FieldConfidenceCheck: ConditionParameters.ConfidenceLessThan must be a number, got a string'],
    ['FieldValueCheck', { Path: 'a', In: 'fraud' }, 'FieldValueCheck: ConditionParameters.In must be an array, got a string'],
    ['FieldValueCheck', { Path: 'a', Exists: 'yes' }, 'FieldValueCheck: ConditionParameters.Exists must be true or false, got a string'],
    ['FieldValueCheck', { Path: 'a', Matches: 7 }, 'FieldValueCheck: ConditionParameters.Matches must be a non-empty string, got a number'],
    ['ModerationLabelConfidenceCheck', { ModerationLabelName: ['Suggestive'], ConfidenceLessThan: 5 }, 'ModerationLabelConfidenceCheck: ConditionParameters.ModerationLabelName must be a non-empty string, got an array'],
    ['MissingImportantFormKey', { ImportantFormKey: 'Name', ImportantFormKeyAliases: 'Name:' }, 'MissingImportantFormKey: ConditionParameters.ImportantFormKeyAliases must be an array of non-empty strings'],
    ['MissingImportantFormKey', { ImportantFormKey: 'Name', ImportantFormKeyAliases: ['Name:', ''] }, 'MissingImportantFormKey: ConditionParameters.ImportantFormKeyAliases must be an array of non-empty strings'],
    ['ImportantFormKeyConfidenceCheck', { ImportantFormKey: null, KeyValueBlockConfidenceLessThan: 5 }, 'ImportantFormKeyConfidenceCheck: ConditionParameters.ImportantFormKey must be a non-empty string, got null'],
  ])('%s with %j: a parameter of the wrong type', (type, parameters, message) => {
    expect(issuesOf(single(leaf(type, parameters)))).toEqual([{ location: 'Conditions[0]', message }]);
  });
});

describe('combinators', () => {
  test.each(['And', 'Or'])('an empty %s is reported at the combinator', (key) => {
    expect(issuesOf({ Conditions: [ok, { Or: [ok, { [key]: [] }] }] })).toEqual([
      { location: `Conditions[1].Or[1].${key}`, message: 'must be a non-empty array of conditions' },
    ]);
  });

  test.each(['And', 'Or'])('an %s that is not an array is reported', (key) => {
    expect(issuesOf(single({ [key]: ok }))).toEqual([{ location: `Conditions[0].${key}`, message: 'must be a non-empty array of conditions' }]);
  });

  test.each([[[ok, ok]], [[]], ['x'], [null]])('Not with %j is reported: it takes exactly one operand', (operand) => {
    expect(issuesOf(single({ Not: operand }))).toEqual([
      { location: 'Conditions[0].Not', message: 'takes exactly one condition (an object, or an array of one)' },
    ]);
  });

  test('a node with both ConditionType and a combinator is reported', () => {
    expect(issuesOf(single({ ...leaf('Sampling', { RandomSamplingPercentage: 5 }), And: [ok] }))).toEqual([
      { location: 'Conditions[0]', message: 'has both ConditionType and And: a node is either a condition or a combinator' },
    ]);
  });

  test('a node with two combinators is reported', () => {
    expect(issuesOf(single({ And: [ok], Or: [ok] }))).toEqual([{ location: 'Conditions[0]', message: 'has And and Or: a node holds one combinator' }]);
  });

  test('a key beside a combinator is reported', () => {
    expect(issuesOf(single({ Or: [ok], ConditionParameters: {} }))).toEqual([{ location: 'Conditions[0]', message: 'unexpected key "ConditionParameters"' }]);
  });

  test('operands are located by their path through the combinators, Not included', () => {
    // Prepare
    const bad = leaf('Sampling', { RandomSamplingPercentage: 0 });
    const document = { Conditions: [ok, { Or: [ok, { And: [bad] }] }, { Not: bad }, { Not: [{ And: [ok, { Or: [bad] }] }] }] };

    // Act
    const locations = issuesOf(document).map((issue) => issue.location);

    // Assess
    expect(locations).toEqual(['Conditions[1].Or[1].And[0]', 'Conditions[2].Not', 'Conditions[3].Not[0].And[1].Or[0]']);
  });
});

describe('every issue is reported at once', () => {
  test('issues anywhere in the document are all collected, in document order', () => {
    // Prepare
    const document = {
      Conditions: [
        leaf('FieldConfidenceCheck', { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }),
        {
          Or: [
            leaf('Sampling', { RandomSamplingPercentage: 150 }),
            { And: [leaf('FieldValueCheck', { Path: 'label', Matches: '[' }), leaf('Bogus', {})] },
            { And: [] },
          ],
        },
        { Not: [ok, ok] },
        { ...leaf('Expression', { Expression: 'a ||' }), Or: [ok] },
        leaf('MissingField', { Path: 'x[', Extra: true }),
      ],
    };

    // Act
    let caught: unknown;
    try {
      compileConditions(document);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(ConditionDocumentError);
    const error = caught as ConditionDocumentError;
    expect(error.name).toBe('ConditionDocumentError');
    expect(error.issues.map((issue) => issue.location)).toEqual([
      'Conditions[1].Or[0]',
      'Conditions[1].Or[1].And[0]',
      'Conditions[1].Or[1].And[1]',
      'Conditions[1].Or[2].And',
      'Conditions[2].Not',
      'Conditions[3]',
      'Conditions[4]',
      'Conditions[4]',
    ]);
    expect(error.issues[0].message).toBe('Sampling: ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100, got 150');
    expect(error.issues[1].message).toMatch(/^FieldValueCheck: ConditionParameters.Matches invalid regular expression "\["/);
    expect(error.issues[2].message).toMatch(/^unknown ConditionType "Bogus"/);
    expect(error.issues[5].message).toBe('has both ConditionType and Or: a node is either a condition or a combinator');
    expect(error.issues[6].message).toMatch(/^MissingField: ConditionParameters.Path invalid JMESPath "x\["/);
    expect(error.issues[7].message).toBe('MissingField: unexpected parameter ConditionParameters.Extra (allowed: Path)');
    expect(error.message.split('\n')).toEqual(error.issues.map((issue) => `${issue.location}: ${issue.message}`));
  });

  test('one condition with several problems reports each of them', () => {
    const issues = issuesOf(
      single(leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: '', ImportantFormKeyAliases: [1], WordBlockConfidenceLessThan: 'low', Confidence: 5 })),
    );
    expect(issues.map((issue) => issue.message)).toEqual([
      'ImportantFormKeyConfidenceCheck: ConditionParameters.ImportantFormKey must be a non-empty string, got an empty string',
      'ImportantFormKeyConfidenceCheck: ConditionParameters.ImportantFormKeyAliases must be an array of non-empty strings',
      'ImportantFormKeyConfidenceCheck: ConditionParameters.WordBlockConfidenceLessThan must be a number, got a string',
      expect.stringMatching(/^ImportantFormKeyConfidenceCheck: unexpected parameter ConditionParameters.Confidence \(allowed: /),
    ]);
  });
});

describe('FieldValueCheck values a path can never yield', () => {
  it.each([
    [{ Path: 'a', Equals: null }, /Equals null can never match/],
    [{ Path: 'a', Equals: [1, 2] }, /Equals \[1,2\] can never match/],
    [{ Path: 'a', In: ['x', null] }, /In holds null, which a path never yields/],
    [{ Path: 'a', NotIn: [['x']] }, /NotIn holds \["x"\], which a path never yields/],
  ])('%j is rejected with a hint', (parameters, message) => {
    expect(() => compileConditions({ Conditions: [{ ConditionType: 'FieldValueCheck', ConditionParameters: parameters }] })).toThrow(message);
  });

  it('objects, strings and numbers are fine', () => {
    expect(() => compileConditions({ Conditions: [{ ConditionType: 'FieldValueCheck', ConditionParameters: { Path: 'a', Equals: { b: 1 } } }] })).not.toThrow();
    expect(() => compileConditions({ Conditions: [{ ConditionType: 'FieldValueCheck', ConditionParameters: { Path: 'a', In: ['x', 2, { c: true }] } }] })).not.toThrow();
  });
});
