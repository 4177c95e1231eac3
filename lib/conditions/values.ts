/** The values a path yields: nothing for null, each element (nested arrays flattened) for an array. */
export function yieldedValues(result: unknown): unknown[] {
  if (result === null || result === undefined) return [];
  if (!Array.isArray(result)) return [result];
  const out: unknown[] = [];
  const visit = (items: unknown[]): void => {
    for (const item of items) {
      if (Array.isArray(item)) visit(item);
      else if (item !== null && item !== undefined) out.push(item);
    }
  };
  visit(result);
  return out;
}
