export { compileConditions, ConditionDocumentError, DOCUMENT_LIMITS, EVALUATION_STEPS, UNDECIDED_OPERAND } from './compile';
export { PARAMETER_LIMITS } from './parameters';
export type { CompiledConditions, CompileOptions, ConditionIssue, ConditionResult, Decision } from './compile';
export { ConditionEvaluationError } from './condition-type';
export type { PathCompiler } from './condition-type';
export { CONDITION_TYPES } from './registry';
export { conditionErrors, firedConditions } from './fired';
