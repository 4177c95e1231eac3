import fc from 'fast-check';
import { recordIdReader } from '../../lib/ingest/record-id-text';
import { compileWorkflow } from '../../lib/workflow/compiled';
import type { Workflow } from '../../lib/workflow';

/**
 * The splitter reads record ids from the text (lib/ingest/record-id-text.ts); the consumer parses the record
 * and evaluates `recordId`. On every valid JSON text the two must agree exactly, or the line the splitter
 * keeps for an id would not be the one that holds it.
 */

const workflowWith = (recordId: string) =>
  compileWorkflow({ name: 'ids', recordId, input: { projection: '@', oversize: 'invalid' }, activation: { Conditions: [{ ConditionType: 'Expression', ConditionParameters: { Expression: 'x' } }] }, routes: [] } as unknown as Workflow);

/** What the consumer computes: JSON.parse, then the workflow's recordIdOf (compiled.ts), which reads a number's literal from the text. */
function consumerId(text: string, recordId: string): string | undefined {
  const record: unknown = JSON.parse(text);
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  return workflowWith(recordId).recordIdOf(record, text);
}

const readerFor = (recordId: string) => {
  const workflow = workflowWith(recordId);
  return recordIdReader(recordId, (record, text) => workflow.recordIdOf(record, text));
};

/** A number written as it is (JSON.stringify would write another text for most of these). */
class Literal {
  constructor(readonly text: string) {}
}
/** Numbers whose text is not the shortest round trip of their double: each is its own id. */
const LITERALS = ['12345678901234567890', '12345678901234567891', '-0', '0', '1.0', '1', '1e400', '-1e400', '1E2', '0.10', '1e-400', '9007199254740993'];

const FIELDS = ['id', 'documentId', 'record id', '__proto__', 'constructor'];

/** Keys likely to collide with the field, at any depth. */
const keyArbitrary = fc.oneof(
  fc.constantFrom(...FIELDS, 'Id', 'ids', 'i', 'd', ''),
  // Keys that hold the field's name between escaped quotes or backslashes.
  fc.constantFrom(...FIELDS.flatMap((field) => [`x"${field}`, `"${field}"`, `\\${field}`, `${field}\\`])),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const scalarArbitrary = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('id', '"id":', '\\', '"', '{', '}', '[', ']', ':', ','),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e21, 1.5e-7, 100),
  fc.constantFrom(...LITERALS).map((text) => new Literal(text)),
  fc.boolean(),
  fc.constant(null),
);
const { value: valueArbitrary } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalarArbitrary,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(keyArbitrary, tie('value')), { maxLength: 4 }),
  ),
}));
/** A top-level object as a list of members: keys may repeat (JSON.parse keeps the last one). */
const membersArbitrary = fc.array(fc.tuple(keyArbitrary, valueArbitrary), { maxLength: 6 });

/**
 * Serialises like JSON.stringify, but with whitespace between tokens and `\u` escapes (of any character) and
 * `\/` chosen by `choices`: the same JSON, written as other writers write it.
 */
