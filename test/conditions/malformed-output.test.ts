import fc from 'fast-check';
import { compileConditions, type ConditionResult, type Decision } from '../../lib/conditions';
import { camelCaseEcho, constant, leaf, textractResponse, type Condition, NO_SAMPLING } from './helpers';

/**
 * Fail safe on malformed model output: a record that a condition cannot evaluate as its type requires is
 * never auto-accepted. The engine reports such a leaf with EvaluationError (and no answer); what a record
 * with errors becomes (invalid, or a person) is the workflow's setting, tested in test/ingest.
 */

/** A record value no message may repeat: reasons reach consumers, and they name types, not content. */
const SECRET = 'SECRET-7731';

interface Evaluated {
  decision: Decision;
  /** The first top-level node's report. */
  root: ConditionResult;
  /** Every node that says it could not be evaluated: [location, EvaluationError]. */
  errors: [string, string][];
  summary: ReturnType<ReturnType<typeof compileConditions>['summarize']>;
}

function evaluated(conditions: Condition[], record: unknown): Evaluated {
  const compiled = compileConditions({ Conditions: conditions });
  const decision = compiled.evaluate(record, NO_SAMPLING);
  const errors: [string, string][] = [];
  const walk = (node: ConditionResult, location: string): void => {
    if (typeof node.EvaluationError === 'string') errors.push([location, node.EvaluationError]);
    for (const key of ['And', 'Or'] as const) if (Array.isArray(node[key])) (node[key] as ConditionResult[]).forEach((child, i) => walk(child, `${location}.${key}[${i}]`));
    if (Array.isArray(node.Not)) walk(node.Not[0] as ConditionResult, `${location}.Not[0]`);
    else if (node.Not) walk(node.Not as ConditionResult, `${location}.Not`);
  };
  decision.humanTaskActivationConditionResults.Conditions.forEach((node, i) => walk(node, `Conditions[${i}]`));
  return { decision, root: decision.humanTaskActivationConditionResults.Conditions[0], errors, summary: compiled.summarize(record, NO_SAMPLING) };
}

/** One condition on one record: its EvaluationError, or undefined when it was evaluated (and its result). */
function single(condition: Condition, record: unknown): { error?: string; result: boolean } {
  const { root } = evaluated([condition], record);
  return { error: root.EvaluationError, result: root.EvaluationResult };
}

const moderation = (comparisons: Record<string, number>, ModerationLabelName = 'Suggestive'): Condition =>
  leaf('ModerationLabelConfidenceCheck', { ModerationLabelName, ...comparisons });

