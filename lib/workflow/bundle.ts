import { compileWorkflow, type CompiledWorkflow } from './compiled';
import type { Workflow } from './types';

/**
 * The deployed form of the workflows: their definitions as validated when the stack was packaged, as JSON.
 * Functions load this instead of the YAML files, so the YAML parser and the schema validator stay out of
 * their bundles and their cold starts; the expressions are compiled as from the files.
 */
export const WORKFLOW_BUNDLE_FORMAT = 'a2i-orchestrator/workflows@1';

/** The bundle's file in the package, relative to the function's root. */
export const WORKFLOW_BUNDLE_FILE = '.build/workflows.json';

export class WorkflowBundleError extends Error {
  override readonly name = 'WorkflowBundleError';
}

export function serialiseWorkflowBundle(workflows: CompiledWorkflow[]): string {
  return `${JSON.stringify({ format: WORKFLOW_BUNDLE_FORMAT, workflows: workflows.map((workflow) => workflow.definition) }, null, 1)}\n`;
}

export function parseWorkflowBundle(text: string, source: string): CompiledWorkflow[] {
  let bundle: { format?: unknown; workflows?: unknown };
  try {
    bundle = JSON.parse(text) as typeof bundle;
  } catch (error) {
    throw new WorkflowBundleError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (bundle?.format !== WORKFLOW_BUNDLE_FORMAT || !Array.isArray(bundle.workflows)) {
    throw new WorkflowBundleError(`${source} is not a workflow bundle (${WORKFLOW_BUNDLE_FORMAT}): package the stack again`);
  }
  return (bundle.workflows as Workflow[]).map((definition) => compileWorkflow(definition));
}