function serialise(value: unknown, choices: () => number, asObject = false): string {
  const space = () => [' ', '', '\t', '\n', '\r', '  '][choices() % 6];
  const string = (text: string) => {
    let out = '"';
    for (const char of text) {
      const plain = JSON.stringify(char).slice(1, -1);
      const pick = choices() % 5;
      if (pick === 0) out += [...char].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      else if (pick === 1 && char === '/') out += '\\/';
      else out += plain;
    }
    return `${out}"`;
  };
  const members = (entries: [string, unknown][]) => `{${space()}${entries.map(([key, member]) => `${string(key)}${space()}:${space()}${serialise(member, choices)}`).join(`${space()},${space()}`)}${space()}}`;
  if (asObject) return members(value as [string, unknown][]);
  if (Array.isArray(value) && value.every((item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') && choices() % 2 === 0) {
    return members(value as [string, unknown][]);
  }
  if (Array.isArray(value)) return `[${space()}${value.map((item) => serialise(item, choices)).join(`${space()},${space()}`)}${space()}]`;
  if (typeof value === 'string') return string(value);
  if (value instanceof Literal) return value.text;
  return JSON.stringify(value);
}

const chooser = (seed: number) => {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
};

/** A member named `field` somewhere among the members, as JSON.stringify would write it or otherwise. */
const withField = (field: string) =>
  fc.tuple(membersArbitrary, fc.nat(6), scalarArbitrary).map(([members, at, value]) => {
    const copy = [...members];
    copy.splice(Math.min(at, copy.length), 0, [field, value]);
    return copy;
  });

/** The field at the top level among decoys: keys that hold its name with escaped quotes or backslashes, and objects that hold it nested. */
const withDecoys = (field: string) => {
  const decoyKey = fc.constantFrom(`x"${field}`, `"${field}"`, `\\${field}`, `${field}\\`, `${field} `, field.toUpperCase());
  const decoy = fc.oneof(
    fc.tuple(decoyKey, scalarArbitrary),
    fc.tuple(keyArbitrary, scalarArbitrary.map((value) => [[field, value]])),
    fc.tuple(keyArbitrary, fc.constant([[[field, 'nested in a list']]])),
  );
  return fc.tuple(fc.array(decoy, { maxLength: 3 }), scalarArbitrary, fc.array(decoy, { maxLength: 3 }), fc.boolean()).map(([before, value, after, twice]) => [
    ...before,
    [field, value],
    ...after,
    ...(twice ? [[field, 'the last one counts'] as [string, unknown]] : []),
  ]);
};

describe('recordIdReader', () => {
  test.each(FIELDS)('agrees with JSON.parse and recordIdOf on every valid text (field %j)', (field) => {
    const recordId = JSON.stringify(field);
    const read = readerFor(recordId);
    fc.assert(
      fc.property(fc.oneof(membersArbitrary, withField(field), withDecoys(field)), fc.integer(), (members, seed) => {
        const text = serialise(members, chooser(seed), true);
        return read(text) === consumerId(text, recordId);
      }),
      { numRuns: 1500 },
    );
  });

  test('agrees on texts written by JSON.stringify with nested same-name keys, repeated keys and every kind of value', () => {
    const read = readerFor('id');
    const cases = [
      '{"id":"a","items":[{"id":1},{"id":2}]}',
      '{"items":[{"id":1}],"id":"late"}',
      '{"items":{"id":1}}',
      '{"id":"first","id":"second"}',
      '{"id":"x","id":null}',
      '{"id":{"id":"inner"}}',
      '{"note":"the \\"id\\": 7","id":"real"}',
      '{"x\\"id":1}',
      '{"x\\"id":1,"id":"after an escaped quote"}',
      '{"x\\\\":"id","id":"after an escaped backslash"}',
      '{"label":"id","x":1}',
      '{"i\\u0064":"escaped key"}',
      '{"id":"caf\\u00e9 \\"quoted\\""}',
      '{"id":-0}',
      '{"id":1.50e2}',
      '{"id":12345678901234567890}',
      '{"id":true}',
      '{"id":[1]}',
      '{ "id" : "spaced" }',
      '\t{"id":"tab before"}',
      '{}',
      '[{"id":"in an array"}]',
      '"id"',
    ];
    for (const text of cases) expect([text, read(text)]).toEqual([text, consumerId(text, 'id')]);
  });

  test('a number id is its literal text as written, never a double: in the fast reader and in the parsed path alike', () => {
    for (const recordId of ['id', 'meta.id', 'ids[-1]']) {
      const read = readerFor(recordId);
      const wrap = (literal: string) => (recordId === 'id' ? `{"id":${literal}}` : recordId === 'meta.id' ? `{"meta":{"x":[1,{"id":0}],"id":${literal}}}` : `{"ids":["a",{"b":"]"},${literal}]}`);
      const ids = LITERALS.map((literal) => read(wrap(literal)));
      expect(ids).toEqual(LITERALS);
      // The consumer's own reading of the parsed record gives the same.
      expect(LITERALS.map((literal) => consumerId(wrap(literal), recordId))).toEqual(LITERALS);
    }
    // A number and a string with the same text are one id; the string "Infinity" is not 1e400.
    const read = readerFor('id');
    expect(read('{"id":1}')).toBe(read('{"id":"1"}'));
    expect(read('{"id":1e400}')).toBe(read('{"id":"1e400"}'));
    expect(read('{"id":1e400}')).not.toBe(read('{"id":"Infinity"}'));
    expect(read('{"id":1.0}')).not.toBe(read('{"id":1}'));
    expect(read('{"id":-0}')).not.toBe(read('{"id":0}'));
  });

  test('reads paths other than one field by parsing, exactly', () => {
    const read = readerFor('meta.id');
    expect(read('{"meta":{"id":"n1"},"id":"top"}')).toBe('n1');
    expect(read('{"meta":{"id":12345678901234567890},"id":"top"}')).toBe('12345678901234567890');
    expect(read('{"meta":{"id":1},"meta":{"id":2.50}}')).toBe('2.50');
    expect(read('{"id":"top"}')).toBeUndefined();
    expect(read('{"meta":{"id":"n1"}')).toBeUndefined();
  });

  test('on a text that is not JSON the answer is still the text\'s alone (the consumer, reading the same text, agrees)', () => {
    const read = readerFor('id');
    // A model that writes NaN (Python's json.dumps does): the line names its id at the top level.
    expect(read('{"id":"nan-1","confidence":NaN}')).toBe('nan-1');
    expect(read('{"id":"cut-off","fields":[')).toBe('cut-off');
    expect(read('not json')).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const first = read(text);
        return first === read(text) && (first === undefined || typeof first === 'string');
      }),
    );
  });
});
