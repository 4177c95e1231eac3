import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { sageMakerFlowApi } from '../flows/api';
import { handleFlowResourceEvent } from '../flows/custom-resource';
import { flowResourceProperties, type StackFlowValues } from '../flows/stack-flow';
import { stagePrefix, workflowDlqName, workflowQueueName } from '../resource-names';
import { type CompiledWorkflow, isFlowSpec } from '../workflow';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';
/** Local mode is a stage of its own: its functions are `a2i-local-<function>`, its queues and flow definitions named as a deployed stage's. */
export const LOCAL_STACK = { service: 'a2i', stage: 'local' } as const;

/** The buckets of the local stack: the model outputs arrive in `input`, A2I writes to `output`. */
export const LOCAL_BUCKETS = { input: 'a2i-local-input', payloads: 'a2i-local-payloads', output: 'a2i-local-output' } as const;

export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
}

export interface LocalResources {
  work: LocalQueue;
  poll: LocalQueue;
  /** Each workflow's destination queues by queue name. */
  destinations: Map<string, Map<string, LocalQueue>>;
  /** The flow definitions workflows name (imported into the emulator). */
  externalFlowDefinitionArns: string[];
  /** What the functions compute queue URLs and flow definition ARNs from, as in a deployed stage. */
  environment: Record<'QUEUE_URL_BASE' | 'QUEUE_NAME_PREFIX' | 'FLOW_DEFINITION_ARN_BASE' | 'FLOW_NAME_PREFIX' | 'A2I_ROLE_ARN' | 'WORKTEAM_ARN' | 'OUTPUT_BUCKET' | 'KMS_KEY_ARN', string>;
}

/** As in the deployed stack: a message that fails this many receives goes to the DLQ. */
export const WORK_MAX_RECEIVES = 5;
/** Long enough for a work message's records to be started at a workflow's rate before it reappears. */
const WORK_VISIBILITY_SECONDS = 60;
const PLACEHOLDER_WORKTEAM = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:workteam/private-crowd/local-reviewers`;
const PLACEHOLDER_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/a2i-local-flow-definition`;
export const LOCAL_FLOW_DEFINITION_ARN_BASE = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:flow-definition/`;

/** The stack's values for the flow definitions local mode makes, as a deployed stage's parameters and resources give them. */
const LOCAL_FLOW_VALUES: StackFlowValues<string> = {
  namePrefix: LOCAL_STACK.stage,
  roleArn: PLACEHOLDER_ROLE,
  workteamArn: PLACEHOLDER_WORKTEAM,
  outputPath: (workflow) => `s3://${LOCAL_BUCKETS.output}/${workflow}`,
  kmsKeyId: undefined,
};

export class LocalResourcesError extends Error {
  override readonly name = 'LocalResourcesError';
}

/**
 * What the deployed stack creates, on the local emulators: buckets, queues with DLQs (named as a deployed
 * stage names them), and each workflow's task UI and flow definition, made by the custom resource's own code.
 */
