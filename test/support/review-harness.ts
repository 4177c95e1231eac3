import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeHumanLoopCommand,
  ResourceNotFoundException,
  SageMakerA2IRuntimeClient,
  StopHumanLoopCommand,
} from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { workflowBundleFor } from './workflow-bundle';
import { StateMachine } from 'aws-local-stepfunctions';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHandler as createPollHandler } from '../../functions/loop-poll';
import { createHandler as createStatusEventHandler } from '../../functions/loop-status-event';
import { createHandler as createCheckHandler } from '../../functions/review-loop-check';
import { createHandler as createCompleteHandler } from '../../functions/review-loop-complete';
import { createHandler as createFailHandler } from '../../functions/review-loop-fail';
import { createHandler as createWaitHandler } from '../../functions/review-loop-wait';
import type { ReviewMessage } from '../../lib/messages';
import type { HumanAnswer } from '../../lib/review/consolidate';
import type { ReviewLoopInput } from '../../lib/review/loop-state';
import type { PollMessage } from '../../lib/review/poll-queue';
import type { AwsClients } from '../../lib/runtime/aws-clients';
import { reviewRuntime } from '../../lib/runtime/review-wiring';
import { workflowQueueName } from '../../lib/resource-names';
import { loadDefinition, REVIEW_LOOP_DEFINITION } from '../../lib/state-machine-definition';
import type { Dynalite } from './dynalite';
import { instantClock, lambdaContext } from './ingest-harness';

export const REVIEW_WORKFLOWS = join(__dirname, '..', 'fixtures', 'workflows', 'review');
const QUEUES = 'https://sqs.us-east-1.amazonaws.com/123456789012';
const POLL_QUEUE = `${QUEUES}/loop-polls`;
/** The stage the functions run in: workflow queues are named after it. */
const STAGE_PREFIX = 'a2i-orchestrator-ci';
/** Where the functions send a (standard) workflow queue's messages: the URL of the queue the stack names so. */
export const queueUrlOf = (workflow: string, queue: string): string => `${QUEUES}/${workflowQueueName(STAGE_PREFIX, workflow, queue, false)}`;
const FLOW = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/claims-ci';
const HOUR = 3_600_000;
/** The poll queue's VisibilityTimeout and maxReceiveCount (resources/queues.yml). */
const POLL_VISIBILITY_SECONDS = 180;
const POLL_MAX_RECEIVES = 5;
export const DAY = 24 * HOUR;

/** One status the scripted loop takes, `at` ms after its creation; A2I emits an event for it unless `lost`. */
export interface LoopStep {
  at: number;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopped' | 'Stopping' | 'Deleted';
  failureCode?: string;
  failureReason?: string;
  lost?: boolean;
}

export interface LoopScript {
  steps: LoopStep[];
  answers?: HumanAnswer[];
  /** Thrown by DescribeHumanLoop's first calls, in order. */
  describeErrors?: Error[];
  /** output.json's inputContent as A2I wrote it (default: the loop's input, as an object). */
  outputInputContent?: unknown;
  /** A status event delivered a second time, `at` ms after creation (duplicates are harmless). */
  duplicateEventAt?: number;
  /** Thrown by GetObject (output.json) and by SendMessageBatch (the record's message) on their first calls, in order. */
  readErrors?: Error[];
  sendErrors?: Error[];
  /** Error names a Task state reports on its first invocations, in order, as Lambda reports a function that timed out or ran out of memory. */
  taskErrors?: Partial<Record<'CheckLoop' | 'WaitForStatus' | 'DeliverReview', string[]>>;
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  /** Why the execution failed. */
  error?: unknown;
  /** State transitions, counted as Step Functions bills them: every state entered. */
  transitions: number;
  states: string[];
  describeCalls: number;
  /** Polls the poll function made (each one DescribeHumanLoop call). */
  polls: number;
  /** Poll messages that failed every receive and went to the poll queue's DLQ. */
  deadPolls: number;
  stopCalls: number;
  delivered: { queueUrl: string; message: ReviewMessage; entry: SendMessageBatchRequestEntry }[];
  /** Simulated ms from the loop's creation to the end of the execution. */
  elapsed: number;
}

/**
 * Executes statemachines/review-loop.asl.json unchanged with aws-local-stepfunctions, every Task bound to
 * the handler the cloud runs (SDK clients mocked, the ledger on dynalite), A2I scripted over simulated
 * time. WaitForStatus is a real wait: its token is parked by the real function and sent back by the real
 * status-event function when the script's event falls inside the wait; otherwise it times out
 * (States.Timeout) after the check's waitSeconds of simulated time, exactly where the cloud would poll.
 */