describe('ModerationLabelConfidenceCheck on malformed responses', () => {
  const label = (extra: Record<string, unknown>) => ({ Name: 'Suggestive', ParentName: '', Confidence: 88.5, ...extra });

  test.each([
    ['a string', SECRET, 'a string'],
    ['an object', { first: SECRET }, 'an object'],
    ['a number', 3, 'a number'],
    ['null', null, 'null'],
  ])('ModerationLabels that is %s cannot be evaluated', (_kind, labels, described) => {
    for (const [field, record] of [
      ['ModerationLabels', { ModerationLabels: labels }],
      ['moderationLabels', { moderationLabels: labels }],
    ] as const) {
      const { error, result } = single(moderation({ ConfidenceLessThan: 99 }), record);
      expect(error).toBe(`${field} is ${described}, not a list`);
      expect(result).toBe(false);
    }
  });

  test.each([
    ['a string', SECRET, 'a string'],
    ['a list', [label({})], 'a list'],
    ['null', null, 'null'],
    ['a number', 7, 'a number'],
  ])('a label that is %s cannot be evaluated, wherever it is in the list', (_kind, bad, described) => {
    expect(single(moderation({ ConfidenceLessThan: 99 }), { ModerationLabels: [label({}), bad] }).error).toBe(`ModerationLabels[1] is ${described}, not an object`);
    // First or last: the true label before it does not hide it.
    expect(single(moderation({ ConfidenceLessThan: 99 }, '*'), { ModerationLabels: [bad, label({})] }).error).toBe(`ModerationLabels[0] is ${described}, not an object`);
  });

  test.each([
    ['a string', '88.5', 'a string'],
    ['null', null, 'null'],
    ['a boolean', true, 'a boolean'],
    ['missing', undefined, 'missing'],
  ])('a compared label whose Confidence is %s cannot be evaluated', (_kind, confidence, described) => {
    const bad = confidence === undefined ? { Name: 'Suggestive' } : label({ Confidence: confidence });
    const record = { ModerationLabels: [label({ Name: 'Other', Confidence: 10 }), bad] };
    expect(single(moderation({ ConfidenceLessThan: 99 }), record).error).toBe(`ModerationLabels[1].Confidence is ${described}, not a number`);
    expect(single(moderation({ ConfidenceLessThan: 99 }, '*'), record).error).toBe(`ModerationLabels[1].Confidence is ${described}, not a number`);
    // A2I's camelCase echo names its own field.
    expect(single(moderation({ ConfidenceLessThan: 99 }), camelCaseEcho(record)).error).toBe(
      confidence === undefined ? 'moderationLabels[1].Confidence is missing, not a number' : `moderationLabels[1].confidence is ${described}, not a number`,
    );
  });

  test('a label the condition does not compare is not read: its malformed Confidence is no error', () => {
    const record = { ModerationLabels: [label({ Name: 'Violence', Confidence: 'high' }), label({ Confidence: 50 })] };
    expect(single(moderation({ ConfidenceLessThan: 60 }), record)).toEqual({ result: true });
  });

  test('a Name that is not a string cannot be evaluated when a label is named, and is not read for "*"', () => {
    const record = { ModerationLabels: [label({ Name: 42 })] };
    expect(single(moderation({ ConfidenceLessThan: 99 }), record).error).toBe('ModerationLabels[0].Name is a number, not a string');
    expect(single(moderation({ ConfidenceLessThan: 99 }, '*'), record)).toEqual({ result: true });
  });

  test('yields nothing is an answer: no ModerationLabels at all, an empty list or a label without a Name is false, with no error', () => {
    expect(single(moderation({ ConfidenceLessThan: 99 }), { Labels: [] })).toEqual({ result: false });
    expect(single(moderation({ ConfidenceLessThan: 99 }), { ModerationLabels: [] })).toEqual({ result: false });
    expect(single(moderation({ ConfidenceLessThan: 99 }), { ModerationLabels: [{ Confidence: 50 }] })).toEqual({ result: false });
  });
});

