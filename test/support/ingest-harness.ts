import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConflictException, SageMakerA2IRuntimeClient, StartHumanLoopCommand, type StartHumanLoopCommandInput } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import {
  BatchRequestTooLong,
  ChangeMessageVisibilityCommand,
  SQSServiceException,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkStreamMixin } from '@smithy/util-stream';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Dynalite } from './dynalite';
import { workflowBundleFor } from './workflow-bundle';
export { startDynalite } from './dynalite';
import { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler as createEventHandler, type IngestEventInput } from '../../functions/ingest-event';
import { createHandler as createS3Handler } from '../../functions/ingest-s3-object';
import { createHandler as createWorkHandler } from '../../functions/ingest-work';
import type { Clock } from '../../lib/clock';
import { eventRoutes } from '../../lib/ingest/match';
import type { ReviewMessage } from '../../lib/messages';
import { workflowQueueName } from '../../lib/resource-names';
import { consumerRuntime, flowDefinitionDirectory } from '../../lib/runtime/ingest-wiring';
import { splitterRuntime } from '../../lib/runtime/splitter-wiring';
import { SQS_MAX_BATCH_BYTES, SQS_MAX_MESSAGE_BYTES, sqsMessageBytes } from '../../lib/sqs-limits';
import { type CompiledWorkflow, loadWorkflows } from '../../lib/workflow';
import type { AwsClients } from '../../lib/runtime/aws-clients';
import { lambdaContext as localLambdaContext } from '../../lib/local/lambda-context';

export const INGEST_WORKFLOWS = join(__dirname, '..', 'fixtures', 'workflows', 'ingest');
export const INPUT_BUCKET = 'model-outputs';
const ACCOUNT_QUEUES = 'https://sqs.us-east-1.amazonaws.com/123456789012';
const WORK_QUEUE_URL = `${ACCOUNT_QUEUES}/work`;
const WORK_DLQ_URL = `${ACCOUNT_QUEUES}/work-dlq`;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:review-loop';
/** ingestWork's timeout in serverless.yml: simulated invocations that run longer count as timed out. */
const WORK_FUNCTION_TIMEOUT_MS = 300_000;
/** The stage the functions run in: workflow queues and flow definitions are named after it. */
const STAGE = { service: 'a2i-orchestrator', stage: 'ci' };
const FLOW_ENVIRONMENT = {
  FLOW_DEFINITION_ARN_BASE: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/',
  FLOW_NAME_PREFIX: STAGE.stage,
  A2I_ROLE_ARN: 'arn:aws:iam::123456789012:role/a2i-orchestrator-ci-A2iRole-1',
  OUTPUT_BUCKET: 'a2i-orchestrator-ci-output',
  WORKTEAM_ARN: 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers',
  KMS_KEY_ARN: '',
};
/** The predictions workflow's flow definition, as the stack names it: `ci-predictions-<hash of its template and spec>`. */
export const FLOW_ARN_PREDICTIONS = flowDefinitionDirectory(loadWorkflows([INGEST_WORKFLOWS]), { ...FLOW_ENVIRONMENT, WORKFLOWS_BUNDLE: workflowBundleFor(INGEST_WORKFLOWS) })(
  loadWorkflows([join(INGEST_WORKFLOWS, 'predictions.yaml')])[0],
);

/** A clock that never waits: backoff and pacing run in simulated time, and the delays are kept. */
export function instantClock(): Clock & { delays: number[] } {
  let now = Date.parse('2026-11-22T10:00:00Z');
  const delays: number[] = [];
  return { delays, now: () => now, sleep: async (ms) => void (delays.push(ms), (now += ms)), random: () => 0.5 };
}

let tableCount = 0;

export interface Delivered {
  queueUrl: string;
  message: ReviewMessage;
  entry: SendMessageBatchRequestEntry;
}

