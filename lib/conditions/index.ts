export { compileConditions, ConditionDocumentError } from './compile';
export type { CompiledConditions, CompileOptions, ConditionIssue, ConditionResult, Decision } from './compile';
export type { PathCompiler } from './condition-type';
export { CONDITION_TYPES } from './registry';
export { firedConditions } from './fired';
