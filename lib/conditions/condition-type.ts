import type { AnyEvaluator, Evaluator } from '../jmespath';
import type { ParameterSpec } from './parameters';

/** What a leaf condition sees while one record is evaluated. */
export interface EvaluationContext {
  /** The record's sampling identity (computed on first use: many documents never sample). */
  identity(): string;
  /** Per-record memo for work several conditions share, such as indexing a Textract response once. */
  memo<T>(key: string, compute: () => T): T;
}

/**
 * A leaf's answer on one record. It throws ConditionEvaluationError when the record is not what the
 * condition's type requires (malformed model output): see compile.ts for what that does to the decision.
 */
export type LeafTest = (record: unknown, context: EvaluationContext) => boolean;

/**
 * The record cannot be evaluated as the condition's type requires: a list that is not a list, a confidence
 * that is not a number. The message says what, in terms of the record's fields and JSON types, never its
 * values (it reaches consumers and reviewers, and ids only reach logs).
 */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

/** A JSON value's kind for an error message ("a string", "null"): never the value itself. */
export function describeJsonType(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export interface ConditionType {
  readonly name: string;
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
  /** Checks that involve several parameters; each string is one reason. */
  validate?(parameters: Record<string, unknown>): string[];
  /** Called only with parameters that passed validation; `location` salts deterministic sampling. */
  compile(parameters: Record<string, unknown>, location: string, compilePath: PathCompiler): LeafTest;
}

/** Turns JMESPath expressions into evaluators (injectable so the benchmark can compare strategies). */
export interface PathCompiler {
  value(expression: string): Evaluator;
  any(expression: string): AnyEvaluator;
}