/**
 * The three ingest handlers wired as in the cloud, with the real SDK clients mocked at the AWS boundary
 * (aws-sdk-client-mock, which bypasses the SDK's middleware: a rejection is what a call ends with after the
 * SDK's own retries, which test/unit-aws/aws-clients.test.ts runs) and the ledger on dynalite: objects put here raise the S3 event the cloud would send,
 * work sent to the work queue is fed to the consumer (with receive counts and a DLQ), and every
 * StartHumanLoop, StartExecution and delivered message is kept for the test to count.
 */
export class IngestHarness {
  readonly s3 = mockClient(S3Client);
  readonly sqs = mockClient(SQSClient);
  readonly a2i = mockClient(SageMakerA2IRuntimeClient);
  readonly sfn = mockClient(SFNClient);
  readonly objects = new Map<string, Buffer>();
  readonly work: { body: string; receives: number }[] = [];
  /** Receives of work messages by the consumer so far (each one invocation of ingest-work). */
  workReceives = 0;
  /** The VisibilityTimeout of each ChangeMessageVisibility on the work queue, in order. */
  readonly workVisibility: number[] = [];
  /** Work on the DLQ: sent there by the consumer with a reason, or moved there by SQS's redrive (no reason). */
  readonly workDlq: { body: string; reason?: string }[] = [];
  readonly delivered: Delivered[] = [];
  readonly loops: StartHumanLoopCommandInput[] = [];
  readonly executions: StartExecutionCommandInput[] = [];
  readonly clock = instantClock();
  readonly env: Record<string, string>;
  readonly s3Handler;
  readonly eventHandler;
  readonly workHandler;
  /** Loop names A2I knows (a second start with the same name is a ConflictException unless a test says otherwise). */
  readonly existingLoops = new Set<string>();
  readonly existingExecutions = new Set<string>();
  /** Work invocations that ran past the function's timeout (in simulated time). */
  timedOut = 0;
  readonly workflows: CompiledWorkflow[];

