import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type Clock, systemClock } from '../clock';
import { SqsDelivery } from '../delivery';
import { DEFAULT_LEDGER_OPTIONS, DynamoDbLedger, type Ledger } from '../ledger';
import type { CheckDeps } from '../review/check-loop';
import type { FailureDeps } from '../review/deliver-failure';
import type { DeliverDeps } from '../review/deliver-once';
import type { PollDeps } from '../review/poll-loop';
import { SqsPollQueue } from '../review/poll-queue';
import type { ObjectReader, ReviewDeps } from '../review/deliver-review';
import type { WaitDeps } from '../review/wait-for-status';
import { parseS3Uri, S3PayloadStore } from '../s3-store';
import type { AwsClients } from './aws-clients';
import { processA2iClient } from './clients/a2i';
import { processDynamoClient } from './clients/dynamo';
import { processS3Client } from './clients/s3';
import { processSfnClient } from './clients/sfn';
import { processSqsClient } from './clients/sqs';
import { deployedWorkflowLookup, invalidQueueDirectory, queueDirectory, type WorkflowLookup } from './deployed-workflows';
import { requireEnv } from './env';

// CheckLoop's part has its module: it needs no ledger, so its bundle holds no DynamoDB client.
export { checkRuntime } from './check-wiring';

type Env = Record<string, string | undefined>;

/** What the review-loop tasks and the status-event function need. */
export interface ReviewRuntime {
  ledger: Ledger;
  check: CheckDeps;
  wait: WaitDeps;
  poll: PollDeps;
  review: ReviewDeps;
  failure: FailureDeps;
}

/**
 * Every review-loop function's dependencies, sharing one ledger and set of clients (local mode and tests).
 * Each deployed function wires only its own part (checkRuntime, waitRuntime …), so that its bundle holds only
 * the SDK clients that part uses; the workflows load without their activation conditions: no review step
 * evaluates one.
 */
export function reviewRuntime(env: Env = process.env, clients: AwsClients = { s3: processS3Client(), sqs: processSqsClient(), sfn: processSfnClient(), a2i: processA2iClient(), dynamo: processDynamoClient() }, clock: Clock = systemClock): ReviewRuntime {
  const workflows = deployedWorkflowLookup(env);
  const ledger = ledgerOf(env, clients, clock);
  const deliver = deliverDeps(env, clients, workflows, ledger, clock);
  const polls = pollQueue(env, clients);
  return {
    ledger,
    check: { a2i: clients.a2i, workflow: workflows.byName, clock },
    wait: { ledger, sfn: clients.sfn, polls, workflow: workflows.byName, clock },
    poll: { a2i: clients.a2i, sfn: clients.sfn, ledger, polls, workflow: workflows.byName, clock },
    review: reviewDeps(deliver, clients, clock),
    failure: { ...deliver, ...objectReader(clients), a2i: clients.a2i, clock },
  };
}

/** WaitForStatus and the status-event function: the ledger's token, Step Functions, the poll queue. */
export function waitRuntime(env: Env = process.env, clients: Pick<AwsClients, 'dynamo' | 'sfn' | 'sqs'> = { dynamo: processDynamoClient(), sfn: processSfnClient(), sqs: processSqsClient() }, clock: Clock = systemClock): Pick<ReviewRuntime, 'wait'> {
  return { wait: { ledger: ledgerOf(env, clients, clock), sfn: clients.sfn, polls: pollQueue(env, clients), workflow: deployedWorkflowLookup(env).byName, clock } };
}

/** The poll queue's consumer: DescribeHumanLoop, the ledger's token, Step Functions, the poll queue. */
export function pollRuntime(
  env: Env = process.env,
  clients: Pick<AwsClients, 'a2i' | 'dynamo' | 'sfn' | 'sqs'> = { a2i: processA2iClient(), dynamo: processDynamoClient(), sfn: processSfnClient(), sqs: processSqsClient() },
  clock: Clock = systemClock,
): Pick<ReviewRuntime, 'poll'> {
  return { poll: { a2i: clients.a2i, sfn: clients.sfn, ledger: ledgerOf(env, clients, clock), polls: pollQueue(env, clients), workflow: deployedWorkflowLookup(env).byName, clock } };
}

/** DeliverReview: output.json from S3, the ledger's claim, the destination queues (big messages staged in S3). */
export function deliverReviewRuntime(env: Env = process.env, clients: Pick<AwsClients, 'dynamo' | 'sqs' | 's3'> = { dynamo: processDynamoClient(), sqs: processSqsClient(), s3: processS3Client() }, clock: Clock = systemClock): Pick<ReviewRuntime, 'review'> {
  const workflows = deployedWorkflowLookup(env);
  return { review: reviewDeps(deliverDeps(env, clients, workflows, ledgerOf(env, clients, clock), clock), clients, clock) };
}

/** DeliverFailure: StopHumanLoop, the record's kept text, the ledger's claim, the destination queues (big messages staged in S3). */
export function deliverFailureRuntime(
  env: Env = process.env,
  clients: Pick<AwsClients, 'a2i' | 'dynamo' | 'sqs' | 's3'> = { a2i: processA2iClient(), dynamo: processDynamoClient(), sqs: processSqsClient(), s3: processS3Client() },
  clock: Clock = systemClock,
): Pick<ReviewRuntime, 'failure'> {
  const workflows = deployedWorkflowLookup(env);
  return { failure: { ...deliverDeps(env, clients, workflows, ledgerOf(env, clients, clock), clock), ...objectReader(clients), a2i: clients.a2i, clock } };
}

function ledgerOf(env: Env, clients: Pick<AwsClients, 'dynamo'>, clock: Clock): Ledger {
  return new DynamoDbLedger(clients.dynamo, requireEnv('LEDGER_TABLE', env), DEFAULT_LEDGER_OPTIONS, clock);
}

function pollQueue(env: Env, clients: Pick<AwsClients, 'sqs'>): SqsPollQueue {
  return new SqsPollQueue(clients.sqs, requireEnv('POLL_QUEUE_URL', env));
}

function deliverDeps(env: Env, clients: Pick<AwsClients, 'sqs' | 's3'>, workflows: WorkflowLookup, ledger: Ledger, clock: Clock): DeliverDeps {
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  const queueAddress = queueDirectory(workflows.all, env);
  return {
    ledger,
    delivery: new SqsDelivery(clients.sqs, { payloads, resend: { clock }, invalidQueue: invalidQueueDirectory(workflows.all, queueAddress) }),
    queueAddress,
    workflow: workflows.byName,
  };
}

function reviewDeps(deliver: DeliverDeps, clients: Pick<AwsClients, 's3'>, clock: Clock): ReviewDeps {
  return { ...deliver, ...objectReader(clients), clock };
}

/** GetObject of an s3:// URI, as text: output.json, a record's text in the payload bucket. */
function objectReader(clients: Pick<AwsClients, 's3'>): ObjectReader {
  return {
    async readObject(uri) {
      const { bucket, key } = parseS3Uri(uri);
      const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!Body) throw new Error(`GetObject returned no body for ${uri}`);
      return Body.transformToString('utf8');
    },
  };
}
