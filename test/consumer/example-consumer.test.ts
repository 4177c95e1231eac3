import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { createHandler } from '../../functions/example-consumer';
import { lambdaContext as localLambdaContext } from '../../lib/local/lambda-context';
import { type ReviewConsumerRuntime, reviewConsumerRuntime } from '../../lib/consumer/wiring';
import { type ReviewMessage, reviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';
import { logger } from '../../lib/runtime/observability';
import { once } from '../../lib/runtime/once';

// The example consumer as Lambda runs it: SQS events in, partial batch responses out, the dedupe table on
// dynalite, and handleReview replaced by a jest function to count what the business logic was given.

const CREATED_AT = new Date('2026-11-22T10:15:00.000Z');
const SECRET = 'IBAN-DE89-3704-SECRET';

const decisionActivated = {
  activated: true,
  humanTaskActivationConditionResults: {
    Conditions: [{ ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }, EvaluationResult: true }],
  },
};
const decisionNotActivated = {
  activated: false,
  humanTaskActivationConditionResults: {
    Conditions: [{ ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 }, EvaluationResult: false }],
  },
};
const source = (recordIndex: number) => ({ type: 's3' as const, bucket: 'model-outputs', key: 'invoices/2026-11-22/batch-7.jsonl', etag: '9b2cf535f27731c974343645a3985328', recordIndex, line: recordIndex + 1 });
const record = (invoiceId: string) => ({ invoiceId, vendor: 'ACME GmbH', iban: SECRET, fields: [{ name: 'total', value: '1280.00', confidence: 0.62 }] });
const answer = (total: string, workerId: string, submissionTime: string) => ({
  acceptanceTime: '2026-11-22T09:58:00.000Z',
  answerContent: { total, approve: { on: true } },
  submissionTime,
  timeSpentInSeconds: 41.2,
  workerId,
});

/** One real contract message per outcome, built as the orchestrator builds them. */
const MESSAGES: Record<ReviewMessage['outcome'], ReviewMessage> = {
  reviewed: reviewMessage(
    { reviewId: 'invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1001', workflow: 'invoice-extraction', source: source(0), recordId: 'inv-1001' },
    'reviewed',
    {
      record: record('inv-1001'),
      decision: decisionActivated,
      review: {
        humanLoopName: 'invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1001',
        humanLoopArn: 'arn:aws:sagemaker:us-east-1:123456789012:human-loop/invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1001',
        status: 'Completed',
        outputS3Uri: 's3://a2i-output/invoice-extraction/2026/11/22/10/05/11/invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1001/output.json',
        answers: [
          answer('1280.00', 'a1b2c3d4e5f60718', '2026-11-22T10:01:00.000Z'),
          answer('1280.00', 'b2c3d4e5f6071829', '2026-11-22T10:03:00.000Z'),
          answer('1208.00', 'c3d4e5f60718293a', '2026-11-22T10:05:00.000Z'),
        ],
        consolidated: { total: '1280.00', approve: { on: true } },
        agreement: 2 / 3,
        tie: false,
        startedAt: '2026-11-22T09:50:00.000Z',
        completedAt: '2026-11-22T10:05:00.000Z',
        secondsInReview: 900,
      },
    },
    CREATED_AT,
  ),
  'auto-accepted': reviewMessage(
    { reviewId: 'invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1002', workflow: 'invoice-extraction', source: source(1), recordId: 'inv-1002' },
    'auto-accepted',
    { record: record('inv-1002'), decision: decisionNotActivated },
    CREATED_AT,
  ),
  failed: reviewMessage(
    { reviewId: 'invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-inv-1003', workflow: 'invoice-extraction', source: source(2), recordId: 'inv-1003' },
    'failed',
    { record: record('inv-1003'), decision: decisionActivated, failure: { code: 'HumanLoopExpired', reason: 'no reviewer picked the task up before it expired' } },
    CREATED_AT,
  ),
  invalid: reviewMessage(
    { reviewId: 'invoice-extraction-3k9d2m7q1x5w8r2t4y6u0-line-4', workflow: 'invoice-extraction', source: source(3) },
    'invalid',
    { failure: { code: 'RecordNotJson', reason: 'line 4: Unexpected end of JSON input' } },
    CREATED_AT,
  ),
};
const { reviewed, failed } = MESSAGES;