  private constructor(
    readonly tableName: string,
    dynamoEndpoint: string,
    workflowsDir: string,
    readonly maxReceives: number,
    consumerConcurrency: number,
  ) {
    this.env = {
      WORKFLOWS_BUNDLE: workflowBundleFor(workflowsDir),
      INPUT_BUCKET,
      WORK_QUEUE_URL,
      WORK_DLQ_URL,
      PAYLOAD_BUCKET: 'orchestrator-payloads',
      LEDGER_TABLE: tableName,
      STATE_MACHINE_ARN,
      CONSUMER_CONCURRENCY: String(consumerConcurrency),
      WORK_MAX_RECEIVES: String(maxReceives),
      QUEUE_URL_BASE: `${ACCOUNT_QUEUES}/`,
      QUEUE_NAME_PREFIX: `${STAGE.service}-${STAGE.stage}`,
      ...FLOW_ENVIRONMENT,
    };
    const dynamo = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const clients: AwsClients = {
      s3: new S3Client({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      sfn: new SFNClient({ region: 'us-east-1' }),
      a2i: new SageMakerA2IRuntimeClient({ region: 'us-east-1' }),
      dynamo,
    };
    const splitter = splitterRuntime(this.env, clients);
    this.workflows = splitter.workflows;
    const consumer = consumerRuntime(this.env, clients, this.clock);
    this.s3Handler = createS3Handler(() => splitter);
    this.eventHandler = createEventHandler(() => ({ routes: eventRoutes(splitter.workflows), splitDeps: splitter.splitDeps }));
    this.workHandler = createWorkHandler(() => consumer);
    this.#mockAws();
  }

  /** `consumerConcurrency` consumers share each workflow's StartHumanLoop rate (1: this one has all of it). */
  static async create(dynamo: Dynalite, options: { workflowsDir?: string; maxReceives?: number; consumerConcurrency?: number } = {}): Promise<IngestHarness> {
    const tableName = `ledger-${++tableCount}-${process.pid}`;
    await dynamo.createLedgerTable(tableName);
    return new IngestHarness(tableName, dynamo.endpoint, options.workflowsDir ?? INGEST_WORKFLOWS, options.maxReceives ?? 3, options.consumerConcurrency ?? 1);
  }

  restore(): void {
    for (const mock of [this.s3, this.sqs, this.a2i, this.sfn]) mock.restore();
  }

  /** Stores an object and returns the S3 event notification the cloud would send for it (key URL-encoded, `+` for spaces). */
  putObject(key: string, body: string | Buffer, options: { bucket?: string; etag?: string } = {}): S3Event {
    const bucket = options.bucket ?? INPUT_BUCKET;
    const content = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.objects.set(`${bucket}/${key}`, content);
    const etag = options.etag ?? createHash('md5').update(content).digest('hex');
    const encodedKey = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: '2026-11-22T10:00:00.000Z',
          eventName: 'ObjectCreated:Put',
          userIdentity: { principalId: 'AWS:EXAMPLE' },
          requestParameters: { sourceIPAddress: '127.0.0.1' },
          responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'ingest',
            bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
            object: { key: encodedKey, size: content.length, eTag: etag, sequencer: '0055AED6DCD90281E5' },
          },
        },
      ],
    } as S3Event;
  }

  async uploadObject(key: string, body: string | Buffer, options: { bucket?: string; etag?: string } = {}): Promise<S3Event> {
    const event = this.putObject(key, body, options);
    await this.s3Handler(event, lambdaContext('ingest-s3-object'));
    return event;
  }

  async sendEvent(event: IngestEventInput): Promise<void> {
    await this.eventHandler(event, lambdaContext('ingest-event'));
  }

  /** Feeds queued work to the consumer, one message per invocation, until the queue is empty; failed work comes back with its receive count up, and past maxReceives goes to the DLQ. */
  async drain(): Promise<void> {
    for (let round = 0; this.work.length > 0; round++) {
      if (round > 10_000) throw new Error('work queue never drained');
      const item = this.work.shift() as { body: string; receives: number };
      item.receives++;
      this.workReceives++;
      const event: SQSEvent = {
        Records: [
          {
            messageId: `work-${round}`,
            receiptHandle: `handle-${round}`,
            body: item.body,
            attributes: {
              ApproximateReceiveCount: String(item.receives),
              SentTimestamp: '0',
              SenderId: 'test',
              ApproximateFirstReceiveTimestamp: '0',
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:work',
            awsRegion: 'us-east-1',
          },
        ],
      };
      let response: SQSBatchResponse | undefined;
      const invokedAt = this.clock.now();
      try {
        response = (await this.workHandler(event, lambdaContext('ingest-work', { timeoutMs: WORK_FUNCTION_TIMEOUT_MS, now: this.clock.now }))) as SQSBatchResponse;
      } catch {
        response = { batchItemFailures: [{ itemIdentifier: `work-${round}` }] };
      }
      // Lambda would have ended the invocation at its timeout: the batch comes back whole, whatever it did.
      if (this.clock.now() - invokedAt > WORK_FUNCTION_TIMEOUT_MS) {
        this.timedOut++;
        response = { batchItemFailures: [{ itemIdentifier: `work-${round}` }] };
      }
      if (response.batchItemFailures.length === 0) continue;
      if (item.receives >= this.maxReceives) this.workDlq.push({ body: item.body });
      else this.work.push(item);
    }
  }

  /** The messages sent to a workflow's queue: to the URL of the queue the stack names for it. */
  deliveredTo(workflow: string, queue: string): ReviewMessage[] {
    const fifo = this.workflows.find(({ definition }) => definition.name === workflow)?.definition.queues[queue]?.fifo;
    if (fifo === undefined) throw new Error(`workflow ${workflow} has no queue ${queue}`);
    const url = `${ACCOUNT_QUEUES}/${workflowQueueName(`${STAGE.service}-${STAGE.stage}`, workflow, queue, fifo)}`;
    return this.delivered.filter((entry) => entry.queueUrl === url).map((entry) => entry.message);
  }

  #mockAws(): void {
    this.s3.on(GetObjectCommand).callsFake(({ Bucket, Key }) => {
      const content = this.objects.get(`${Bucket}/${Key}`);
      if (!content) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      // Several chunks, so records cross chunk boundaries as they do over the network.
      const chunks = [];
      for (let offset = 0; offset < content.length; offset += 4096) chunks.push(content.subarray(offset, offset + 4096));
      return { Body: sdkStreamMixin(Readable.from(chunks)) };
    });
    this.s3.on(PutObjectCommand).callsFake(({ Bucket, Key, Body }) => {
      this.objects.set(`${Bucket}/${Key}`, Buffer.from(Body as string));
      return {};
    });
    // SQS's size limits, as AWS applies them: a call over the batch limit fails whole, an entry over the message limit fails alone.
    this.sqs.on(SendMessageBatchCommand).callsFake(({ QueueUrl, Entries }) => {
      const entries: SendMessageBatchRequestEntry[] = Entries ?? [];
      const sizes = entries.map((entry) => sqsMessageBytes(entry.MessageBody ?? '', entry.MessageAttributes));
      if (sizes.reduce((sum, size) => sum + size, 0) > SQS_MAX_BATCH_BYTES) {
        throw new BatchRequestTooLong({ message: `Batch requests cannot be longer than ${SQS_MAX_BATCH_BYTES} bytes.`, $metadata: { httpStatusCode: 400 } });
      }
      const accepted = entries.filter((_, index) => sizes[index] <= SQS_MAX_MESSAGE_BYTES);
      for (const entry of accepted) {
        if (QueueUrl === WORK_QUEUE_URL) this.work.push({ body: entry.MessageBody as string, receives: 0 });
        else this.delivered.push({ queueUrl: QueueUrl as string, message: JSON.parse(entry.MessageBody as string), entry });
      }
      return {
        Successful: accepted.map((entry) => ({ Id: entry.Id, MessageId: `id-${entry.Id}`, MD5OfMessageBody: '' })),
        Failed: entries
          .filter((_, index) => sizes[index] > SQS_MAX_MESSAGE_BYTES)
          .map((entry) => ({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: `Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.` })),
      };
    });
    this.sqs.on(ChangeMessageVisibilityCommand).callsFake(({ QueueUrl, VisibilityTimeout }) => {
      if (QueueUrl !== WORK_QUEUE_URL) throw new Error(`unexpected ChangeMessageVisibility on ${QueueUrl}`);
      this.workVisibility.push(VisibilityTimeout as number);
      return {};
    });
    this.sqs.on(SendMessageCommand).callsFake(({ QueueUrl, MessageBody, MessageAttributes }) => {
      if (QueueUrl !== WORK_DLQ_URL) throw new Error(`unexpected SendMessage to ${QueueUrl}`);
      if (sqsMessageBytes(MessageBody ?? '', MessageAttributes) > SQS_MAX_MESSAGE_BYTES) {
        throw new SQSServiceException({ name: 'InvalidParameterValue', $fault: 'client', message: `Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`, $metadata: { httpStatusCode: 400 } });
      }
      this.workDlq.push({ body: MessageBody as string, reason: MessageAttributes?.reason?.StringValue });
      return { MessageId: 'dlq' };
    });
    this.a2i.on(StartHumanLoopCommand).callsFake((input: StartHumanLoopCommandInput) => {
      this.loops.push(input);
      const name = input.HumanLoopName as string;
      if (this.existingLoops.has(name)) {
        throw new ConflictException({ message: `human loop ${name} already exists`, $metadata: { httpStatusCode: 409 } });
      }
      this.existingLoops.add(name);
      return { HumanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${name}` };
    });
    this.sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
      this.executions.push(input);
      const name = input.name as string;
      if (this.existingExecutions.has(name)) {
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: { httpStatusCode: 400 } });
      }
      this.existingExecutions.add(name);
      return { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`, startDate: new Date() };
    });
  }
}

/** The Lambda context a handler is invoked with here: a minute to run unless said otherwise. */
export function lambdaContext(functionName: string, options: { timeoutMs?: number; now?: () => number } = {}): Context {
  return localLambdaContext({ functionName, timeoutMs: options.timeoutMs ?? 60_000, ...(options.now ? { now: options.now } : {}) });
}
