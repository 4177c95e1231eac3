import { compileConditions, type CompiledConditions, type Decision } from '../conditions';
import { compileJmesPath, type Evaluator } from '../jmespath';
import type { Workflow } from './types';

/** A workflow with every expression compiled once, ready to evaluate records. */
export interface CompiledWorkflow {
  readonly definition: Workflow;
  readonly conditions: CompiledConditions;
  /** The record's id per `recordId`, as a string; undefined when not configured or not a string/number. */
  recordIdOf(record: unknown): string | undefined;
  /** The records inside a JSON document per `records` (the document itself when not configured). */
  recordsOf(document: unknown): unknown[] | undefined;
  /** InputContent's projection of the record. */
  project(record: unknown): unknown;
  /** The queue a reviewed-record message goes to: the first route whose `when` is truthy. */
  routes: ReadonlyArray<{ readonly queue: string; readonly when?: Evaluator }>;
  decide(record: unknown, identity: () => string): Decision;
}

export function compileWorkflow(definition: Workflow): CompiledWorkflow {
  const conditions = compileConditions(definition.activation);
  const recordId = definition.recordId === undefined ? undefined : compileJmesPath(definition.recordId);
  const records = definition.records === undefined ? undefined : compileJmesPath(definition.records);
  const projection = compileJmesPath(definition.input.projection);
  return {
    definition,
    conditions,
    recordIdOf(record) {
      if (!recordId) return undefined;
      const id = recordId(record);
      return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    },
    recordsOf(document) {
      if (!records) return [document];
      const found = records(document);
      return Array.isArray(found) ? found : undefined;
    },
    project: projection,
    routes: definition.routes.map((route) => ({ queue: route.queue, when: route.when === undefined ? undefined : compileJmesPath(route.when) })),
    decide: (record, identity) => conditions.evaluate(record, identity),
  };
}
