import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { stagePrefix, workflowDlqName, workflowQueueName } from '../resource-names';
import { SQS_MAX_MESSAGE_BYTES } from '../sqs-limits';
import { sub } from '../deploy/cfn';
import { functionName, inputBucketName, type StackOptions, stateMachineName } from '../deploy/stack-model';
import type { CompiledWorkflow } from '../workflow';
import { resolveCfn } from './cfn-values';
import { loadTemplatePart } from './templates';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';

/** The local stack is the stage `local` of the service serverless.yml names: its names are the deployed stack's. */
export const LOCAL_STACK: Required<Omit<StackOptions, 'workflows' | 'workflowsDir'>> = { root: join(__dirname, '..', '..'), service: 'a2i-orchestrator', stage: 'local' };
/** The local stack's name, and the start of the names it gives (`a2i-orchestrator-local`). */
export const LOCAL_STACK_NAME = `${LOCAL_STACK.service}-${LOCAL_STACK.stage}`;
const STACK_PREFIX = LOCAL_STACK_NAME;

/**
 * The buckets of the local stack: the model outputs arrive in `input` (named as the stack model names it),
 * A2I writes to `output`. CloudFormation names the others; locally they are named after the stack.
 */
export const LOCAL_BUCKETS = {
  input: resolveCfn<string>(sub(inputBucketName(LOCAL_STACK)), { region: LOCAL_REGION, account: LOCAL_ACCOUNT, resources: {} }),
  payloads: `${STACK_PREFIX}-payloads`,
  output: `${STACK_PREFIX}-output`,
} as const;
export const LOCAL_LEDGER_TABLE = `${STACK_PREFIX}-ledger`;
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName(LOCAL_STACK)}`;
/** A deployed function's name (`ingestWork` → `a2i-orchestrator-local-ingestWork`), as the stack model names it. */
export const localFunctionName = (fn: string): string => functionName(LOCAL_STACK, fn);
export const localFunctionArn = (fn: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${localFunctionName(fn)}`;
/** A role's name: CloudFormation names roles `<stack>-<logical id>-<suffix>`; locally there is no suffix. */
export const localRoleName = (logicalId: string): string => `${STACK_PREFIX}-${logicalId}`;
export const localRoleArn = (logicalId: string): string => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${localRoleName(logicalId)}`;
/** The role A2I assumes for the stack's flow definitions (resources/a2i.yml). */
export const A2I_ROLE_LOGICAL_ID = 'A2iRole';
/** For flow specs that name no work team (the stack's WorkteamArn parameter). */
export const LOCAL_WORKTEAM_ARN = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:workteam/private-crowd/local-reviewers`;

export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface LocalDeadLetterQueue {
  url: string;
  arn: string;
}

export interface LocalResources {
  work: LocalQueue;
  poll: LocalQueue;
  /** Events EventBridge could not deliver (the rules' DeadLetterConfig). */
  eventsDlq: LocalDeadLetterQueue;
  /** The S3 and event triggers' failed asynchronous invocations (their on-failure destination). */
  triggerFailuresDlq: LocalDeadLetterQueue;
  /** Each workflow's destination queues by queue name. */
  destinations: Map<string, Map<string, LocalQueue>>;
  /** The buckets resources/storage.yml versions (VersioningConfiguration Enabled), by name. */
  versionedBuckets: Set<string>;
  /** What the functions compute queue URLs and flow definition ARNs from, as in a deployed stage. */
  environment: Record<'QUEUE_URL_BASE' | 'QUEUE_NAME_PREFIX' | 'FLOW_DEFINITION_ARN_BASE' | 'FLOW_NAME_PREFIX' | 'A2I_ROLE_ARN' | 'WORKTEAM_ARN' | 'OUTPUT_BUCKET' | 'KMS_KEY_ARN', string>;
}

/** The local stack's queues and flow definitions were made with names the functions cannot compute. */
export class LocalResourcesError extends Error {
  override readonly name = 'LocalResourcesError';
}

