import { holds, leaf } from './helpers';

/** The generic condition types for custom models: their paths are JMESPath, evaluated on the record. */

const invoice = {
  label: 'fraud',
  totalAmount: 12500,
  currency: 'EUR',
  reviewed: false,
  attempts: 0,
  notes: '',
  tags: [],
  vendor: { name: 'AnyCompany', country: 'DE' },
  fields: [
    { name: 'iban', value: 'DE44500105175407324931', confidence: 0.62 },
    { name: 'total', value: '12500.00', confidence: 0.97 },
    { name: 'date', value: null, confidence: 0.88 },
  ],
};

describe('FieldConfidenceCheck', () => {
  const check = (Path: string, comparisons: Record<string, number>, record: unknown = invoice): boolean =>
    holds(leaf('FieldConfidenceCheck', { Path, ...comparisons }), record);

  test.each([
    ['ConfidenceEquals', 0.88, true],
    ['ConfidenceEquals', 0.9, false],
    ['ConfidenceLessThan', 0.62, false],
    ['ConfidenceLessThan', 0.63, true],
    ['ConfidenceLessThanEquals', 0.62, true],
    ['ConfidenceLessThanEquals', 0.61, false],
    ['ConfidenceGreaterThan', 0.97, false],
    ['ConfidenceGreaterThan', 0.96, true],
    ['ConfidenceGreaterThanEquals', 0.97, true],
    ['ConfidenceGreaterThanEquals', 0.98, false],
  ])('%s %d over confidences 0.62, 0.97, 0.88 is %s', (parameter, bound, expected) => {
    // Act
    const result = check('fields[*].confidence', { [parameter]: bound });

    // Assess
    expect(result).toBe(expected);
  });

  test('several comparisons must all hold for the same number, not each for some number', () => {
    // Prepare: 0.62 < 0.9 and 0.97 > 0.7, but no confidence lies in (0.7, 0.9) except 0.88
    const withoutMiddle = { fields: [{ confidence: 0.62 }, { confidence: 0.97 }] };

    // Act + Assess
    expect(check('fields[*].confidence', { ConfidenceGreaterThan: 0.7, ConfidenceLessThan: 0.9 }, withoutMiddle)).toBe(false);
    expect(check('fields[*].confidence', { ConfidenceGreaterThan: 0.7, ConfidenceLessThan: 0.9 }, invoice)).toBe(true);
    expect(
      check('fields[*].confidence', { ConfidenceGreaterThanEquals: 0.88, ConfidenceLessThanEquals: 0.88, ConfidenceEquals: 0.88 }, invoice),
    ).toBe(true);
    expect(check('fields[*].confidence', { ConfidenceGreaterThan: 0.5, ConfidenceEquals: 0.5 }, { fields: [{ confidence: 0.5 }] })).toBe(false);
  });

  test('a single number (not an array) is checked too', () => {
    expect(check('fields[0].confidence', { ConfidenceLessThan: 0.7 })).toBe(true);
    expect(check('fields[1].confidence', { ConfidenceLessThan: 0.7 })).toBe(false);
  });

  test('a path that yields nothing is false, whatever the comparison', () => {
    const comparisons: Record<string, number>[] = [{ ConfidenceLessThan: 1e9 }, { ConfidenceGreaterThan: -1e9 }];
    for (const comparison of comparisons) {
      expect(check('missing.confidence', comparison)).toBe(false);
      expect(check("fields[?name=='nothing'].confidence", comparison)).toBe(false);
      expect(check('fields[*].confidence', comparison, { fields: [] })).toBe(false);
      expect(check('fields[*].confidence', comparison, {})).toBe(false);
    }
  });

  test('null yields nothing and nested lists yield their numbers (other non-numbers cannot be evaluated: malformed-output.test.ts)', () => {
    // Prepare
    const mixed = { scores: [null, [0.95], []] };

    // Act + Assess: null is skipped; the nested [0.95] yields 0.95
    expect(check('scores', { ConfidenceLessThan: 0.5 }, mixed)).toBe(false);
    expect(check('scores', { ConfidenceGreaterThan: 0.9 }, mixed)).toBe(true);
  });

  test('the filtered idiom checks only the selected field', () => {
    expect(check("fields[?name=='iban'].confidence", { ConfidenceLessThan: 0.8 })).toBe(true);
    expect(check("fields[?name=='total'].confidence", { ConfidenceLessThan: 0.8 })).toBe(false);
  });
});

