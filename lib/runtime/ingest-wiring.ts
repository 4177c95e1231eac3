import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { type QueueAddress, SqsDelivery } from '../delivery';
import { type EventRoute, eventRoutes } from '../ingest/match';
import type { WorkDeps } from '../ingest/process-work';
import type { SplitDeps } from '../ingest/split-object';
import { encodeWork, type WorkMessage } from '../ingest/work-message';
import { DEFAULT_LEDGER_OPTIONS, DynamoDbLedger } from '../ledger';
import { A2iLoopStarter } from '../loop-starter';
import { type Clock, systemClock } from '../clock';
import { RateLimiter } from '../rate-limiter';
import { S3PayloadStore } from '../s3-store';
import { sendBatches } from '../sqs-batch';
import { sqsSafeJson } from '../sqs-text';
import { stackFlowDefinitionName, type StackFlowValues } from '../flows/stack-flow';
import { workflowQueueName } from '../resource-names';
import { parseWorkflowBundle, parseWorkflowTemplates, WORKFLOW_BUNDLE_FILE } from '../workflow/bundle';
import type { CompiledWorkflow } from '../workflow/compiled';
import { isFlowSpec } from '../workflow/types';
import { type AwsClients, awsClients } from './aws-clients';
import { ConfigError, envNumber, requireEnv } from './env';
import { workflowMetrics } from './observability';

type Env = Record<string, string | undefined>;

/** The deployed workflows' bundle, packaged with the function (WORKFLOWS_BUNDLE, relative to the function's root). */
function bundleFile(env: Env): string {
  return resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), env.WORKFLOWS_BUNDLE ?? WORKFLOW_BUNDLE_FILE);
}

