import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildStack, type StackModel } from '../deploy/stack-model';
import { type CompiledWorkflow, isFlowSpec } from '../workflow';

/** The local stack's service and stage: its functions are then named `a2i-local-<function>`, as lib/local/functions names them. */
export const LOCAL_STACK_OPTIONS = { service: 'a2i', stage: 'local' } as const;
export const LOCAL_STACK_NAME = `${LOCAL_STACK_OPTIONS.service}-${LOCAL_STACK_OPTIONS.stage}`;

/**
 * The stack `serverless package` would generate for these workflows, so that local mode runs what the
 * stack says. buildStack reads a root's workflows/ directory, and the local workflows may be any files:
 * each is copied there as JSON, its worker template named by absolute path (the one path a workflow
 * resolves against its own directory).
 */
export function localStackModel(workflows: CompiledWorkflow[]): StackModel {
  const root = mkdtempSync(join(tmpdir(), 'a2i-local-stack-'));
  try {
    mkdirSync(join(root, 'workflows'));
    for (const { definition } of workflows) {
      const data = parse(readFileSync(definition.file, 'utf8')) as { flowDefinition?: { template?: string } };
      if (isFlowSpec(definition.flowDefinition) && data.flowDefinition) data.flowDefinition.template = definition.flowDefinition.templateFile;
      writeFileSync(join(root, 'workflows', `${definition.name}.json`), JSON.stringify(data));
    }
    return buildStack({ root, ...LOCAL_STACK_OPTIONS });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
