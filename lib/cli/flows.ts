import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../clock';
import { type FlowApi, sageMakerFlowApi } from '../flows/api';
import { FlowSpecError } from '../flows/errors';
import { apply, describeAction, type DesiredFlow, desiredFlow, type FlowDefaults, flowTargetOf, plan, readState } from '../flows/flow-plan';
import { isFlowSpec, loadWorkflows } from '../workflow';
import { cliClientConfig } from './aws-config';
import { type Io, UsageError } from './io';

export const FLOWS_USAGE =
  'a2i-orchestrator flows plan|apply --role-arn ARN --output-path s3://BUCKET/PREFIX [--workflows DIR] [--workteam-arn ARN] [--kms-key-id ID] [--name-prefix PREFIX] [--timeout SECONDS]';

export interface FlowsOptions {
  workflows?: string;
  'role-arn'?: string;
  'output-path'?: string;
  'workteam-arn'?: string;
  'kms-key-id'?: string;
  'name-prefix'?: string;
  timeout?: string;
}

export interface FlowsDeps {
  /** Defaults to the SDK's SageMaker client: AWS, or the emulator through AWS_ENDPOINT_URL_SAGEMAKER. */
  api?: FlowApi;
  clock?: Pick<Clock, 'now' | 'sleep'>;
}

/**
 * `flows plan` prints what `flows apply` would do to the workflows' HumanTaskUis and FlowDefinitions
 * (create the current version, prune older ones), changing nothing; `flows apply` does it. The same code
 * as the stack's custom resource, for teams that manage A2I resources outside CloudFormation.
 * Exit codes: 0 done, 1 an AWS call or the flow definition failed, 2 usage or configuration.
 */
export async function flowsCommand(subcommand: string | undefined, options: FlowsOptions, io: Io, deps: FlowsDeps = {}): Promise<number> {
  if (subcommand !== 'plan' && subcommand !== 'apply') throw new UsageError(subcommand ? `unknown flows command "${subcommand}"` : 'flows needs a command: plan or apply');
  if (!options['role-arn']) throw new UsageError('flows needs --role-arn (the role A2I assumes)');
  const timeoutSeconds = options.timeout === undefined ? 600 : Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(options.timeout)}`);
  const defaults: FlowDefaults = {
    roleArn: options['role-arn'],
    ...(options['output-path'] ? { outputPath: options['output-path'] } : {}),
    ...(options['workteam-arn'] ? { workteamArn: options['workteam-arn'] } : {}),
    ...(options['kms-key-id'] ? { kmsKeyId: options['kms-key-id'] } : {}),
    ...(options['name-prefix'] ? { namePrefix: options['name-prefix'] } : {}),
  };

  const workflows = loadWorkflows([options.workflows ?? 'workflows']).map((compiled) => compiled.definition);
  const desired: DesiredFlow[] = [];
  const specErrors: FlowSpecError[] = [];
  for (const workflow of workflows) {
    if (!isFlowSpec(workflow.flowDefinition)) {
      await io.out(`= ${workflow.name}: uses ${workflow.flowDefinition.arn} (not managed here)\n`);
      continue;
    }
    try {
      desired.push(desiredFlow(flowTargetOf(workflow, defaults)));
    } catch (error) {
      if (!(error instanceof FlowSpecError)) throw error;
      specErrors.push(error);
    }
  }
  if (specErrors.length > 0) {
    for (const error of specErrors) io.err(`${error.message}\n`);
    return 2;
  }

  let client: SageMakerClient | undefined;
  const api = deps.api ?? sageMakerFlowApi((client = new SageMakerClient(cliClientConfig('SAGEMAKER'))));
  try {
    const flowPlan = plan(desired, await readState(api, desired, 'all'), { prune: true });
    if (subcommand === 'plan') {
      for (const action of flowPlan.actions) await io.out(`${describeAction(action)}   (${action.workflow})\n`);
      await io.out(flowPlan.actions.length === 0 ? 'no changes\n' : `${flowPlan.actions.length} action${flowPlan.actions.length === 1 ? '' : 's'}\n`);
      return 0;
    }
    const flows = await apply(flowPlan, api, {
      timeoutMs: timeoutSeconds * 1000,
      ...(deps.clock ? { clock: deps.clock } : {}),
      onAction: (action) => io.out(`${describeAction(action)}   (${action.workflow})\n`),
      onKept: ({ name }) => io.out(`~ kept human task UI ${name}: its flow definition is still Deleting; run flows apply again once it is gone\n`),
    });
    for (const flow of flows) await io.out(`ok ${flow.workflow}: ${flow.flowDefinitionArn} (task UI ${flow.humanTaskUiArn})\n`);
    if (flowPlan.actions.length === 0) await io.out('no changes\n');
    return 0;
  } catch (error) {
    io.err(`a2i-orchestrator flows ${subcommand}: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    client?.destroy();
  }
}
