import { join } from 'node:path';
import { DEPLOYED_FUNCTIONS, type DeployedFunction } from '../../lib/deploy/function-roles';
import { buildStack, type StackModel } from '../../lib/deploy/stack-model';
import type { CfnValueContext } from '../../lib/local/cfn-values';
import type { RoleAuthorizer } from '../../lib/local/iam/authorizer';
import { a2iRoleAuthorizer, functionAuthorizers } from '../../lib/local/iam/roles';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STACK, type LocalQueue, type LocalResources } from '../../lib/local/resources';
import { type LocalFlowDefinition, localStackValues } from '../../lib/local/stack-values';
import { stagePrefix, workflowQueueName } from '../../lib/resource-names';
import { type CompiledWorkflow, isFlowSpec, loadWorkflows } from '../../lib/workflow';

/** Where the queues of the stand-in local stack live (nothing listens there: these tests send nothing). */
export const QUEUE_ENDPOINT = 'http://127.0.0.1:1';
export const REPO = join(__dirname, '..', '..');
export const EXAMPLE_WORKFLOW = join(REPO, 'workflows', 'invoice-extraction.yaml');

export const queueUrl = (name: string): string => `${QUEUE_ENDPOINT}/${LOCAL_ACCOUNT}/${name}`;
export const queueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
const queue = (name: string): LocalQueue => ({ url: queueUrl(name), arn: queueArn(name), dlqUrl: queueUrl(`${name}-dlq`), dlqArn: queueArn(`${name}-dlq`) });
export const flowArn = (name: string): string => `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:flow-definition/${name}`;

/** What createLocalResources would make for these workflows, named as it names them. */
export function standInResources(workflows: CompiledWorkflow[]): LocalResources {
  return {
    work: queue('a2i-orchestrator-local-work'),
    poll: queue('a2i-orchestrator-local-poll'),
    eventsDlq: { url: queueUrl('a2i-orchestrator-local-events-dlq'), arn: queueArn('a2i-orchestrator-local-events-dlq') },
    triggerFailuresDlq: { url: queueUrl('a2i-orchestrator-local-trigger-failures-dlq'), arn: queueArn('a2i-orchestrator-local-trigger-failures-dlq') },
    destinations: new Map(
      workflows.map(({ definition }) => [definition.name, new Map(Object.entries(definition.queues).map(([name, { fifo }]) => [name, queue(workflowQueueName(stagePrefix(LOCAL_STACK), definition.name, name, fifo))]))]),
    ),
    versionedBuckets: new Set(),
    environment: {
      QUEUE_URL_BASE: `${QUEUE_ENDPOINT}/${LOCAL_ACCOUNT}/`,
      QUEUE_NAME_PREFIX: stagePrefix(LOCAL_STACK),
      FLOW_DEFINITION_ARN_BASE: flowArn(''),
      FLOW_NAME_PREFIX: LOCAL_STACK.stage,
      A2I_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/a2i-orchestrator-local-A2iRole`,
      WORKTEAM_ARN: `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:workteam/private-crowd/local-reviewers`,
      OUTPUT_BUCKET: 'a2i-orchestrator-local-output',
      KMS_KEY_ARN: '',
    },
  };
}

/** The flow definitions the flow-resources function would make: `local-<workflow>-<hash>`. */
export function standInFlows(workflows: CompiledWorkflow[]): Record<string, LocalFlowDefinition> {
  return Object.fromEntries(
    workflows
      .filter(({ definition }) => isFlowSpec(definition.flowDefinition))
      .map(({ definition }) => {
        const name = `local-${definition.name}-0123456789`;
        return [definition.name, { name, arn: flowArn(name), humanTaskUiArn: `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:human-task-ui/${name}` }];
      }),
  );
}

export interface LocalRoles {
  workflows: CompiledWorkflow[];
  model: StackModel;
  values: CfnValueContext;
  flows: Record<string, LocalFlowDefinition>;
  functions: Map<DeployedFunction, RoleAuthorizer>;
  a2i: RoleAuthorizer;
}

/** The roles of the generated stack for these workflow files, evaluated against a stand-in local stack. */
export function localRoles(workflowFiles: string[] = [EXAMPLE_WORKFLOW], change?: (model: StackModel) => void): LocalRoles {
  const workflows = loadWorkflows(workflowFiles);
  const model = buildStack({ ...LOCAL_STACK, workflows });
  change?.(model);
  const flows = standInFlows(workflows);
  const values = localStackValues(standInResources(workflows));
  return { workflows, model, values, flows, functions: functionAuthorizers(model, values, DEPLOYED_FUNCTIONS), a2i: a2iRoleAuthorizer(values, model) };
}

/** A role's statement by Sid, in a stack model (to change a copy of it). */
export function roleStatement(model: StackModel, roleLogicalId: string, sid: string): { Sid: string; Action: string[]; Resource: unknown } {
  const role = model.resources.Resources[roleLogicalId] as { Properties: { Policies: { PolicyDocument: { Statement: { Sid?: string }[] } }[] } };
  const statement = role.Properties.Policies.flatMap((policy) => policy.PolicyDocument.Statement).find((candidate) => candidate.Sid === sid);
  if (!statement) throw new Error(`${roleLogicalId} has no statement ${sid}`);
  return statement as { Sid: string; Action: string[]; Resource: unknown };
}
