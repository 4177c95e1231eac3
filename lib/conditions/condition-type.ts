import type { AnyEvaluator, Evaluator } from '../jmespath';
import type { ParameterSpec } from './parameters';

/** What a leaf condition sees while one record is evaluated. */
export interface EvaluationContext {
  /** The record's sampling identity (computed on first use: many documents never sample). */
  identity(): string;
  /** Per-record memo for work several conditions share, such as indexing a Textract response once. */
  memo<T>(key: string, compute: () => T): T;
}

export type LeafTest = (record: unknown, context: EvaluationContext) => boolean;

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