describe('FieldValueCheck', () => {
  const check = (Path: string, test: Record<string, unknown>, record: unknown = invoice): boolean =>
    holds(leaf('FieldValueCheck', { Path, ...test }), record);

  test('Equals compares JSON values, type-sensitively', () => {
    expect(check('label', { Equals: 'fraud' })).toBe(true);
    expect(check('label', { Equals: 'Fraud' })).toBe(false);
    expect(check('totalAmount', { Equals: 12500 })).toBe(true);
    expect(check('totalAmount', { Equals: '12500' })).toBe(false);
    expect(check('reviewed', { Equals: false })).toBe(true);
    expect(check('reviewed', { Equals: 'false' })).toBe(false);
    expect(check('reviewed', { Equals: 0 })).toBe(false);
    expect(check('attempts', { Equals: false })).toBe(false);
    expect(check('attempts', { Equals: 0 })).toBe(true);
  });

  test('Equals compares objects by content, whatever the key order', () => {
    expect(check('vendor', { Equals: { country: 'DE', name: 'AnyCompany' } })).toBe(true);
    expect(check('vendor', { Equals: { name: 'AnyCompany' } })).toBe(false);
    expect(check('vendor', { Equals: { country: 'DE', name: 'AnyCompany', vat: null } })).toBe(false);
  });

  test('Equals is true when any value the path yields equals it', () => {
    expect(check('fields[*].name', { Equals: 'total' })).toBe(true);
    expect(check('fields[*].name', { Equals: 'vat' })).toBe(false);
  });

  test('NotEquals is true when some value the path yields differs, false when it yields nothing', () => {
    expect(check('label', { NotEquals: 'fraud' })).toBe(false);
    expect(check('label', { NotEquals: 'chargeback' })).toBe(true);
    expect(check('totalAmount', { NotEquals: '12500' })).toBe(true);
    expect(check('fields[*].name', { NotEquals: 'iban' })).toBe(true);
    expect(check('[label, label]', { NotEquals: 'fraud' })).toBe(false);
    expect(check('missing', { NotEquals: 'fraud' })).toBe(false);
  });

  test('In and NotIn test membership with the same equality', () => {
    expect(check('label', { In: ['fraud', 'chargeback'] })).toBe(true);
    expect(check('label', { In: ['chargeback'] })).toBe(false);
    expect(check('totalAmount', { In: ['12500', 12500.0] })).toBe(true);
    expect(check('totalAmount', { In: ['12500'] })).toBe(false);
    expect(check('vendor', { In: [{ name: 'AnyCompany', country: 'DE' }] })).toBe(true);
    expect(check('label', { In: [] })).toBe(false);
    expect(check('label', { NotIn: ['fraud', 'chargeback'] })).toBe(false);
    expect(check('label', { NotIn: ['chargeback'] })).toBe(true);
    expect(check('label', { NotIn: [] })).toBe(true);
    expect(check('missing', { NotIn: ['fraud'] })).toBe(false);
    expect(check('fields[*].name', { NotIn: ['iban', 'total'] })).toBe(true);
    expect(check('fields[*].name', { NotIn: ['iban', 'total', 'date'] })).toBe(false);
  });

  test('Matches tests strings against a regular expression (unanchored unless anchored), ignoring other values', () => {
    expect(check('fields[0].value', { Matches: '^DE\\d{20}$' })).toBe(true);
    expect(check('fields[0].value', { Matches: '^FR' })).toBe(false);
    expect(check('label', { Matches: 'rau' })).toBe(true);
    expect(check('label', { Matches: '^rau$' })).toBe(false);
    expect(check('totalAmount', { Matches: '12500' })).toBe(false);
    expect(check('fields[*].value', { Matches: '^\\d+\\.\\d{2}$' })).toBe(true);
    expect(check('missing', { Matches: '.*' })).toBe(false);
  });

  test('Exists: true when the path yields a non-null value (false, 0 and "" included), Exists: false when it yields none', () => {
    for (const path of ['label', 'reviewed', 'attempts', 'notes', 'fields[*].name']) {
      expect(check(path, { Exists: true })).toBe(true);
      expect(check(path, { Exists: false })).toBe(false);
    }
    for (const path of ['missing', 'fields[2].value', 'tags', "fields[?name=='vat'].value"]) {
      expect(check(path, { Exists: true })).toBe(false);
      expect(check(path, { Exists: false })).toBe(true);
    }
  });
});

