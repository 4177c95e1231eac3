export { compileConditions, ConditionDocumentError } from './compile';
export type { CompiledConditions, ConditionIssue, ConditionResult, Decision } from './compile';
export { CONDITION_TYPES } from './registry';
