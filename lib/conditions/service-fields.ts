/**
 * Reads a field of an AWS service response given either as the API returns it (PascalCase, e.g.
 * `ModerationLabels[].Confidence`) or as A2I echoes it in `aiServiceResponse` (camelCase, e.g.
 * `moderationLabels[].confidence`), so both kinds of record evaluate alike.
 */
export function serviceField(value: unknown, pascalName: string): unknown {
  return serviceEntry(value, pascalName)?.[1];
}

/** The field's name as the record spells it (for error messages) and its value; undefined when absent. */
export function serviceEntry(value: unknown, pascalName: string): [name: string, value: unknown] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, pascalName)) return [pascalName, record[pascalName]];
  const camelName = pascalName[0].toLowerCase() + pascalName.slice(1);
  return Object.hasOwn(record, camelName) ? [camelName, record[camelName]] : undefined;
}

export const isJsonObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