let dynamo: Dynalite;
let client: DynamoDBClient;
let tableCount = 0;
let logLines: string[];

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(() => {
  logLines = [];
  logger.setLogLevel('DEBUG');
  // Powertools puts the initial level (SILENT under test) back on every warm invocation.
  jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  // Powertools writes warnings and errors to stderr, the rest to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  jest.restoreAllMocks();
  logger.setLogLevel('SILENT');
});

/** A fresh dedupe table and the env the function is deployed with. */
async function deployment(): Promise<Record<string, string>> {
  const tableName = `consumer-dedupe-${++tableCount}`;
  await dynamo.createTable(tableName, 'id');
  return { DEDUPE_TABLE: tableName, AWS_LAMBDA_FUNCTION_NAME: 'invoices-example-consumer' };
}

/** One Lambda environment: the real wiring with handleReview replaced. */
function environment(env: Record<string, string>, handleReview: jest.Mock<Promise<void>, [ReviewMessage]>) {
  const runtime: ReviewConsumerRuntime = { ...reviewConsumerRuntime(env, client), handleReview };
  const handler = createHandler(() => runtime);
  return (event: SQSEvent) => handler(event, lambdaContext()) as Promise<SQSBatchResponse>;
}

function sqsRecord(messageId: string, body: string, receives = 1): SQSRecord {
  const parsed = ((): Partial<ReviewMessage> => {
    try {
      return JSON.parse(body) as Partial<ReviewMessage>;
    } catch {
      return {};
    }
  })();
  return {
    messageId,
    receiptHandle: `receipt-${messageId}-${receives}`,
    body,
    attributes: { ApproximateReceiveCount: String(receives), SentTimestamp: '1795341300000', SenderId: 'AROAEXAMPLE', ApproximateFirstReceiveTimestamp: '1795341300100' },
    messageAttributes: {
      workflow: { dataType: 'String', stringValue: String(parsed.workflow ?? 'invoice-extraction') },
      outcome: { dataType: 'String', stringValue: String(parsed.outcome ?? 'reviewed') },
    },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:invoice-extraction-results',
    awsRegion: 'us-east-1',
  };
}

const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const delivery = (messageId: string, message: ReviewMessage, receives = 1) => sqsRecord(messageId, JSON.stringify(message), receives);
const calledWith = (handleReview: jest.Mock, reviewId: string) => handleReview.mock.calls.filter(([message]) => (message as ReviewMessage).reviewId === reviewId).length;

function lambdaContext(): Context {
  return localLambdaContext({ functionName: 'invoices-example-consumer', timeoutMs: 60_000, memoryLimitInMB: 256 });
}

it('hands a message of each outcome to handleReview and reports no failures', async () => {
  // Prepare
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>().mockResolvedValue(undefined);
  const invoke = environment(await deployment(), handleReview);
  const warn = jest.spyOn(console, 'warn');
  const event = sqsEvent(...Object.values(MESSAGES).map((message, index) => delivery(`m-${index}`, message)));

  // Act
  const response = await invoke(event);

  // Assess
  for (const message of Object.values(MESSAGES)) expect(messageProblems(message)).toEqual([]);
  expect(response).toEqual({ batchItemFailures: [] });
  expect(handleReview).toHaveBeenCalledTimes(4);
  for (const message of Object.values(MESSAGES)) expect(handleReview).toHaveBeenCalledWith(message);
  // Powertools warns when it has no invocation deadline for the dedupe claim: the handler gave it one.
  expect(warn).not.toHaveBeenCalled();
});

