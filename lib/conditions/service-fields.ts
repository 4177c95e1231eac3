/**
 * Reads a field of an AWS service response given either as the API returns it (PascalCase, e.g.
 * `ModerationLabels[].Confidence`) or as A2I echoes it in `aiServiceResponse` (camelCase, e.g.
 * `moderationLabels[].confidence`), so both kinds of record evaluate alike.
 */
export function serviceField(value: unknown, pascalName: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, pascalName)) return record[pascalName];
  const camelName = pascalName[0].toLowerCase() + pascalName.slice(1);
  return Object.hasOwn(record, camelName) ? record[camelName] : undefined;
}
