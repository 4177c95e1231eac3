import { compileConditions } from '../conditions';
import { assembleWorkflow, type CompiledWorkflow } from './assemble';
import type { Workflow } from './types';

export { type CompiledWorkflow, compileWorkflowWithoutConditions, ConditionsNotLoadedError } from './assemble';

/** The workflow with its activation conditions compiled (lib/conditions, whose Matches runs on re2js). */
export function compileWorkflow(definition: Workflow): CompiledWorkflow {
  return assembleWorkflow(definition, compileConditions);
}
