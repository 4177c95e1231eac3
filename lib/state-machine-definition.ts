import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
}

/** Where the state machine definitions live: pure ASL, the same file for CloudFormation, tests and local mode. */
export const REVIEW_LOOP_DEFINITION = join(__dirname, '..', 'statemachines', 'review-loop.asl.json');

/** The `${Name}` placeholders a definition uses (CloudFormation's DefinitionSubstitutions). */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]))].sort();
}

/** Reads an ASL file and substitutes its placeholders as CloudFormation would; a placeholder left without a value is an error. */
export function loadDefinition(file: string, substitutions: Record<string, string>): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const missing = placeholdersOf(text).filter((name) => substitutions[name] === undefined);
  if (missing.length > 0) throw new DefinitionError(`${file}: no value for ${missing.map((name) => `\${${name}}`).join(', ')}`);
  return JSON.parse(text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => substitutions[name]));
}
