import { compileEventPattern } from '../event-pattern';
import { compileJmesPath } from '../jmespath';
import type { CompiledWorkflow } from '../workflow/compiled';
import { isS3Source } from '../workflow/types';

/**
 * The workflows an object belongs to: same bucket (a workflow without `bucket` takes the stack's input
 * bucket), key under the prefix, and ending in one of the suffixes (or that suffix plus `.gz`).
 */
export function workflowsForObject(workflows: Iterable<CompiledWorkflow>, bucket: string, key: string, inputBucket?: string): CompiledWorkflow[] {
  const matches: CompiledWorkflow[] = [];
  for (const workflow of workflows) {
    const { source } = workflow.definition;
    if (!isS3Source(source)) continue;
    const { s3 } = source;
    if ((s3.bucket ?? inputBucket) !== bucket || !key.startsWith(s3.prefix)) continue;
    const plain = key.endsWith('.gz') ? key.slice(0, -3) : key;
    if (s3.suffix.length > 0 && !s3.suffix.some((suffix) => key.endsWith(suffix) || plain.endsWith(suffix))) continue;
    matches.push(workflow);
  }
  return matches;
}

export interface EventRoute {
  workflow: CompiledWorkflow;
  matches(event: unknown): boolean;
  /** The workflow's `source.eventBridge.record`, and what it yields in an event: the record. */
  recordPath: string;
  recordOf(event: unknown): unknown;
}

/** Each EventBridge-sourced workflow with its pattern and record path compiled once. */
export function eventRoutes(workflows: Iterable<CompiledWorkflow>): EventRoute[] {
  const routes: EventRoute[] = [];
  for (const workflow of workflows) {
    const { source } = workflow.definition;
    if (isS3Source(source)) continue;
    const { pattern, record } = source.eventBridge;
    routes.push({ workflow, matches: compileEventPattern(pattern), recordPath: record, recordOf: compileJmesPath(record) });
  }
  return routes;
}
