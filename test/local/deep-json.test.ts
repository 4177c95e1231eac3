import fc from 'fast-check';
import { deepJsonText, iterativeJsonText } from '../../lib/local/deep-json';

describe('deepJsonText', () => {
  test('the loop writes what JSON.stringify writes, for any JSON value and the values JSON.stringify drops or changes', () => {
    const odd = fc.constantFrom<unknown>(undefined, () => 1, Symbol('s'), NaN, -Infinity, -0, new Date(0), 1e21);
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), odd, fc.array(tie('node')), fc.dictionary(fc.string(), tie('node'))),
    })).node;

    fc.assert(fc.property(value, (input) => expect(iterativeJsonText(input)).toBe(JSON.stringify(input))), { numRuns: 500 });
  });

  test('serialises a value far deeper than JSON.stringify can, to text JSON.parse reads back', () => {
    const depth = 100_000;
    let deep: unknown = 'bottom';
    for (let level = 0; level < depth; level++) deep = level % 2 === 0 ? { a: deep } : [deep];
    expect(() => JSON.stringify(deep)).toThrow(RangeError);

    const text = deepJsonText(deep);

    expect(text).toBe(`${'[{"a":'.repeat(depth / 2)}"bottom"${'}]'.repeat(depth / 2)}`);
    let node = JSON.parse(text) as unknown;
    for (let level = 0; level < depth; level++) node = Array.isArray(node) ? node[0] : (node as { a: unknown }).a;
    expect(node).toBe('bottom');
  });

  test('refuses a cycle as JSON.stringify does', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => iterativeJsonText(cycle)).toThrow(TypeError);
  });
});