describe('Textract conditions on malformed responses', () => {
  const form = () => textractResponse([{ key: 'Pay Date', value: '01/31/2024', keyValue: 58, keyWords: [80, 82], valueWords: 84 }]);
  /** The index of the first block matching `where` in a fresh form, and the form. */
  const blockOf = (where: (block: Record<string, unknown>) => boolean) => {
    const record = form();
    return { record, at: record.Blocks.findIndex(where) };
  };
  const isKey = (block: Record<string, unknown>) => block.BlockType === 'KEY_VALUE_SET' && (block.EntityTypes as string[]).includes('KEY');
  const isKeyWord = (block: Record<string, unknown>) => block.BlockType === 'WORD' && block.Text === 'Pay';
  const keyValueCheck = leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: 'Pay Date', KeyValueBlockConfidenceLessThan: 60 });
  const wordCheck = leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: 'Pay Date', WordBlockConfidenceLessThan: 90 });
  const missingKey = leaf('MissingImportantFormKey', { ImportantFormKey: 'Net Pay' });

  test.each([
    ['a string', SECRET, 'a string'],
    ['an object', { page: 1 }, 'an object'],
    ['null', null, 'null'],
  ])('Blocks that is %s cannot be evaluated by any Textract condition', (_kind, blocks, described) => {
    for (const condition of [keyValueCheck, wordCheck, missingKey]) {
      expect(single(condition, { Blocks: blocks }).error).toBe(`Blocks is ${described}, not a list`);
      expect(single(condition, { blocks }).error).toBe(`blocks is ${described}, not a list`);
    }
  });

  test('a block that is not an object cannot be evaluated', () => {
    const record = form();
    record.Blocks.push(SECRET as never);
    for (const condition of [keyValueCheck, wordCheck, missingKey]) expect(single(condition, record).error).toBe(`Blocks[${record.Blocks.length - 1}] is a string, not an object`);
  });

  test.each([
    ['a string', '58', 'a string'],
    ['null', null, 'null'],
    ['missing', undefined, 'missing'],
  ])('the matching KEY block with a Confidence that is %s cannot be evaluated by a KeyValueBlockConfidence comparison', (_kind, confidence, described) => {
    const { record, at } = blockOf(isKey);
    if (confidence === undefined) delete record.Blocks[at].Confidence;
    else record.Blocks[at].Confidence = confidence;
    expect(single(keyValueCheck, record).error).toBe(`Blocks[${at}].Confidence is ${described}, not a number`);
    // Not read without that comparison, nor when the key does not match.
    expect(single(leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: 'Pay Date', WordBlockConfidenceLessThan: 99 }), record)).toEqual({ result: true });
    expect(single(leaf('ImportantFormKeyConfidenceCheck', { ImportantFormKey: 'Net Pay', KeyValueBlockConfidenceLessThan: 60 }), record)).toEqual({ result: false });
    expect(single(missingKey, record)).toEqual({ result: true });
  });

  test('a word of the matching key with a Confidence that is not a number cannot be evaluated by a WordBlockConfidence comparison', () => {
    const { record, at } = blockOf(isKeyWord);
    record.Blocks[at].Confidence = '80';
    expect(single(wordCheck, record).error).toBe(`Blocks[${at}].Confidence is a string, not a number`);
    expect(single(keyValueCheck, record)).toEqual({ result: true });
  });

  test('the structure the index follows must have its types: Relationships, Ids, EntityTypes, BlockType, a key word\'s Text', () => {
    const cases: [string, (block: Record<string, unknown>) => boolean, string, unknown, string][] = [
      ['Relationships', isKey, 'Relationships', SECRET, 'Relationships is a string, not a list'],
      ['a relationship', isKey, 'Relationships', [SECRET], 'Relationships[0] is a string, not an object'],
      ['Ids', isKey, 'Relationships', [{ Type: 'CHILD', Ids: SECRET }], 'Relationships[0].Ids is a string, not a list'],
      ['EntityTypes', isKey, 'EntityTypes', 'KEY', 'EntityTypes is a string, not a list'],
      ['BlockType', isKeyWord, 'BlockType', 7, 'BlockType is a number, not a string'],
      ['Text', isKeyWord, 'Text', 7, 'Text is a number, not a string'],
    ];
    for (const [, where, field, value, message] of cases) {
      const { record, at } = blockOf(where);
      record.Blocks[at][field] = value;
      for (const condition of [keyValueCheck, missingKey]) expect(single(condition, record).error).toBe(`Blocks[${at}].${message}`);
    }
  });

  test('yields nothing is an answer: no Blocks at all is a response without keys (MissingImportantFormKey true), with no error', () => {
    expect(single(keyValueCheck, { DocumentMetadata: { Pages: 1 } })).toEqual({ result: false });
    expect(single(missingKey, { DocumentMetadata: { Pages: 1 } })).toEqual({ result: true });
    expect(single(missingKey, { Blocks: [] })).toEqual({ result: true });
  });
});

