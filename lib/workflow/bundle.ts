import { readFileSync } from 'node:fs';
import type { CompiledWorkflow } from './assemble';
import { isFlowSpec, type Workflow } from './types';

/**
 * The deployed form of the workflows: their definitions as validated when the stack was packaged, as JSON.
 * Functions load this instead of the YAML files, so the YAML parser and the schema validator stay out of
 * their bundles and their cold starts; the expressions are compiled as from the files. The worker template of
 * each workflow with a flow spec travels too (`templates`): its flow definition's name is a hash of it, and
 * the functions compute that name (lib/flows/stack-flow.ts).
 */
export const WORKFLOW_BUNDLE_FORMAT = 'a2i-orchestrator/workflows@1';

/** The bundle's file in the package, relative to the function's root. */
export const WORKFLOW_BUNDLE_FILE = '.build/workflows.json';

export class WorkflowBundleError extends Error {
  override readonly name = 'WorkflowBundleError';
}

export function serialiseWorkflowBundle(workflows: CompiledWorkflow[]): string {
  const templates = Object.fromEntries(
    workflows.flatMap(({ definition }) => (isFlowSpec(definition.flowDefinition) ? [[definition.name, readFileSync(definition.flowDefinition.templateFile, 'utf8')]] : [])),
  );
  return `${JSON.stringify({ format: WORKFLOW_BUNDLE_FORMAT, workflows: workflows.map((workflow) => workflow.definition), templates }, null, 1)}\n`;
}

/**
 * The bundle's workflows, each compiled by `compile`: compileWorkflow (./compiled) where records are evaluated,
 * compileWorkflowWithoutConditions (./assemble) elsewhere. Passed in, so that this module imports no condition compiler.
 */
export function parseWorkflowBundle(text: string, source: string, compile: (definition: Workflow) => CompiledWorkflow): CompiledWorkflow[] {
  return parseBundle(text, source).workflows.map((definition) => compile(definition));
}

/** The worker template of each workflow with a flow spec, by workflow name. */
export function parseWorkflowTemplates(text: string, source: string): Map<string, string> {
  const { templates } = parseBundle(text, source);
  if (templates === null || typeof templates !== 'object') throw new WorkflowBundleError(`${source} carries no worker templates: package the stack again`);
  return new Map(Object.entries(templates as Record<string, string>));
}

function parseBundle(text: string, source: string): { workflows: Workflow[]; templates?: unknown } {
  let bundle: { format?: unknown; workflows?: unknown; templates?: unknown };
  try {
    bundle = JSON.parse(text) as typeof bundle;
  } catch (error) {
    throw new WorkflowBundleError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (bundle?.format !== WORKFLOW_BUNDLE_FORMAT || !Array.isArray(bundle.workflows)) {
    throw new WorkflowBundleError(`${source} is not a workflow bundle (${WORKFLOW_BUNDLE_FORMAT}): package the stack again`);
  }
  return { workflows: bundle.workflows as Workflow[], templates: bundle.templates };
}