export class ReviewHarness {
  readonly a2i = mockClient(SageMakerA2IRuntimeClient);
  readonly s3 = mockClient(S3Client);
  readonly sqs = mockClient(SQSClient);
  readonly sfn = mockClient(SFNClient);
  readonly clock = instantClock();
  readonly objects = new Map<string, string>();
  readonly env: Record<string, string>;
  private constructor(
    readonly tableName: string,
    private readonly clients: AwsClients,
  ) {
    this.env = {
      WORKFLOWS_BUNDLE: workflowBundleFor(REVIEW_WORKFLOWS),
      LEDGER_TABLE: tableName,
      PAYLOAD_BUCKET: 'orchestrator-payloads',
      POLL_QUEUE_URL: POLL_QUEUE,
      QUEUE_URL_BASE: `${QUEUES}/`,
      QUEUE_NAME_PREFIX: STAGE_PREFIX,
    };
  }

  static async create(dynamo: Dynalite): Promise<ReviewHarness> {
    const tableName = `review-ledger-${Math.random().toString(36).slice(2)}`;
    await dynamo.createLedgerTable(tableName);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const clients: AwsClients = {
      s3: new S3Client({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      sfn: new SFNClient({ region: 'us-east-1' }),
      a2i: new SageMakerA2IRuntimeClient({ region: 'us-east-1' }),
      dynamo: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    };
    return new ReviewHarness(tableName, clients);
  }

  restore(): void {
    for (const mock of [this.a2i, this.s3, this.sqs, this.sfn]) mock.restore();
  }

  /** The ledger as ingest leaves it for a started loop. */
  async startLoop(input: ReviewLoopInput): Promise<void> {
    const ledger = reviewRuntime(this.env, this.clients, this.clock).ledger;
    await ledger.reserveStart({ reviewId: input.reviewId, workflow: input.workflow, recordIndex: input.source.recordIndex });
    await ledger.markStarted(input.reviewId, { humanLoopName: input.humanLoopName });
  }

  async run(input: ReviewLoopInput, script: LoopScript, definition = loadDefinition(REVIEW_LOOP_DEFINITION, FUNCTION_ARNS)): Promise<RunResult> {
    await this.startLoop(input);
    const runtime = reviewRuntime(this.env, this.clients, this.clock);
    const created = this.clock.now();
    const since = () => this.clock.now() - created;
    const stepAt = (elapsed: number) => [...script.steps].reverse().find((step) => step.at <= elapsed) ?? { at: 0, status: 'InProgress' as const };
    let describeCalls = 0;
    let stopCalls = 0;
    const delivered: RunResult['delivered'] = [];
    const outputUri = `s3://a2i-output/claims/2026/11/22/10/00/00/${input.humanLoopName}/output.json`;
    if (script.answers) {
      this.objects.set(outputUri, JSON.stringify({ flowDefinitionArn: FLOW, humanLoopName: input.humanLoopName, inputContent: 'outputInputContent' in script ? script.outputInputContent : { reviewId: input.reviewId, record: { claimId: input.recordId, amount: 1200 }, decision: DECISION }, humanAnswers: script.answers }));
    }
    const describeErrors = [...(script.describeErrors ?? [])];
    const readErrors = [...(script.readErrors ?? [])];
    const sendErrors = [...(script.sendErrors ?? [])];

    this.a2i.on(DescribeHumanLoopCommand).callsFake(() => {
      describeCalls++;
      const error = describeErrors.shift();
      if (error) throw error;
      const step = stepAt(since());
      if (step.status === 'Deleted') throw new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 404 } });
      return {
        CreationTime: new Date(created),
        HumanLoopStatus: step.status,
        HumanLoopName: input.humanLoopName,
        HumanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${input.humanLoopName}`,
        FlowDefinitionArn: FLOW,
        ...(step.failureCode ? { FailureCode: step.failureCode } : {}),
        ...(step.failureReason ? { FailureReason: step.failureReason } : {}),
        ...(step.status === 'Completed' ? { HumanLoopOutput: { OutputS3Uri: outputUri } } : {}),
      };
    });
    this.a2i.on(StopHumanLoopCommand).callsFake(() => {
      stopCalls++;
      return {};
    });
    this.s3.on(GetObjectCommand).callsFake(({ Bucket, Key }) => {
      const error = readErrors.shift();
      if (error) throw error;
      const text = this.objects.get(`s3://${Bucket}/${Key}`);
      if (text === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(text)])) };
    });
    this.sqs.on(SendMessageBatchCommand).callsFake(({ QueueUrl, Entries }) => {
      const error = sendErrors.shift();
      if (error) throw error;
      for (const entry of Entries ?? []) delivered.push({ queueUrl: QueueUrl as string, message: JSON.parse(entry.MessageBody as string), entry });
      return { Successful: (Entries ?? []).map((entry: SendMessageBatchRequestEntry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
    });
    let wake: ((output: unknown) => void) | undefined;
    this.sfn.on(SendTaskSuccessCommand).callsFake(({ output }) => {
      if (!wake) throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
      const resolve = wake;
      wake = undefined;
      resolve(JSON.parse(output as string));
      return {};
    });
    const pollQueue: PollMessage[] = [];
    /** Receives of each poll message (its ApproximateReceiveCount). */
    const receives = new Map<PollMessage, number>();
    let polls = 0;
    let deadPolls = 0;
    this.sqs.on(SendMessageCommand).callsFake(({ QueueUrl, MessageBody }) => {
      if (QueueUrl !== POLL_QUEUE) throw new Error(`unexpected SendMessage to ${QueueUrl}`);
      pollQueue.push(JSON.parse(MessageBody as string));
      return { MessageId: 'poll' };
    });
    this.sqs.on(ChangeMessageVisibilityCommand).callsFake(() => {
      throw new Error('polls are delivered when due here, never early');
    });

    const check = createCheckHandler(() => runtime);
    const wait = createWaitHandler(() => runtime);
    const complete = createCompleteHandler(() => runtime);
    const fail = createFailHandler(() => runtime);
    const statusEvent = createStatusEventHandler(() => runtime);
    const poll = createPollHandler(() => runtime);
    const deliveredEvents = new Set<LoopStep>();
    const sendEvent = async (step: LoopStep) => {
      await statusEvent(
        {
          version: '0',
          id: `event-${step.at}`,
          'detail-type': 'SageMaker A2I HumanLoop Status Change',
          source: 'aws.sagemaker',
          account: '123456789012',
          time: new Date(created + step.at).toISOString(),
          region: 'us-east-1',
          resources: [],
          detail: { humanLoopName: input.humanLoopName, humanLoopStatus: step.status, flowDefinitionArn: FLOW, creationTime: new Date(created).toISOString() },
        },
        lambdaContext('loop-status-event'),
      );
    };
    const runPoll = async (message: PollMessage) => {
      polls++;
      const receive = (receives.get(message) ?? 0) + 1;
      const body = JSON.stringify(message);
      const record = { messageId: `poll-${polls}`, receiptHandle: `poll-${polls}`, body, attributes: { ApproximateReceiveCount: String(receive) }, messageAttributes: {}, eventSource: 'aws:sqs' };
      const response = await poll({ Records: [record] } as never, lambdaContext('loop-poll'));
      if (response.batchItemFailures.length === 0) return;
      // As the poll queue does (resources/queues.yml): visible again after its visibility timeout, to the DLQ after the last receive.
      if (receive >= POLL_MAX_RECEIVES) {
        deadPolls++;
        return;
      }
      const again = { ...message, dueAt: this.clock.now() + POLL_VISIBILITY_SECONDS * 1000 };
      receives.set(again, receive);
      pollQueue.push(again);
    };
    /** Status events and due polls, in time order, until the wait is woken or its window ends. */
    const waitForWake = async (windowEnd: number): Promise<boolean> => {
      while (wake !== undefined) {
        const event = script.steps.find((step) => !step.lost && !deliveredEvents.has(step) && isEventStatus(step.status));
        const due = pollQueue.reduce<PollMessage | undefined>((first, next) => (!first || next.dueAt < first.dueAt ? next : first), undefined);
        const eventAt = event ? event.at : Infinity;
        const pollAt = due ? due.dueAt - created : Infinity;
        const at = Math.min(eventAt, pollAt);
        if (at > windowEnd) return false;
        if (at > since()) await this.clock.sleep(at - since());
        if (event && eventAt <= pollAt) {
          deliveredEvents.add(event);
          await sendEvent(event);
          if (script.duplicateEventAt !== undefined) await sendEvent({ ...event, at: script.duplicateEventAt });
        } else if (due) {
          pollQueue.splice(pollQueue.indexOf(due), 1);
          await runPoll(due);
        }
      }
      return true;
    };

    const taskErrors = Object.fromEntries(Object.entries(script.taskErrors ?? {}).map(([state, names]) => [state, [...(names ?? [])]]));
    /** The function failed before its code ran to the end (a timeout, out of memory): the state sees only the error's name. */
    const failing = <T>(state: string, run: () => Promise<T>): Promise<T> => {
      const name = taskErrors[state]?.shift();
      return name ? Promise.reject(Object.assign(new Error(`${state}: ${name}`), { name })) : run();
    };
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as never, {
      context: { Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:review-loop:${input.humanLoopName}`, Name: input.humanLoopName, Input: input as never, StartTime: new Date(created).toISOString() }, Task: { Token: `token-${input.humanLoopName}` } },
      overrides: {
        retryIntervalOverrides: { CheckLoop: 0, WaitForStatus: 0, DeliverReview: 0, DeliverFailure: 0 },
        taskResourceLocalHandlers: {
          CheckLoop: (state) => failing('CheckLoop', async () => (await asLambdaTask(() => check(state as never, lambdaContext('review-loop-check')))) as never),
          DeliverReview: (state) => failing('DeliverReview', async () => (await asLambdaTask(() => complete(state as never, lambdaContext('review-loop-complete')))) as never),
          DeliverFailure: async (state) => (await asLambdaTask(() => fail(state as never, lambdaContext('review-loop-fail')))) as never,
          WaitForStatus: async (parameters) => {
            await failing('WaitForStatus', async () => undefined);
            const payload = (parameters as { Payload: { waitSeconds: number } }).Payload;
            const woken = new Promise((resolve) => (wake = resolve));
            await asLambdaTask(() => wait(payload as never, lambdaContext('review-loop-wait')));
            const windowEnd = since() + payload.waitSeconds * 1000;
            if (await waitForWake(windowEnd)) return (await woken) as never;
            wake = undefined;
            await this.clock.sleep(windowEnd - since());
            throw Object.assign(new Error('Task timed out'), { name: 'States.Timeout' });
          },
        },
      },
    });
    const states: string[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') states.push((event as { state: { name: string } }).state.name);
        if (process.env.REVIEW_HARNESS_DEBUG && (event.type === 'StateFailed' || event.type === 'StateCaught' || event.type === 'StateRetried')) console.log(JSON.stringify(event).slice(0, 600));
      }
    })();
    let status: RunResult['status'] = 'SUCCEEDED';
    let error: unknown;
    try {
      await execution.result;
    } catch (failure) {
      status = 'FAILED';
      error = failure;
    }
    await collecting;
    return { status, ...(error ? { error } : {}), transitions: states.length, states, describeCalls, polls, deadPolls, stopCalls, delivered, elapsed: since() };
  }
}

/**
 * A Lambda task's error as the machine's Catch sees it in AWS: `Error` is the function's errorType and `Cause` its
 * error document as JSON text, stack included (the Node.js runtime's `{errorType, errorMessage, trace}`; see
 * "AWS Lambda function errors in Node.js"). The local engine would otherwise pass the bare message as the Cause.
 */
async function asLambdaTask<T>(invoke: () => Promise<T>): Promise<T> {
  try {
    return await invoke();
  } catch (error) {
    const thrown = error as Error;
    const document = { errorType: thrown.name, errorMessage: thrown.message, trace: (thrown.stack ?? '').split('\n') };
    throw Object.assign(new Error(JSON.stringify(document)), { name: thrown.name });
  }
}

const isEventStatus = (status: LoopStep['status']): boolean => status === 'Completed' || status === 'Failed' || status === 'Stopped';

const FUNCTION_ARNS = {
  ReviewLoopCheckFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:review-loop-check',
  ReviewLoopWaitFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:review-loop-wait',
  ReviewLoopCompleteFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:review-loop-complete',
  ReviewLoopFailFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:review-loop-fail',
};

const DECISION = {
  activated: true,
  humanTaskActivationConditionResults: {
    Conditions: [{ ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'fraudConfidence', ConfidenceLessThan: 0.9 }, EvaluationResult: true }],
  },
};

export function claimInput(id: string): ReviewLoopInput {
  const name = `claims-${id}`;
  return {
    reviewId: name,
    workflow: 'claims',
    humanLoopName: name,
    flowDefinitionArn: FLOW,
    source: { type: 's3', bucket: 'model-outputs', key: 'claims/batch.jsonl', etag: 'abc', recordIndex: 0, line: 1 },
    recordId: id,
  };
}

export function answer(verdict: string, worker: string, submittedMinute: number): HumanAnswer {
  return {
    answerContent: { verdict: { label: verdict } },
    workerId: worker,
    workerMetadata: { identityData: { identityProviderType: 'Cognito', issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x', sub: worker } },
    acceptanceTime: `2026-11-22T10:0${submittedMinute - 1}:00.000Z`,
    submissionTime: `2026-11-22T10:0${submittedMinute}:00.000Z`,
    timeSpentInSeconds: 60,
  };
}