describe('FieldConfidenceCheck on malformed output', () => {
  const check = (Path: string, comparisons: Record<string, number> = { ConfidenceLessThan: 0.8 }) => leaf('FieldConfidenceCheck', { Path, ...comparisons });

  test.each([
    ['a string such as "0.4"', '0.4', 'a string'],
    ['a boolean', false, 'a boolean'],
    ['an object', { value: 0.4, note: SECRET }, 'an object'],
  ])('a path yielding %s cannot be evaluated', (_kind, value, described) => {
    expect(single(check('confidence'), { confidence: value }).error).toBe(`Path "confidence" yields ${described}, not a number`);
    expect(single(check('fields[*].confidence'), { fields: [{ confidence: 0.9 }, { confidence: value }] }).error).toBe(
      `Path "fields[*].confidence" yields ${described}, not a number`,
    );
  });

  test('a non-number is an error wherever it is among the values, even next to a number that passes', () => {
    for (const fields of [
      [{ confidence: 0.5 }, { confidence: '0.4' }],
      [{ confidence: '0.4' }, { confidence: 0.5 }],
    ]) {
      expect(single(check('fields[*].confidence'), { fields }).error).toBe('Path "fields[*].confidence" yields a string, not a number');
    }
  });

  test('yields nothing is an answer: a missing field, null and an empty list are false, with no error (JMESPath cannot tell null from missing)', () => {
    expect(single(check('confidence'), {})).toEqual({ result: false });
    expect(single(check('confidence'), { confidence: null })).toEqual({ result: false });
    expect(single(check('fields[*].confidence'), { fields: [] })).toEqual({ result: false });
    expect(single(check('fields[*].confidence'), { fields: [{ confidence: null }, { confidence: 0.5 }] })).toEqual({ result: true });
    expect(single(check('scores'), { scores: [[0.5], []] })).toEqual({ result: true });
  });
});

describe('errors under And, Or and Not', () => {
  const broken = leaf('FieldConfidenceCheck', { Path: 'confidence', ConfidenceLessThan: 0.8 });
  const record = { confidence: '0.4' };
  const ERROR = 'Path "confidence" yields a string, not a number';

  test('Or with a true operand is true, and the error inside it is still reported', () => {
    const { decision, root, errors } = evaluated([{ Or: [constant(true), broken] }], record);
    expect(root.EvaluationResult).toBe(true);
    expect(root.EvaluationError).toBeUndefined();
    expect(decision.activated).toBe(true);
    expect(errors).toEqual([['Conditions[0].Or[1]', ERROR]]);
  });

  test('And with a false operand is false, and the error inside it is still reported', () => {
    const { decision, root, errors } = evaluated([{ And: [broken, constant(false)] }], record);
    expect(root).toMatchObject({ EvaluationResult: false });
    expect(root.EvaluationError).toBeUndefined();
    expect(decision.activated).toBe(false);
    expect(errors).toEqual([['Conditions[0].And[0]', ERROR]]);
  });

  test('otherwise the combinator is undecided: reported false with an EvaluationError, and Not of undecided is undecided', () => {
    const undecided = 'an operand could not be evaluated';
    const { decision, errors } = evaluated([{ And: [constant(true), broken] }, { Or: [constant(false), broken] }, { Not: broken }, { Not: [{ Not: [broken] }] }], record);
    expect(decision.humanTaskActivationConditionResults.Conditions.map((node) => [node.EvaluationResult, node.EvaluationError])).toEqual([
      [false, undecided],
      [false, undecided],
      [false, undecided],
      [false, undecided],
    ]);
    // Not(error) is not "true": nothing here activates.
    expect(decision.activated).toBe(false);
    expect(errors.filter(([, message]) => message === ERROR).map(([location]) => location)).toEqual([
      'Conditions[0].And[1]',
      'Conditions[1].Or[1]',
      'Conditions[2].Not',
      'Conditions[3].Not[0].Not[0]',
    ]);
  });

  test('summarize reports the same errors and exactly the JSON of the full decision; the cache of well-formed decisions is not touched', () => {
    const document = [{ Or: [broken, constant(false)] }];
    const compiled = compileConditions({ Conditions: document });
    const wellFormed = { confidence: 0.9 };
    const before = compiled.summarize(wellFormed, NO_SAMPLING);

    const summary = compiled.summarize(record, NO_SAMPLING);

    expect(summary).toEqual({
      activated: false,
      json: JSON.stringify(compiled.evaluate(record, NO_SAMPLING)),
      errors: [{ location: 'Conditions[0].Or[0]', message: `FieldConfidenceCheck: ${ERROR}` }],
    });
    // Same mask as the well-formed record (nothing true), but not its cached JSON; nor the other way round.
    expect(summary.json).not.toBe(before.json);
    expect(compiled.summarize(wellFormed, NO_SAMPLING)).toEqual(before);
    expect(before.errors).toBeUndefined();
  });

  test('no reason carries the record\'s content', () => {
    const records = [{ confidence: { note: SECRET } }, { ModerationLabels: SECRET }, { ModerationLabels: [{ Name: 'Suggestive', Confidence: SECRET }] }, { Blocks: [SECRET] }];
    const conditions = [broken, moderation({ ConfidenceLessThan: 99 }), leaf('MissingImportantFormKey', { ImportantFormKey: 'Pay Date' })];
    for (const one of records) {
      const { errors, summary } = evaluated(conditions, one);
      expect(errors.length).toBeGreaterThan(0);
      expect(JSON.stringify(errors)).not.toContain(SECRET);
      expect(JSON.stringify(summary.errors)).not.toContain(SECRET);
    }
  });
});