export async function createLocalResources(
  clients: { s3: S3Client; sqs: SQSClient; sagemaker: SageMakerClient },
  workflows: CompiledWorkflow[],
  importFlowDefinition: (arn: string) => Promise<void>,
): Promise<LocalResources> {
  for (const bucket of Object.values(LOCAL_BUCKETS)) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const work = await queueWithDlq(clients.sqs, { name: 'a2i-local-work', dlqName: 'a2i-local-work-dlq', fifo: false, visibilitySeconds: WORK_VISIBILITY_SECONDS });
  const poll = await queueWithDlq(clients.sqs, { name: 'a2i-local-poll', dlqName: 'a2i-local-poll-dlq', fifo: false, visibilitySeconds: 30 });
  const stage = stagePrefix(LOCAL_STACK);
  const destinations = new Map<string, Map<string, LocalQueue>>();
  const externalFlowDefinitionArns: string[] = [];
  let queueUrlBase: string | undefined;
  for (const { definition } of workflows) {
    const queues = new Map<string, LocalQueue>();
    for (const [queue, { fifo }] of Object.entries(definition.queues)) {
      const name = workflowQueueName(stage, definition.name, queue, fifo);
      const created = await queueWithDlq(clients.sqs, { name, dlqName: workflowDlqName(stage, definition.name, queue, fifo), fifo, visibilitySeconds: 30 });
      // The functions compute every URL as <base><name>: the emulator's URLs must all be of that form.
      const base = created.url.slice(0, created.url.length - name.length);
      if (!created.url.endsWith(`/${name}`) || (queueUrlBase !== undefined && base !== queueUrlBase)) throw new LocalResourcesError(`queue ${name} has the URL ${created.url}, not <base>/${name}`);
      queueUrlBase = base;
      queues.set(queue, created);
    }
    destinations.set(definition.name, queues);
    if (isFlowSpec(definition.flowDefinition)) {
      await ensureFlowDefinition(clients.sagemaker, definition, readFileSync(definition.flowDefinition.templateFile, 'utf8'));
    } else {
      await importFlowDefinition(definition.flowDefinition.arn);
      externalFlowDefinitionArns.push(definition.flowDefinition.arn);
    }
  }
  return {
    work,
    poll,
    destinations,
    externalFlowDefinitionArns,
    environment: {
      QUEUE_URL_BASE: queueUrlBase ?? work.url.slice(0, work.url.lastIndexOf('/') + 1),
      QUEUE_NAME_PREFIX: stage,
      FLOW_DEFINITION_ARN_BASE: LOCAL_FLOW_DEFINITION_ARN_BASE,
      FLOW_NAME_PREFIX: LOCAL_FLOW_VALUES.namePrefix,
      A2I_ROLE_ARN: LOCAL_FLOW_VALUES.roleArn,
      WORKTEAM_ARN: LOCAL_FLOW_VALUES.workteamArn,
      OUTPUT_BUCKET: LOCAL_BUCKETS.output,
      KMS_KEY_ARN: '',
    },
  };
}

async function queueWithDlq(sqs: SQSClient, queue: { name: string; dlqName: string; fifo: boolean; visibilitySeconds: number }): Promise<LocalQueue> {
  const fifoAttributes: Record<string, string> = queue.fifo ? { FifoQueue: 'true' } : {};
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: queue.dlqName, Attributes: fifoAttributes }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl as string);
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: queue.name,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(queue.visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: WORK_MAX_RECEIVES }),
      },
    }),
  );
  const url = created.QueueUrl as string;
  return { url, arn: await queueArn(sqs, url), dlqUrl: dlq.QueueUrl as string };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}

/**
 * The workflow's task UI and flow definition, made as the stack's custom resource makes them (the same
 * properties, the same handler): named `local-<workflow>-<hash of template and spec>`, so an edited template
 * or spec gets new ones and an unchanged one (the emulator keeps state across restarts) is reused.
 */
async function ensureFlowDefinition(sagemaker: SageMakerClient, definition: CompiledWorkflow['definition'], template: string): Promise<string> {
  const properties = Object.fromEntries(Object.entries(flowResourceProperties(definition, template, LOCAL_FLOW_VALUES)).filter(([, value]) => value !== undefined));
  const response = await handleFlowResourceEvent(
    { RequestType: 'Create', ResponseURL: 'http://127.0.0.1/unused', StackId: 'local', RequestId: definition.name, LogicalResourceId: 'FlowDefinition', ResourceProperties: properties },
    { api: sageMakerFlowApi(sagemaker) },
  );
  if (response.Status !== 'SUCCESS' || !response.Data) throw new LocalResourcesError(`the flow definition of workflow ${definition.name} could not be made: ${response.Reason ?? 'no reason given'}`);
  return response.Data.FlowDefinitionArn;
}
