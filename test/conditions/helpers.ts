import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileConditions, ConditionDocumentError, type ConditionIssue, type Decision } from '../../lib/conditions';

/** Shared by the condition-engine tests: small builders, fixture loading and sampling statistics. */

export type Condition = Record<string, unknown>;

const FIXTURES = join(__dirname, '..', 'fixtures');

export function conditionFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'conditions', `${name}.json`), 'utf8'));
}

export function awsResponse(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'aws-responses', `${name}.json`), 'utf8'));
}

/** A fixed identity, for tests whose documents hold no Sampling condition. */
export const NO_SAMPLING = (): string => {
  throw new Error('identity asked for although the document holds no Sampling condition');
};

export function decide(document: unknown, record: unknown, identity: () => string = NO_SAMPLING): Decision {
  return compileConditions(document).evaluate(record, identity);
}

/** Evaluates one condition as the only top-level condition of a document. */
export function holds(condition: Condition, record: unknown): boolean {
  const decision = decide({ Conditions: [condition] }, record);
  return decision.humanTaskActivationConditionResults.Conditions[0].EvaluationResult;
}

/** The issues compileConditions reports for `document` (fails the test when it compiles). */
export function issuesOf(document: unknown): ConditionIssue[] {
  try {
    compileConditions(document);
  } catch (error) {
    if (error instanceof ConditionDocumentError) return error.issues;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(document)} to be rejected, but it compiled`);
}

export const leaf = (ConditionType: string, ConditionParameters: Record<string, unknown>): Condition => ({ ConditionType, ConditionParameters });
export const constant = (value: boolean): Condition => leaf('Expression', { Expression: `\`${value}\`` });

/** Removes EvaluationResult at every depth, which should leave the document as given. */
export function withoutResults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutResults);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'EvaluationResult')
      .map(([key, child]) => [key, key === 'ConditionParameters' ? child : withoutResults(child)]),
  );
}

/**
 * Whether `count` successes out of `n` independent draws are consistent with probability `p`: within five
 * standard deviations of the binomial mean, which a fair sampler misses less than once in a million runs.
 */
export function withinFiveSigma(count: number, n: number, p: number): boolean {
  return Math.abs(count - n * p) <= 5 * Math.sqrt(n * p * (1 - p));
}

export const identities = (n: number, prefix = 'record'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

// --- A minimal Textract AnalyzeDocument (FORMS) response builder for parameter-level tests ------------

export interface PairSpec {
  key: string;
  value: string;
  /** Confidence of the KEY_VALUE_SET blocks. */
  keyValue: number;
  /** One confidence per word of the key, or one for all of them. */
  keyWords: number | number[];
  valueWords: number | number[];
}

/** Builds PAGE, LINE, WORD and KEY_VALUE_SET (KEY and VALUE) blocks linked the way Textract links them. */
export function textractResponse(pairs: PairSpec[]): { DocumentMetadata: { Pages: number }; Blocks: Record<string, unknown>[] } {
  let next = 0;
  const id = (): string => `block-${++next}`;
  const page: Record<string, unknown> & { Relationships: { Type: string; Ids: string[] }[] } = {
    BlockType: 'PAGE',
    Id: id(),
    Relationships: [{ Type: 'CHILD', Ids: [] }],
  };
  const blocks: Record<string, unknown>[] = [page];
  const line = (text: string, confidences: number | number[]): string[] => {
    const words = text.split(' ');
    const wordIds = words.map((word, index) => {
      const confidence = Array.isArray(confidences) ? confidences[index] : confidences;
      const wordId = id();
      blocks.push({ BlockType: 'WORD', Confidence: confidence, Text: word, TextType: 'PRINTED', Id: wordId });
      return wordId;
    });
    const lineId = id();
    blocks.push({ BlockType: 'LINE', Confidence: 99, Text: text, Id: lineId, Relationships: [{ Type: 'CHILD', Ids: wordIds }] });
    page.Relationships[0].Ids.push(lineId);
    return wordIds;
  };
  for (const pair of pairs) {
    const keyWordIds = line(pair.key, pair.keyWords);
    const valueWordIds = pair.value === '' ? [] : line(pair.value, pair.valueWords);
    const keyId = id();
    const valueId = id();
    blocks.push({
      BlockType: 'KEY_VALUE_SET',
      EntityTypes: ['KEY'],
      Confidence: pair.keyValue,
      Id: keyId,
      Relationships: [
        { Type: 'VALUE', Ids: [valueId] },
        { Type: 'CHILD', Ids: keyWordIds },
      ],
    });
    blocks.push({
      BlockType: 'KEY_VALUE_SET',
      EntityTypes: ['VALUE'],
      Confidence: pair.keyValue,
      Id: valueId,
      ...(valueWordIds.length > 0 ? { Relationships: [{ Type: 'CHILD', Ids: valueWordIds }] } : {}),
    });
  }
  return { DocumentMetadata: { Pages: 1 }, Blocks: blocks };
}

/** A2I echoes service responses in camelCase (`blocks`, `blockType`, `moderationLabels`…): the same data, renamed. */
export function camelCaseEcho(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseEcho);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key[0].toLowerCase() + key.slice(1), camelCaseEcho(child)]));
}