/**
 * The three-valued semantics, on random trees whose leaves are true, false or not evaluable (a
 * FieldConfidenceCheck on a field that holds a string), against an independent model.
 */
describe('three-valued logic of And, Or and Not', () => {
  type Truth = 'true' | 'false' | 'error';
  const leafOf = (truth: Truth): Condition =>
    truth === 'error' ? leaf('FieldConfidenceCheck', { Path: 'text', ConfidenceLessThan: 1 }) : constant(truth === 'true');
  const { tree } = fc.letrec<{ tree: Condition }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom<Truth>('true', 'false', 'error').map(leafOf),
      fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((operands) => ({ And: operands })),
      fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((operands) => ({ Or: operands })),
      tie('tree').map((operand) => ({ Not: operand })),
      tie('tree').map((operand) => ({ Not: [operand] })),
    ),
  }));
  const model = (condition: Condition): Truth => {
    if ('And' in condition) {
      const values = (condition.And as Condition[]).map(model);
      return values.includes('false') ? 'false' : values.includes('error') ? 'error' : 'true';
    }
    if ('Or' in condition) {
      const values = (condition.Or as Condition[]).map(model);
      return values.includes('true') ? 'true' : values.includes('error') ? 'error' : 'false';
    }
    if ('Not' in condition) {
      const value = model(Array.isArray(condition.Not) ? condition.Not[0] : (condition.Not as Condition));
      return value === 'error' ? 'error' : value === 'true' ? 'false' : 'true';
    }
    return condition.ConditionType === 'FieldConfidenceCheck' ? 'error' : (condition.ConditionParameters as { Expression: string }).Expression === '`true`' ? 'true' : 'false';
  };
  const leaves = (condition: Condition): number => {
    if ('And' in condition || 'Or' in condition) return ((condition.And ?? condition.Or) as Condition[]).reduce((sum, operand) => sum + leaves(operand), 0);
    if ('Not' in condition) return leaves(Array.isArray(condition.Not) ? condition.Not[0] : (condition.Not as Condition));
    return condition.ConditionType === 'FieldConfidenceCheck' ? 1 : 0;
  };
  const reported = (node: ConditionResult): Truth => (node.EvaluationError !== undefined ? 'error' : node.EvaluationResult ? 'true' : 'false');
  const record = { text: 'not a number' };

  test('each top-level node reports the model\'s value, activation needs a definitely true one, every broken leaf is listed, and summarize agrees', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), (trees) => {
        const { decision, summary } = evaluated(trees, record);
        const values = decision.humanTaskActivationConditionResults.Conditions.map(reported);
        const brokenLeaves = trees.reduce((sum, one) => sum + leaves(one), 0);
        return (
          JSON.stringify(values) === JSON.stringify(trees.map(model)) &&
          decision.activated === values.includes('true') &&
          summary.activated === decision.activated &&
          summary.json === JSON.stringify(decision) &&
          (summary.errors?.length ?? 0) === brokenLeaves
        );
      }),
      { numRuns: 300 },
    );
  });
});
