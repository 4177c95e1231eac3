import type { ConditionResult } from './compile';

/** The conditions that sent a record to people, as `<type> (<location>)`: the leaves that were true, and a Not that was. */
export function firedConditions(results: ConditionResult[], location = 'Conditions'): string[] {
  return results.flatMap((result, index) => {
    const here = `${location}[${index}]`;
    if (!result.EvaluationResult) return [];
    if (typeof result.ConditionType === 'string') return [`${result.ConditionType} (${here})`];
    for (const key of ['And', 'Or'] as const) {
      if (Array.isArray(result[key])) return firedConditions(result[key] as ConditionResult[], `${here}.${key}`);
    }
    return [`Not (${here})`];
  });
}
