import { comparisonParameterNames, compileComparisons } from '../comparison';
import { ConditionEvaluationError, type ConditionType, describeJsonType, type EvaluationContext } from '../condition-type';
import { aNumberIn, aString, aStringArray, optional, required } from '../parameters';
import { isJsonObject, serviceEntry, serviceField } from '../service-fields';

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
  /** The Confidence of the KEY block (the key-value block), as given. */
  keyValueConfidence: GivenConfidence;
  /** The Confidences of the WORD blocks making up the key and its value, as given. */
  wordConfidences: GivenConfidence[];
}

/** A confidence as the response gives it, and where (for error messages). */
interface GivenConfidence {
  at: string;
  value: unknown;
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
    return (record, context) => {
      // Every matching pair and word is looked at: the answer must not depend on where a malformed one is.
      let holds = false;
      for (const pair of formPairs(record, context)) {
        if (!matches(pair.key)) continue;
        const keyValueHolds = !keyValueTest || keyValueTest(confidence(pair.keyValueConfidence));
        let wordsHold = true;
        if (wordTest) for (const word of pair.wordConfidences) if (!wordTest(confidence(word))) wordsHold = false;
        if (keyValueHolds && wordsHold) holds = true;
      }
      return holds;
    };
  },
};

/** A confidence a comparison needs: a number, or the record cannot be evaluated. */
function confidence(given: GivenConfidence): number {
  if (typeof given.value !== 'number') throw new ConditionEvaluationError(`${given.at} is ${describeJsonType(given.value)}, not a number`);
  return given.value;
}

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

/**
 * The form's key-value pairs. No `Blocks` at all is a response without blocks (no keys). What the index
 * reads must have its JSON type, or the record cannot be evaluated (ConditionEvaluationError): `Blocks` a
 * list of objects, `BlockType` and a key word's `Text` strings, `EntityTypes`, `Relationships` (of objects)
 * and `Ids` lists. Confidences are checked where a comparison reads them.
 */
function indexFormPairs(record: unknown): FormPair[] {
  const entry = serviceEntry(record, 'Blocks');
  if (entry === undefined) return [];
  const [field, blocks] = entry;
  if (!Array.isArray(blocks)) throw new ConditionEvaluationError(`${field} is ${describeJsonType(blocks)}, not a list`);
  const located: Located[] = blocks.map((block: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isJsonObject(block)) throw new ConditionEvaluationError(`${at} is ${describeJsonType(block)}, not an object`);
    return { block, at, type: typed(block, at, 'BlockType', 'string') as string | undefined };
  });
  const byId = new Map<unknown, Located>();
  for (const block of located) byId.set(serviceField(block.block, 'Id'), block);

  const pairs: FormPair[] = [];
  for (const block of located) {
    if (block.type !== 'KEY_VALUE_SET') continue;
    const entityTypes = typed(block.block, block.at, 'EntityTypes', 'list') as unknown[] | undefined;
    if (!entityTypes?.includes('KEY')) continue;
    const keyWords = related(block, 'CHILD', byId).filter(isWord);
    const valueWords = related(block, 'VALUE', byId).flatMap((value) => related(value, 'CHILD', byId).filter(isWord));
    pairs.push({
      key: keyWords.map((word) => (typed(word.block, word.at, 'Text', 'string') as string | undefined) ?? '').join(' '),
      keyValueConfidence: givenConfidence(block),
      wordConfidences: [...keyWords, ...valueWords].map(givenConfidence),
    });
  }
  return pairs;
}

function givenConfidence(block: Located): GivenConfidence {
  const entry = serviceEntry(block.block, 'Confidence');
  return { at: `${block.at}.${entry?.[0] ?? 'Confidence'}`, value: entry?.[1] };
}

/** A block and where it is in the response (for error messages). */
interface Located {
  block: Record<string, unknown>;
  at: string;
  type: string | undefined;
}

/** A field of a block that must have a JSON type when present; undefined when absent. */
function typed(value: Record<string, unknown>, at: string, pascalName: string, kind: 'string' | 'list'): unknown {
  const entry = serviceEntry(value, pascalName);
  if (entry === undefined) return undefined;
  const ok = kind === 'list' ? Array.isArray(entry[1]) : typeof entry[1] === kind;
  if (!ok) throw new ConditionEvaluationError(`${at}.${entry[0]} is ${describeJsonType(entry[1])}, not ${kind === 'list' ? 'a list' : 'a string'}`);
  return entry[1];
}

function related(block: Located, type: string, byId: Map<unknown, Located>): Located[] {
  const relationships = typed(block.block, block.at, 'Relationships', 'list') as unknown[] | undefined;
  if (!relationships) return [];
  const out: Located[] = [];
  relationships.forEach((relationship: unknown, index) => {
    const at = `${block.at}.Relationships[${index}]`;
    if (!isJsonObject(relationship)) throw new ConditionEvaluationError(`${at} is ${describeJsonType(relationship)}, not an object`);
    if (typed(relationship, at, 'Type', 'string') !== type) return;
    const ids = typed(relationship, at, 'Ids', 'list') as unknown[] | undefined;
    for (const id of ids ?? []) {
      const target = byId.get(id);
      if (target) out.push(target);
    }
  });
  return out;
}

const isWord = (block: Located): boolean => block.type === 'WORD';
