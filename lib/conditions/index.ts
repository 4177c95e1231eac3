export { compileConditions, ConditionDocumentError, UNDECIDED_OPERAND } from './compile';
export type { CompiledConditions, CompileOptions, ConditionIssue, ConditionResult, Decision } from './compile';
export { ConditionEvaluationError } from './condition-type';
export type { PathCompiler } from './condition-type';
export { CONDITION_TYPES } from './registry';
export { conditionErrors, firedConditions } from './fired';
