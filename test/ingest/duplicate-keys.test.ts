import fc from 'fast-check';
import { repeatedKeyPath } from '../../lib/ingest/duplicate-keys';

/**
 * repeatedKeyPath decides from counts (':' in the text against keys and ':' in the parsed value) and scans
 * only to name the key: on every valid JSON text it must find a repeated key exactly when some object of
 * the text repeats one, whatever the strings hold (':' in keys and values, `\u003a`, escaped quotes).
 */

class Obj {
  constructor(readonly members: [string, unknown][]) {}
}

const keyArbitrary = fc.oneof(fc.constantFrom('a', 'b', 'k', ':', 'a:b', '"', '\\', 'k\\', ''), fc.string({ maxLength: 3 }));
const scalarArbitrary = fc.oneof(fc.constantFrom(':', '::', 'a:b', 'http://x:1', '"', '\\'), fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
const { value: valueArbitrary } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalarArbitrary,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(keyArbitrary, tie('value')), { maxLength: 4 }).map((members) => new Obj(members as [string, unknown][])),
  ),
}));

/** JSON, with `\u` escapes (':' as `\u003a` among them) and spacing chosen by `choices`. */
function serialise(value: unknown, choices: () => number): string {
  const space = () => [' ', '', '\n'][choices() % 3];
  const string = (text: string) => {
    let out = '"';
    for (const char of text) {
      const pick = choices() % 4;
      if (pick === 0) out += [...char].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      else out += JSON.stringify(char).slice(1, -1);
    }
    return `${out}"`;
  };
  if (value instanceof Obj) return `{${space()}${value.members.map(([key, member]) => `${string(key)}${space()}:${space()}${serialise(member, choices)}`).join(`,${space()}`)}}`;
  if (Array.isArray(value)) return `[${value.map((item) => serialise(item, choices)).join(`,${space()}`)}]`;
  if (typeof value === 'string') return string(value);
  return JSON.stringify(value);
}

function repeats(value: unknown): boolean {
  if (value instanceof Obj) {
    const keys = value.members.map(([key]) => key);
    return new Set(keys).size < keys.length || value.members.some(([, member]) => repeats(member));
  }
  return Array.isArray(value) && value.some(repeats);
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

describe('repeatedKeyPath', () => {
  test('finds a repeated key exactly when an object of the text repeats one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArbitrary, valueArbitrary), { maxLength: 5 }), fc.integer(), (members, seed) => {
        const record = new Obj(members as [string, unknown][]);
        const text = serialise(record, chooser(seed));
        return (repeatedKeyPath(text, JSON.parse(text)) !== undefined) === repeats(record);
      }),
      { numRuns: 3000 },
    );
  });

  test('a record nested 10,000 levels deep is checked without running out of stack', () => {
    const deep = (inner: string) => `${'{"a":'.repeat(10_000)}${inner}${'}'.repeat(10_000)}`;
    expect(repeatedKeyPath(deep('{"k":"x:y"}'), JSON.parse(deep('{"k":"x:y"}')))).toBeUndefined();
    expect(repeatedKeyPath(deep('{"k":1,"k":2}'), JSON.parse(deep('{"k":1,"k":2}')))).toBe(`${'a.'.repeat(10_000)}k`);
  });

  test('names the first repeated key by its path, never a value', () => {
    expect(repeatedKeyPath('{"a":1,"a":2}', { a: 2 })).toBe('a');
    expect(repeatedKeyPath('{"x":[0,{"y":{"z:":1,"z\\u003a":2}}]}', { x: [0, { y: { 'z:': 2 } }] })).toBe('x[1].y."z:"');
    expect(repeatedKeyPath('{"url":"http://a:1","t":"10:00"}', { url: 'http://a:1', t: '10:00' })).toBeUndefined();
    expect(repeatedKeyPath('{"s":"a\\u003ab","t":"c"}', { s: 'a:b', t: 'c' })).toBeUndefined();
  });
});
