import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { QueueAddress } from '../delivery';
import { workflowQueueName } from '../resource-names';
import { type CompiledWorkflow, compileWorkflowWithoutConditions } from '../workflow/assemble';
import { parseWorkflowBundle, WORKFLOW_BUNDLE_FILE } from '../workflow/bundle';
import type { Workflow } from '../workflow/types';
import { ConfigError, requireEnv } from './env';

type Env = Record<string, string | undefined>;

/** The deployed workflows' bundle, packaged with the function (WORKFLOWS_BUNDLE, relative to the function's root). */
export function workflowBundleFile(env: Env = process.env): string {
  return resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), env.WORKFLOWS_BUNDLE ?? WORKFLOW_BUNDLE_FILE);
}

/**
 * The deployed workflows, compiled by `compile`: compileWorkflow (lib/workflow/compiled) in the function that
 * evaluates records, compileWorkflowWithoutConditions (lib/workflow/assemble) in the others, whose bundles then
 * hold no condition compiler (nor re2js).
 */
export function deployedWorkflows(env: Env, compile: (definition: Workflow) => CompiledWorkflow): CompiledWorkflow[] {
  const file = workflowBundleFile(env);
  return parseWorkflowBundle(readFileSync(file, 'utf8'), file, compile);
}

/**
 * Each workflow queue's address, from its name (lib/resource-names.ts): QUEUE_URL_BASE (the account's SQS
 * URL, `https://sqs.<region>.<suffix>/<account>/`) and QUEUE_NAME_PREFIX (`<service>-<stage>`).
 */
export function queueDirectory(workflows: CompiledWorkflow[], env: Env = process.env): (workflow: string, queue: string) => QueueAddress {
  const base = requireEnv('QUEUE_URL_BASE', env);
  if (!base.endsWith('/')) throw new ConfigError(`QUEUE_URL_BASE must end with "/", got ${JSON.stringify(base)}`);
  const stage = requireEnv('QUEUE_NAME_PREFIX', env);
  const directory = new Map<string, QueueAddress>();
  for (const { definition } of workflows) {
    for (const [queue, { fifo }] of Object.entries(definition.queues)) {
      directory.set(`${definition.name}/${queue}`, { url: `${base}${workflowQueueName(stage, definition.name, queue, fifo)}`, fifo });
    }
  }
  return (workflow, queue) => {
    const address = directory.get(`${workflow}/${queue}`);
    if (!address) throw new ConfigError(`no queue "${queue}" for workflow "${workflow}"`);
    return address;
  };
}

/** Each workflow's queue for `invalid` messages: where a message too large for SQS even by reference goes as its MessageTooLarge stand-in. */
export function invalidQueueDirectory(workflows: CompiledWorkflow[], queueAddress: (workflow: string, queue: string) => QueueAddress): (workflow: string) => QueueAddress {
  const queues = new Map(workflows.map(({ definition }) => [definition.name, definition.invalid.queue]));
  return (workflow) => queueAddress(workflow, queues.get(workflow) ?? '');
}

export interface WorkflowLookup {
  all: CompiledWorkflow[];
  /** The deployed workflow of that name; a ConfigError if there is none. */
  byName(name: string): CompiledWorkflow;
}

/** The deployed workflows without their activation conditions (the review loop's steps never evaluate one), by name. */
export function deployedWorkflowLookup(env: Env = process.env): WorkflowLookup {
  const all = deployedWorkflows(env, compileWorkflowWithoutConditions);
  const byName = new Map(all.map((workflow) => [workflow.definition.name, workflow]));
  return {
    all,
    byName(name) {
      const found = byName.get(name);
      if (!found) throw new ConfigError(`workflow "${name}" is not deployed`);
      return found;
    },
  };
}
