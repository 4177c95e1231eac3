import { FirstRecords } from '../../lib/ingest/first-records';

describe('FirstRecords', () => {
  test('answers the first position of an id to every later record with it, and nothing to the first', () => {
    const firsts = new FirstRecords();

    expect(firsts.firstOf('a', 1)).toBeUndefined();
    expect(firsts.firstOf('b', 2)).toBeUndefined();
    expect(firsts.firstOf('a', 3)).toBe(1);
    expect(firsts.firstOf('a', 9)).toBe(1);
    expect(firsts.firstOf('b', 4)).toBe(2);
    // Ids are compared exactly: no trimming, no case folding, no number parsing.
    expect(firsts.firstOf('A', 5)).toBeUndefined();
    expect(firsts.firstOf('1', 6)).toBeUndefined();
    expect(firsts.firstOf('1.0', 7)).toBeUndefined();
    expect(firsts.firstOf('', 8)).toBeUndefined();
    expect(firsts.firstOf('', 10)).toBe(8);
    expect(firsts.unchecked).toBe(0);
  });

  test('keeps every id as it grows from its first slots to many thousands', () => {
    const firsts = new FirstRecords(2 ** 24, 4);
    const ids = Array.from({ length: 20_000 }, (_, index) => `doc-${index}`);

    expect(ids.filter((id, index) => firsts.firstOf(id, index) !== undefined)).toEqual([]);

    expect(ids.map((id, index) => firsts.firstOf(id, 50_000 + index))).toEqual(ids.map((_, index) => index));
    expect(firsts.unchecked).toBe(0);
  });

  test('position 0 and the largest position are kept apart from empty slots', () => {
    const firsts = new FirstRecords();
    firsts.firstOf('zero', 0);
    firsts.firstOf('max', 2 ** 32 - 2);
    expect(firsts.firstOf('zero', 5)).toBe(0);
    expect(firsts.firstOf('max', 5)).toBe(2 ** 32 - 2);
  });

  test('at its size limit it stops remembering new ids, counts them as unchecked, and still finds the ones it holds', () => {
    // 16 slots hold 12 ids at three-quarters load.
    const firsts = new FirstRecords(16, 16);
    for (let index = 0; index < 12; index++) expect(firsts.firstOf(`id-${index}`, index)).toBeUndefined();

    expect(firsts.firstOf('id-12', 12)).toBeUndefined();
    expect(firsts.firstOf('id-12', 13)).toBeUndefined();
    expect(firsts.unchecked).toBe(2);
    expect(firsts.firstOf('id-3', 14)).toBe(3);
  });
});
