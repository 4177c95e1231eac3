export { compileWorkflow, type CompiledWorkflow } from './compiled';
export { type ConfigIssue, formatIssue, WorkflowConfigError } from './errors';
export { loadWorkflowFile, loadWorkflows, parseWorkflow } from './load';
export * from './types';