it('reports a body that breaks the contract and one that is not JSON by messageId, and logs their problems, never their content', async () => {
  // Prepare
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>().mockResolvedValue(undefined);
  const invoke = environment(await deployment(), handleReview);
  const { review: _review, ...withoutReview } = reviewed;
  const event = sqsEvent(
    delivery('m-valid', failed),
    sqsRecord('m-invalid', JSON.stringify(withoutReview)),
    sqsRecord('m-not-json', `{"reviewId": "x", "iban": "${SECRET}"`),
  );

  // Act
  const response = await invoke(event);

  // Assess
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-invalid' }, { itemIdentifier: 'm-not-json' }]);
  expect(handleReview).toHaveBeenCalledTimes(1);
  expect(handleReview).toHaveBeenCalledWith(failed);
  const logs = logLines.join('');
  expect(logs).not.toContain(SECRET);
  const rejected = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.message === 'not a review message');
  expect(rejected.map(({ messageId, problems }) => ({ messageId, problems }))).toEqual([
    { messageId: 'm-invalid', problems: ["(message) must have required property 'review'", '(message) must match "then" schema'] },
    { messageId: 'm-not-json', problems: ['(message) is not JSON'] },
  ]);
});

it('runs handleReview once for a reviewId delivered twice in one batch, and fails neither copy', async () => {
  // Prepare
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>().mockResolvedValue(undefined);
  const invoke = environment(await deployment(), handleReview);
  const send = jest.spyOn(client, 'send');

  // Act
  const response = await invoke(sqsEvent(delivery('m-1', reviewed), delivery('m-2', failed), delivery('m-3', reviewed)));

  // Assess
  expect(response).toEqual({ batchItemFailures: [] });
  // The second copy waited for the first in the process: one claim per reviewId reached the table.
  expect(send.mock.calls.filter(([command]) => command instanceof PutItemCommand)).toHaveLength(2);
  expect(calledWith(handleReview, reviewed.reviewId)).toBe(1);
  expect(calledWith(handleReview, failed.reviewId)).toBe(1);
});

it('runs handleReview once for a reviewId delivered again in a later invocation, on another Lambda environment', async () => {
  // Prepare
  const env = await deployment();
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>().mockResolvedValue(undefined);
  const [first, second] = [environment(env, handleReview), environment(env, handleReview)];
  const firstResponse = await first(sqsEvent(delivery('m-1', reviewed)));

  // Act
  const secondResponse = await second(sqsEvent(delivery('m-1-copy', reviewed), delivery('m-2', failed)));

  // Assess
  expect(firstResponse).toEqual({ batchItemFailures: [] });
  expect(secondResponse).toEqual({ batchItemFailures: [] });
  expect(calledWith(handleReview, reviewed.reviewId)).toBe(1);
  expect(calledWith(handleReview, failed.reviewId)).toBe(1);
  expect(logLines.join('')).toContain('review already handled');
});

it('returns a copy that arrives while another environment handles its reviewId, and skips it when it comes back', async () => {
  // Prepare: environment A is inside handleReview for `reviewed` when B receives a copy.
  const env = await deployment();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>(async (message) => {
    if (message.reviewId === reviewed.reviewId) {
      entered();
      await released;
    }
  });
  const [a, b] = [environment(env, handleReview), environment(env, handleReview)];
  const running = a(sqsEvent(delivery('m-1', reviewed)));
  await inside;

  // Act
  const whileRunning = await b(sqsEvent(delivery('m-1-copy', reviewed), delivery('m-2', failed)));
  release();
  const aResponse = await running;
  const redelivered = await b(sqsEvent(delivery('m-1-copy', reviewed, 2)));

  // Assess
  expect(whileRunning).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1-copy' }] });
  expect(aResponse).toEqual({ batchItemFailures: [] });
  expect(redelivered).toEqual({ batchItemFailures: [] });
  expect(calledWith(handleReview, reviewed.reviewId)).toBe(1);
});

