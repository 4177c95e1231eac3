import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateFlowDefinitionCommand,
  CreateHumanTaskUiCommand,
  DescribeFlowDefinitionCommand,
  DescribeHumanTaskUiCommand,
  ResourceInUse,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CompiledWorkflow, type FlowSpec, isFlowSpec } from '../workflow';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';

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
  /** The flow definitions made from each workflow's flow spec. */
  flowDefinitionArns: Record<string, string>;
  /** Every workflow's flow definition: made here, or named by the workflow and imported into the emulator. */
  allFlowDefinitionArns: string[];
}

/** As in the deployed stack: a message that fails this many receives goes to the DLQ. */
export const WORK_MAX_RECEIVES = 5;
/** Long enough for a work message's records to be started at a workflow's rate before it reappears. */
const WORK_VISIBILITY_SECONDS = 60;
const PLACEHOLDER_WORKTEAM = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:workteam/private-crowd/local-reviewers`;
const PLACEHOLDER_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/a2i-local-flow-definition`;

/** What the deployed stack creates, on the local emulators: buckets, queues with DLQs, task UIs and flow definitions. */
export async function createLocalResources(
  clients: { s3: S3Client; sqs: SQSClient; sagemaker: SageMakerClient },
  workflows: CompiledWorkflow[],
  importFlowDefinition: (arn: string) => Promise<void>,
): Promise<LocalResources> {
  for (const bucket of Object.values(LOCAL_BUCKETS)) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const work = await queueWithDlq(clients.sqs, 'a2i-local-work', false, WORK_VISIBILITY_SECONDS);
  const poll = await queueWithDlq(clients.sqs, 'a2i-local-poll', false, 30);
  const destinations = new Map<string, Map<string, LocalQueue>>();
  const flowDefinitionArns: Record<string, string> = {};
  const allFlowDefinitionArns: string[] = [];
  for (const { definition } of workflows) {
    const queues = new Map<string, LocalQueue>();
    for (const [queue, { fifo }] of Object.entries(definition.queues)) {
      queues.set(queue, await queueWithDlq(clients.sqs, `${definition.name}-${queue}`, fifo, 30));
    }
    destinations.set(definition.name, queues);
    if (isFlowSpec(definition.flowDefinition)) {
      flowDefinitionArns[definition.name] = await ensureFlowDefinition(clients.sagemaker, definition.name, definition.flowDefinition);
      allFlowDefinitionArns.push(flowDefinitionArns[definition.name]);
    } else {
      await importFlowDefinition(definition.flowDefinition.arn);
      allFlowDefinitionArns.push(definition.flowDefinition.arn);
    }
  }
  return { work, poll, destinations, flowDefinitionArns, allFlowDefinitionArns };
}

async function queueWithDlq(sqs: SQSClient, name: string, fifo: boolean, visibilitySeconds: number): Promise<LocalQueue> {
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq${suffix}`, Attributes: fifoAttributes }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl as string);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}${suffix}`,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: WORK_MAX_RECEIVES }),
      },
    }),
  );
  const url = queue.QueueUrl as string;
  return { url, arn: await queueArn(sqs, url), dlqUrl: dlq.QueueUrl as string };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}

/**
 * The workflow's task UI and flow definition, named `<workflow>-<hash of template and spec>`: an edited
 * template or spec gets new ones, an unchanged one (the emulator keeps state across restarts) is reused.
 */
async function ensureFlowDefinition(sagemaker: SageMakerClient, workflow: string, spec: FlowSpec): Promise<string> {
  const template = readFileSync(spec.templateFile, 'utf8');
  const name = `${workflow}-${createHash('sha256').update(template).update(JSON.stringify({ ...spec, templateFile: undefined })).digest('hex').slice(0, 12)}`;
  let uiArn: string;
  try {
    uiArn = (await sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: name, UiTemplate: { Content: template } }))).HumanTaskUiArn as string;
  } catch (error) {
    if (!(error instanceof ResourceInUse)) throw error;
    uiArn = (await sagemaker.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: name }))).HumanTaskUiArn as string;
  }
  try {
    const created = await sagemaker.send(
      new CreateFlowDefinitionCommand({
        FlowDefinitionName: name,
        RoleArn: PLACEHOLDER_ROLE,
        HumanLoopConfig: {
          WorkteamArn: spec.workteamArn ?? PLACEHOLDER_WORKTEAM,
          HumanTaskUiArn: uiArn,
          TaskTitle: spec.taskTitle ?? workflow,
          TaskDescription: spec.taskDescription ?? `Review records of ${workflow}`,
          TaskCount: spec.taskCount,
          TaskTimeLimitInSeconds: spec.taskTimeLimitInSeconds,
          TaskAvailabilityLifetimeInSeconds: spec.taskAvailabilityLifetimeInSeconds,
          ...(spec.taskKeywords ? { TaskKeywords: spec.taskKeywords } : {}),
        },
        OutputConfig: { S3OutputPath: `s3://${LOCAL_BUCKETS.output}/${workflow}` },
      }),
    );
    return created.FlowDefinitionArn as string;
  } catch (error) {
    if (!(error instanceof ResourceInUse)) throw error;
    return (await sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: name }))).FlowDefinitionArn as string;
  }
}