/** The deployed workflows. */
export function deployedWorkflows(env: Env = process.env): CompiledWorkflow[] {
  const file = bundleFile(env);
  return parseWorkflowBundle(readFileSync(file, 'utf8'), file);
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

/**
 * A workflow's flow definition: its own `arn`, or the current one the stack created, named as the custom
 * resource names it (lib/flows/stack-flow.ts) from the stack's values: FLOW_DEFINITION_ARN_BASE
 * (`arn:<partition>:sagemaker:<region>:<account>:flow-definition/`), FLOW_NAME_PREFIX (the stage),
 * A2I_ROLE_ARN, OUTPUT_BUCKET, WORKTEAM_ARN and KMS_KEY_ARN (either may be empty).
 */
export function flowDefinitionDirectory(workflows: CompiledWorkflow[], env: Env = process.env): (workflow: CompiledWorkflow) => string {
  const specs = workflows.filter(({ definition }) => isFlowSpec(definition.flowDefinition));
  const arns = new Map<string, string>();
  for (const { definition } of workflows) {
    if (!isFlowSpec(definition.flowDefinition)) arns.set(definition.name, definition.flowDefinition.arn);
  }
  if (specs.length > 0) {
    const base = requireEnv('FLOW_DEFINITION_ARN_BASE', env);
    const outputBucket = requireEnv('OUTPUT_BUCKET', env);
    const values: StackFlowValues<string> = {
      namePrefix: requireEnv('FLOW_NAME_PREFIX', env),
      roleArn: requireEnv('A2I_ROLE_ARN', env),
      workteamArn: env.WORKTEAM_ARN ?? '',
      outputPath: (workflow) => `s3://${outputBucket}/${workflow}`,
      kmsKeyId: env.KMS_KEY_ARN || undefined,
    };
    const file = bundleFile(env);
    const templates = parseWorkflowTemplates(readFileSync(file, 'utf8'), file);
    for (const { definition } of specs) {
      const template = templates.get(definition.name);
      if (template === undefined) throw new ConfigError(`${file} has no worker template for workflow "${definition.name}": package the stack again`);
      arns.set(definition.name, `${base}${stackFlowDefinitionName(definition, template, values)}`);
    }
  }
  return (workflow) => {
    const arn = arns.get(workflow.definition.name);
    if (!arn) throw new ConfigError(`workflow "${workflow.definition.name}" is not deployed`);
    return arn;
  };
}

export interface SplitterRuntime {
  workflows: CompiledWorkflow[];
  inputBucket?: string;
  splitDeps: SplitDeps;
  getObject(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
}

/** What the S3 and EventBridge entry points need: read objects, stage big records, send work. */
export function splitterRuntime(env: Env = process.env, clients: AwsClients = awsClients()): SplitterRuntime {
  const workQueueUrl = requireEnv('WORK_QUEUE_URL', env);
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  return {
    workflows: deployedWorkflows(env),
    inputBucket: env.INPUT_BUCKET,
    splitDeps: {
      send: (messages: WorkMessage[]) => sendWork(clients, workQueueUrl, messages),
      stage: (key, text) => payloads.put(key, text),
    },
    async getObject(bucket, key, versionId) {
      const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      if (!Body) throw new Error(`GetObject returned no body for s3://${bucket}/${key}`);
      return Body as Readable;
    },
  };
}

/** Work messages onto the work queue, each labelled by its records for errors. */
function sendWork(clients: AwsClients, workQueueUrl: string, messages: WorkMessage[]): Promise<void> {
  return sendBatches(
    clients.sqs,
    workQueueUrl,
    messages.map((message) => {
      const body = encodeWork(message);
      const first = message.items[0]?.index ?? 0;
      return { entry: { MessageBody: body }, bytes: Buffer.byteLength(body), label: `${message.workflow} records ${first}-${first + message.items.length - 1}` };
    }),
  );
}

export interface EventIngestRuntime {
  routes: EventRoute[];
  splitDeps: Pick<SplitDeps, 'send'>;
}

/** What the EventBridge entry point needs: the workflows' event patterns and the work queue. */
export function eventIngestRuntime(env: Env = process.env, clients: AwsClients = awsClients()): EventIngestRuntime {
  const runtime = splitterRuntime(env, clients);
  return { routes: eventRoutes(runtime.workflows), splitDeps: runtime.splitDeps };
}

export interface ConsumerRuntime {
  workDeps: WorkDeps;
  /** ApproximateReceiveCount at which a work message has its last try (the queue's maxReceiveCount). */
  maxReceives: number;
  /** Puts work that failed its last try on the work DLQ, with the reason. */
  deadLetter(body: string, reason: string): Promise<void>;
  /** Makes the received work message visible again in `seconds` (ChangeMessageVisibility). */
  retryIn(receiptHandle: string, seconds: number): Promise<void>;
}

/** SQS message attribute values are limited; the reason is for people, so it is cut rather than refused. */
const MAX_REASON_CHARS = 2000;

/** What the work-queue consumer needs: the ledger, A2I and Step Functions, the destination queues. */
export function consumerRuntime(env: Env = process.env, clients: AwsClients = awsClients(), clock: Clock = systemClock): ConsumerRuntime {
  const workflows = deployedWorkflows(env);
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  // Each concurrent consumer takes its share of a workflow's StartHumanLoop rate.
  const consumers = envNumber('CONSUMER_CONCURRENCY', 10, env);
  const limiters = new Map(workflows.map((workflow) => [workflow.definition.name, new RateLimiter(workflow.definition.ingest.maxStartsPerSecond / consumers, undefined, clock)]));
  const deadLetterUrl = requireEnv('WORK_DLQ_URL', env);
  const workQueueUrl = requireEnv('WORK_QUEUE_URL', env);
  return {
    maxReceives: envNumber('WORK_MAX_RECEIVES', 5, env),
    retryIn: async (receiptHandle, seconds) => {
      await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: workQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
    deadLetter: async (body, reason) => {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterUrl,
          MessageBody: body,
          MessageAttributes: { reason: { DataType: 'String', StringValue: sqsSafeJson(reason).slice(0, MAX_REASON_CHARS) } },
        }),
      );
    },
    workDeps: {
      workflows: new Map(workflows.map((workflow) => [workflow.definition.name, workflow])),
      ledger: new DynamoDbLedger(clients.dynamo, requireEnv('LEDGER_TABLE', env), DEFAULT_LEDGER_OPTIONS, clock),
      loops: new A2iLoopStarter(clients.a2i, clients.sfn, { stateMachineArn: requireEnv('STATE_MACHINE_ARN', env) }),
      delivery: new SqsDelivery(clients.sqs, { payloads, resend: { clock } }),
      payloads,
      clock,
      queueAddress: queueDirectory(workflows, env),
      flowDefinitionArn: flowDefinitionDirectory(workflows, env),
      readStaged: (uri) => payloads.get(uri),
      handOn: (work) => sendWork(clients, workQueueUrl, [work]),
      limiterFor: (workflow) => limiters.get(workflow.definition.name),
      onThrottled: (workflow) => workflowMetrics(workflow).addMetric('StartThrottled', 'Count', 1),
    },
  };
}