it('reports a message whose handleReview threw, and runs it again when it is redelivered', async () => {
  // Prepare
  const handleReview = jest.fn<Promise<void>, [ReviewMessage]>(async (message) => {
    if (message.reviewId === reviewed.reviewId && calledWith(handleReview, reviewed.reviewId) === 1) throw new Error('ERP unavailable');
  });
  const invoke = environment(await deployment(), handleReview);
  const firstResponse = await invoke(sqsEvent(delivery('m-1', reviewed), delivery('m-2', failed)));

  // Act
  const retryResponse = await invoke(sqsEvent(delivery('m-1', reviewed, 2)));
  const laterCopy = await invoke(sqsEvent(delivery('m-1-copy', reviewed)));

  // Assess
  expect(firstResponse).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  expect(retryResponse).toEqual({ batchItemFailures: [] });
  expect(laterCopy).toEqual({ batchItemFailures: [] });
  const runs = handleReview.mock.calls.flatMap(([message], index) => (message.reviewId === reviewed.reviewId ? [handleReview.mock.results[index].value] : []));
  expect((await Promise.allSettled(runs)).map(({ status }) => status)).toEqual(['rejected', 'fulfilled']);
  expect(logLines.map((line) => JSON.parse(line).message)).toEqual(expect.arrayContaining(['review failed, retried later', 'review handled', 'review already handled']));
});

it('reads DEDUPE_TABLE once per environment and fails the invocation when it is missing', async () => {
  // Prepare
  const env = await deployment();
  const wiring = jest.fn(() => reviewConsumerRuntime(env, client));
  const configured = createHandler(once(wiring));
  const unconfigured = createHandler(once(() => reviewConsumerRuntime({}, client)));

  // Act
  await configured(sqsEvent(delivery('m-1', failed)), lambdaContext());
  await configured(sqsEvent(delivery('m-2', reviewed)), lambdaContext());
  const missing = unconfigured(sqsEvent(delivery('m-3', reviewed)), lambdaContext());

  // Assess
  expect(wiring).toHaveBeenCalledTimes(1);
  await expect(missing).rejects.toMatchObject({ name: 'ConfigError', message: 'environment variable DEDUPE_TABLE is required' });
});

it('reports each invocation its own failures when two batches overlap in one process (local mode runs them so)', async () => {
  // Prepare: batch A's first message fails once batch B has started; B's succeed after A has settled.
  let releaseB: () => void = () => undefined;
  const bHeld = new Promise<void>((resolve) => (releaseB = resolve));
  const failing = { ...MESSAGES.reviewed, reviewId: 'invoice-extraction-a-fails' };
  const passing = (reviewId: string) => ({ ...MESSAGES['auto-accepted'], reviewId });
  const handleReview = async (message: ReviewMessage): Promise<void> => {
    if (message.reviewId === failing.reviewId) throw new Error('downstream refused');
    if (message.reviewId.startsWith('b-')) await bHeld;
  };
  const runtime: ReviewConsumerRuntime = { dedupe: { runOnce: async (_reviewId, work) => (await work(), 'ran') }, handleReview };
  const handler = createHandler(() => runtime);
  const batchA = sqsEvent(delivery('a-1', failing), delivery('a-2', passing('a-2')));
  const batchB = sqsEvent(delivery('b-1', passing('b-1')), delivery('b-2', passing('b-2')));

  // Act
  const b = handler(batchB, lambdaContext()) as Promise<SQSBatchResponse>;
  const a = await (handler(batchA, lambdaContext()) as Promise<SQSBatchResponse>);
  releaseB();

  // Assess: A's failed message comes back; none of B's does.
  expect(a.batchItemFailures).toEqual([{ itemIdentifier: 'a-1' }]);
  expect((await b).batchItemFailures).toEqual([]);
});
