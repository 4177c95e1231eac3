export { compileWorkflow, compileWorkflowWithoutConditions, type CompiledWorkflow, ConditionsNotLoadedError } from './compiled';
export { type ConfigIssue, formatIssue, WorkflowConfigError } from './errors';
export { loadWorkflowFile, loadWorkflows, parseWorkflow } from './load';
export * from './types';
export { parseWorkflowBundle, serialiseWorkflowBundle, WORKFLOW_BUNDLE_FILE, WorkflowBundleError } from './bundle';
export { writeWorkflowBundle } from './write-bundle';