/** As in the deployed stack: a message that fails this many receives goes to the DLQ. */
export const WORK_MAX_RECEIVES = 5;
/** Long enough for a work message's records to be started at a workflow's rate before it reappears. */
const WORK_VISIBILITY_SECONDS = 60;
/** The stack's buckets by logical id (resources/storage.yml). */
const BUCKETS_BY_LOGICAL_ID: Record<string, string> = { InputBucket: LOCAL_BUCKETS.input, PayloadBucket: LOCAL_BUCKETS.payloads, OutputBucket: LOCAL_BUCKETS.output };

/** What the deployed stack creates before its flow definitions, on the local emulators: buckets, and queues with DLQs. */
export async function createLocalResources(clients: { s3: S3Client; sqs: SQSClient }, workflows: CompiledWorkflow[]): Promise<LocalResources> {
  const storage = loadTemplatePart('storage.yml', LOCAL_STACK);
  const versionedBuckets = new Set<string>();
  for (const [logicalId, bucket] of Object.entries(BUCKETS_BY_LOGICAL_ID)) {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const versioning = storage.Resources?.[logicalId]?.Properties?.VersioningConfiguration as { Status?: string } | undefined;
    if (versioning?.Status === 'Enabled') {
      await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
      versionedBuckets.add(bucket);
    }
  }
  const work = await queueWithDlq(clients.sqs, { name: `${STACK_PREFIX}-work`, dlqName: `${STACK_PREFIX}-work-dlq`, fifo: false, visibilitySeconds: WORK_VISIBILITY_SECONDS });
  const poll = await queueWithDlq(clients.sqs, { name: `${STACK_PREFIX}-poll`, dlqName: `${STACK_PREFIX}-poll-dlq`, fifo: false, visibilitySeconds: 30 });
  const eventsDlq = await plainQueue(clients.sqs, `${STACK_PREFIX}-events-dlq`);
  const triggerFailuresDlq = await plainQueue(clients.sqs, `${STACK_PREFIX}-trigger-failures-dlq`);
  const stage = stagePrefix(LOCAL_STACK);
  const destinations = new Map<string, Map<string, LocalQueue>>();
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
  }
  const environment = {
    QUEUE_URL_BASE: queueUrlBase ?? work.url.slice(0, work.url.lastIndexOf('/') + 1),
    QUEUE_NAME_PREFIX: stage,
    // As the stack's custom resources name and make them (NamePrefix the stage, the A2I role, the output bucket).
    FLOW_DEFINITION_ARN_BASE: `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:flow-definition/`,
    FLOW_NAME_PREFIX: LOCAL_STACK.stage,
    A2I_ROLE_ARN: localRoleArn(A2I_ROLE_LOGICAL_ID),
    WORKTEAM_ARN: LOCAL_WORKTEAM_ARN,
    OUTPUT_BUCKET: LOCAL_BUCKETS.output,
    KMS_KEY_ARN: '',
  };
  return { work, poll, eventsDlq, triggerFailuresDlq, destinations, versionedBuckets, environment };
}

/**
 * Every local queue takes at most what every AWS queue takes (lib/sqs-limits.ts), set as the stack's queues
 * would be: a message too large for AWS is refused here too.
 */
const SIZE_LIMIT = { MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES) };

async function plainQueue(sqs: SQSClient, name: string): Promise<LocalDeadLetterQueue> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: SIZE_LIMIT }))).QueueUrl as string;
  return { url, arn: await queueArn(sqs, url) };
}

async function queueWithDlq(sqs: SQSClient, queue: { name: string; dlqName: string; fifo: boolean; visibilitySeconds: number }): Promise<LocalQueue> {
  const fifoAttributes: Record<string, string> = queue.fifo ? { FifoQueue: 'true', ...SIZE_LIMIT } : SIZE_LIMIT;
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
  return { url, arn: await queueArn(sqs, url), dlqUrl: dlq.QueueUrl as string, dlqArn };
}

/** The queue's ARN (the local SQS names every queue in the stack's account, LOCAL_ACCOUNT). */
async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}