describe('MissingField', () => {
  const missing = (Path: string, record: unknown): boolean => holds(leaf('MissingField', { Path }), record);

  test.each([
    ['null', { iban: null }],
    ['absent', {}],
    ['an empty string', { iban: '' }],
    ['an empty array', { iban: [] }],
    ['a record that is not an object', 'just text'],
  ])('a field that is %s is missing', (_case, record) => {
    expect(missing('iban', record)).toBe(true);
  });

  test.each([
    ['0', { iban: 0 }],
    ['false', { iban: false }],
    ['a blank string', { iban: ' ' }],
    ['an empty object', { iban: {} }],
    ['an array holding null', { iban: [null] }],
    ['a value', { iban: 'DE44500105175407324931' }],
  ])('a field that is %s is not missing', (_case, record) => {
    expect(missing('iban', record)).toBe(false);
  });

  test('the README idiom finds a field by name among fields', () => {
    const path = "fields[?name=='iban'].value | [0]";
    expect(missing(path, invoice)).toBe(false);
    expect(missing(path, { fields: [{ name: 'iban', value: '' }] })).toBe(true);
    expect(missing(path, { fields: [{ name: 'total', value: '1' }] })).toBe(true);
    expect(missing("fields[?name=='date'].value | [0]", invoice)).toBe(true);
  });

  test('a projection whose values are all null yields an empty array, which is missing', () => {
    expect(missing('fields[*].value', { fields: [{ value: null }, { value: null }] })).toBe(true);
    expect(missing('fields[*].value', { fields: [{ value: null }, { value: 'x' }] })).toBe(false);
  });
});

describe('Expression', () => {
  const truthy = (Expression: string, record: unknown = invoice): boolean => holds(leaf('Expression', { Expression }), record);

  test.each(['`false`', '`null`', '`""`', '`[]`', '`{}`', 'missing', 'notes', 'tags', 'reviewed'])('%s is falsy', (expression) => {
    expect(truthy(expression)).toBe(false);
  });

  test.each(['`true`', '`0`', '`"false"`', '`[false]`', '`{"a": null}`', 'attempts', 'vendor', 'label'])('%s is truthy', (expression) => {
    expect(truthy(expression)).toBe(true);
  });

  test('comparisons, boolean operators, filters and functions evaluate on the record', () => {
    expect(truthy('totalAmount > `10000`')).toBe(true);
    expect(truthy('totalAmount > `20000`')).toBe(false);
    expect(truthy("currency == 'EUR' && totalAmount >= `12500`")).toBe(true);
    expect(truthy("currency == 'USD' || reviewed")).toBe(false);
    expect(truthy('!reviewed')).toBe(true);
    expect(truthy('fields[?confidence < `0.7`]')).toBe(true);
    expect(truthy('fields[?confidence < `0.5`]')).toBe(false);
    expect(truthy('length(fields) > `2`')).toBe(true);
    expect(truthy("contains(fields[*].name, 'vat')")).toBe(false);
  });

  test('a comparison of a number with a non-number is null, hence false', () => {
    expect(truthy("label > `1`")).toBe(false);
    expect(truthy('missing < `1`')).toBe(false);
  });
});
