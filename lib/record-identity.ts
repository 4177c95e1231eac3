import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal records serialise identically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The identity deterministic sampling draws on: the workflow and the record's id when it has one,
 * otherwise a hash of the record's content.
 */
export function samplingIdentity(record: unknown, workflowName?: string, recordId?: string): string {
  if (workflowName !== undefined && recordId !== undefined) return `${workflowName}/${recordId}`;
  return `sha256:${sha256Hex(canonicalJson(record))}`;
}
