import type { CompiledConditions, Decision } from '../conditions';
import { conditionErrors } from '../conditions/fired';
import { compileJmesPath, type Evaluator } from '../jmespath';
import { numberLiteralAt } from '../json-scan';
import { plainPath } from './plain-path';
import type { Workflow } from './types';

/** A workflow with every expression compiled once, ready to evaluate records. */
export interface CompiledWorkflow {
  readonly definition: Workflow;
  readonly conditions: CompiledConditions;
  /**
   * The record's id per `recordId`: a string as it is, a number as its literal text in `text` (the record's
   * JSON) when `recordId` is a path (fields and indexes), so that `12345678901234567890`, `1.0` and `-0`
   * stay what they are; a number an expression computes (or without the text) as JavaScript writes it.
   * Undefined when not configured or not a string/number.
   */
  recordIdOf(record: unknown, text?: string): string | undefined;
  /** The records inside a JSON document per `records` (the document itself when not configured). */
  recordsOf(document: unknown): unknown[] | undefined;
  /** InputContent's projection of the record. */
  project(record: unknown): unknown;
  /** The queue a reviewed-record message goes to: the first route whose `when` is truthy. */
  routes: ReadonlyArray<{ readonly queue: string; readonly when?: Evaluator }>;
  /**
   * The record's decision as the workflow acts on it: with `onConditionError: review`, a record on which a
   * condition could not be evaluated is activated (a person sees it, and the decision's EvaluationError says
   * why); with `invalid` (the default) ingest makes it invalid before it gets here.
   */
  decide(record: unknown, identity: () => string): Decision;
}

/** Compiles a workflow's activation document (lib/conditions' compileConditions). */
export type ActivationCompiler = (activation: unknown) => CompiledConditions;

/**
 * A workflow compiled with `compileActivation` for its conditions. This module imports no condition compiler:
 * compileWorkflow (./compiled) passes lib/conditions' one, and compileWorkflowWithoutConditions none, so the
 * functions that never evaluate a condition bundle neither the compiler nor re2js.
 */
export function assembleWorkflow(definition: Workflow, compileActivation: ActivationCompiler): CompiledWorkflow {
  const conditions = compileActivation(definition.activation);
  const recordId = definition.recordId === undefined ? undefined : compileJmesPath(definition.recordId);
  const recordIdPath = definition.recordId === undefined ? undefined : plainPath(definition.recordId);
  const records = definition.records === undefined ? undefined : compileJmesPath(definition.records);
  const projection = compileJmesPath(definition.input.projection);
  return {
    definition,
    conditions,
    recordIdOf(record, text) {
      if (!recordId) return undefined;
      const id = recordId(record);
      if (typeof id === 'string') return id;
      if (typeof id !== 'number') return undefined;
      return (text !== undefined && recordIdPath !== undefined ? numberLiteralAt(text, recordIdPath) : undefined) ?? String(id);
    },
    recordsOf(document) {
      if (!records) return [document];
      const found = records(document);
      return Array.isArray(found) ? found : undefined;
    },
    project: projection,
    routes: definition.routes.map((route) => ({ queue: route.queue, when: route.when === undefined ? undefined : compileJmesPath(route.when) })),
    decide(record, identity) {
      const decision = conditions.evaluate(record, identity);
      if (decision.activated || definition.onConditionError !== 'review') return decision;
      return conditionErrors(decision.humanTaskActivationConditionResults.Conditions).length > 0 ? { ...decision, activated: true } : decision;
    },
  };
}

/** A workflow's conditions used where they were not loaded: a wiring mistake, never a record's fault. */
export class ConditionsNotLoadedError extends Error {
  override readonly name = 'ConditionsNotLoadedError';
}

/**
 * A workflow for the functions that route, consolidate and deliver but never decide activation (the S3 and
 * EventBridge splitters, the review loop's steps): its records, ids, projection and routes compile as in
 * compileWorkflow; its conditions are not compiled, and evaluating them throws ConditionsNotLoadedError.
 */
export function compileWorkflowWithoutConditions(definition: Workflow): CompiledWorkflow {
  const notLoaded = (): never => {
    throw new ConditionsNotLoadedError(`workflow "${definition.name}": this function loads workflows without their activation conditions`);
  };
  return assembleWorkflow(definition, () => ({ evaluate: notLoaded, summarize: notLoaded }));
}
