import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { serialiseWorkflowBundle } from './bundle';
import { loadWorkflows } from './load';

/** Loads and validates the workflow files (failing on any problem) and writes their bundle: what the functions load. */
export function writeWorkflowBundle(paths: string[], file: string): void {
  const workflows = loadWorkflows(paths);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, serialiseWorkflowBundle(workflows));
}
