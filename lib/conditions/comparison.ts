/**
 * A2I's comparison suffixes: a parameter named `<Prefix>Equals`, `<Prefix>LessThan`… holds the bound.
 * One or more may be given; all of them must hold for the same number.
 */
export const COMPARISON_SUFFIXES = ['Equals', 'LessThan', 'LessThanEquals', 'GreaterThan', 'GreaterThanEquals'] as const;
export type ComparisonSuffix = (typeof COMPARISON_SUFFIXES)[number];

const TESTS: Record<ComparisonSuffix, (value: number, bound: number) => boolean> = {
  Equals: (value, bound) => value === bound,
  LessThan: (value, bound) => value < bound,
  LessThanEquals: (value, bound) => value <= bound,
  GreaterThan: (value, bound) => value > bound,
  GreaterThanEquals: (value, bound) => value >= bound,
};

export type NumberTest = (value: number) => boolean;

export function comparisonParameterNames(prefix: string): string[] {
  return COMPARISON_SUFFIXES.map((suffix) => prefix + suffix);
}

/** Builds the conjunction of the comparisons present in `parameters` for `prefix`; undefined when none is. */
export function compileComparisons(prefix: string, parameters: Record<string, unknown>): NumberTest | undefined {
  const tests: NumberTest[] = [];
  for (const suffix of COMPARISON_SUFFIXES) {
    const bound = parameters[prefix + suffix];
    if (typeof bound !== 'number') continue;
    const test = TESTS[suffix];
    tests.push((value) => test(value, bound));
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (value) => tests.every((test) => test(value));
}
