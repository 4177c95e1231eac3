import { comparisonParameterNames, compileComparisons } from '../comparison';
import type { ConditionType, EvaluationContext } from '../condition-type';
import { aNumberIn, aString, aStringArray, optional, required } from '../parameters';
import { serviceField } from '../service-fields';

/**
 * A2I's Textract AnalyzeDocument (FORMS) conditions, on the raw response `{"Blocks": [...]}` (or A2I's
 * camelCase echo of it, `{"blocks": [...]}`).
 *
 * A form key's text is its KEY block's WORD children joined by single spaces, matched exactly
 * (case-sensitive, as A2I's own examples list "Mail Address:" and "Mail address:" as separate aliases)
 * against `ImportantFormKey` and `ImportantFormKeyAliases`; `*` matches every key.
 */

interface FormPair {
  key: string;
  /** Confidence of the KEY block: the key-value block. */
  keyValueConfidence: number | undefined;
  /** Confidences of the WORD blocks making up the key and its value. */
  wordConfidences: number[];
}

const keyParameters = {
  ImportantFormKey: required(aString),
  ImportantFormKeyAliases: optional(aStringArray),
};
const keyValueComparisons = comparisonParameterNames('KeyValueBlockConfidence');
const wordComparisons = comparisonParameterNames('WordBlockConfidence');

/**
 * True when a detected pair whose key matches has a key-value block confidence satisfying every
 * `KeyValueBlockConfidence…` comparison and, for `WordBlockConfidence…`, every word block of its key and
 * value satisfying it (A2I: "the confidences of each of the word blocks making up the key and value").
 */
export const importantFormKeyConfidenceCheck: ConditionType = {
  name: 'ImportantFormKeyConfidenceCheck',
  parameters: {
    ...keyParameters,
    // Textract's confidences are percentages too.
    ...Object.fromEntries([...keyValueComparisons, ...wordComparisons].map((name) => [name, optional(aNumberIn(0, 100))])),
  },
  validate: (parameters) =>
    compileComparisons('KeyValueBlockConfidence', parameters) || compileComparisons('WordBlockConfidence', parameters)
      ? []
      : [`needs at least one of ${[...keyValueComparisons, ...wordComparisons].join(', ')}`],
  compile(parameters) {
    const matches = keyMatcher(parameters);
    const keyValueTest = compileComparisons('KeyValueBlockConfidence', parameters);
    const wordTest = compileComparisons('WordBlockConfidence', parameters);
    return (record, context) =>
      formPairs(record, context).some((pair) => {
        if (!matches(pair.key)) return false;
        if (keyValueTest && (pair.keyValueConfidence === undefined || !keyValueTest(pair.keyValueConfidence))) return false;
        return !wordTest || pair.wordConfidences.every(wordTest);
      });
  },
};

/** True when no detected key matches `ImportantFormKey` or any of its aliases. */
export const missingImportantFormKey: ConditionType = {
  name: 'MissingImportantFormKey',
  parameters: keyParameters,
  compile(parameters) {
    const matches = keyMatcher(parameters);
    return (record, context) => !formPairs(record, context).some((pair) => matches(pair.key));
  },
};

function keyMatcher(parameters: Record<string, unknown>): (key: string) => boolean {
  const names = [parameters.ImportantFormKey as string, ...((parameters.ImportantFormKeyAliases as string[] | undefined) ?? [])];
  if (names.includes('*')) return () => true;
  const wanted = new Set(names.map((name) => name.trim()));
  return (key) => wanted.has(key);
}

function formPairs(record: unknown, context: EvaluationContext): FormPair[] {
  return context.memo('textract.formPairs', () => indexFormPairs(record));
}

function indexFormPairs(record: unknown): FormPair[] {
  const blocks = serviceField(record, 'Blocks');
  if (!Array.isArray(blocks)) return [];
  const byId = new Map<unknown, unknown>();
  for (const block of blocks) byId.set(serviceField(block, 'Id'), block);

  const pairs: FormPair[] = [];
  for (const block of blocks) {
    const entityTypes = serviceField(block, 'EntityTypes');
    if (serviceField(block, 'BlockType') !== 'KEY_VALUE_SET' || !Array.isArray(entityTypes) || !entityTypes.includes('KEY')) continue;
    const keyWords = related(block, 'CHILD', byId).filter(isWord);
    const valueWords = related(block, 'VALUE', byId).flatMap((value) => related(value, 'CHILD', byId).filter(isWord));
    const keyValueConfidence = serviceField(block, 'Confidence');
    pairs.push({
      key: keyWords.map((word) => String(serviceField(word, 'Text') ?? '')).join(' '),
      keyValueConfidence: typeof keyValueConfidence === 'number' ? keyValueConfidence : undefined,
      wordConfidences: [...keyWords, ...valueWords].map((word) => {
        const confidence = serviceField(word, 'Confidence');
        return typeof confidence === 'number' ? confidence : NaN;
      }),
    });
  }
  return pairs;
}

function related(block: unknown, type: string, byId: Map<unknown, unknown>): unknown[] {
  const relationships = serviceField(block, 'Relationships');
  if (!Array.isArray(relationships)) return [];
  const out: unknown[] = [];
  for (const relationship of relationships) {
    const ids = serviceField(relationship, 'Ids');
    if (serviceField(relationship, 'Type') !== type || !Array.isArray(ids)) continue;
    for (const id of ids) if (byId.has(id)) out.push(byId.get(id));
  }
  return out;
}

const isWord = (block: unknown): boolean => serviceField(block, 'BlockType') === 'WORD';
