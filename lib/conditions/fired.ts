import type { ConditionIssue, ConditionResult } from './compile';

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

/**
 * The leaves of a reported decision that could not be evaluated, wherever they are (a decided subtree
 * included), each at its location with its type and reason: `{location: "Conditions[0].Or[1]", message:
 * "FieldConfidenceCheck: …"}`.
 */
export function conditionErrors(results: readonly ConditionResult[]): ConditionIssue[] {
  return results.flatMap((result, index) => errorsAt(result, `Conditions[${index}]`));
}

function errorsAt(result: ConditionResult, location: string): ConditionIssue[] {
  if (typeof result.ConditionType === 'string') {
    return result.EvaluationError === undefined ? [] : [{ location, message: `${result.ConditionType}: ${result.EvaluationError}` }];
  }
  for (const key of ['And', 'Or'] as const) {
    const operands = result[key];
    if (Array.isArray(operands)) return (operands as ConditionResult[]).flatMap((operand, index) => errorsAt(operand, `${location}.${key}[${index}]`));
  }
  // Not takes an object or an array of one; its location follows the form given (as compile.ts names it).
  const operand = result.Not;
  if (Array.isArray(operand)) return errorsAt(operand[0] as ConditionResult, `${location}.Not[0]`);
  return operand !== undefined ? errorsAt(operand as ConditionResult, `${location}.Not`) : [];
}
