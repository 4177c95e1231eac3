import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InternalServerException, ServiceQuotaExceededException, StartHumanLoopCommand, ThrottlingException, ValidationException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { InvalidExecutionInput, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SqsDelivery } from '../../lib/delivery';
import { A2iLoopStarter } from '../../lib/loop-starter';
import { reviewMessage } from '../../lib/messages';
import { isRetryable, isThrottling } from '../../lib/retry';
import { AWS_CALL_POLICY, type AwsCallPolicy, AwsCallRetryStrategy } from '../../lib/runtime/aws-call-policy';
import { type AwsClients, createAwsClients } from '../../lib/runtime/aws-clients';
import { LoopbackAws, pointSdkAt, type Reply, WIRE } from '../support/loopback-aws';
import { FakeClock } from './helpers';

/**
 * The clients createAwsClients builds, as they behave on the wire: real SDK clients (their retry middleware and
 * HTTP handler included, which aws-sdk-client-mock bypasses) against a loopback server speaking each service's
 * protocol. The attempt counts are the production ones; waits and timeouts are made short so that nothing waits.
 */
const FAST: AwsCallPolicy = {
  throttling: { ...AWS_CALL_POLICY.throttling, baseDelayMs: 1, maxDelayMs: 2 },
  faults: { ...AWS_CALL_POLICY.faults, baseDelayMs: 1, maxDelayMs: 2 },
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
};
/** For a server that never answers: each request gives up soon. */
const IMPATIENT: AwsCallPolicy = { ...FAST, requestTimeoutMs: 100 };

const THROTTLED_ATTEMPTS = AWS_CALL_POLICY.throttling.maxAttempts;
const FAULT_ATTEMPTS = AWS_CALL_POLICY.faults.maxAttempts;
const LOOP_NAME = 'invoices-k7m2q4z5a6b3c2d7e4f5g6h7i2';
const FLOW_DEFINITION_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/invoices-review';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:review-loop';

let loopback: LoopbackAws;
let restoreEnv: () => void;
const built: AwsClients[] = [];

function clients(policy: AwsCallPolicy = FAST): AwsClients {
  const made = createAwsClients({ policy });
  built.push(made);
  return made;
}

beforeAll(async () => {
  loopback = await LoopbackAws.start();
  restoreEnv = pointSdkAt(loopback.endpoint);
});

afterEach(() => {
  for (const made of built.splice(0)) for (const client of Object.values(made)) client.destroy();
});

afterAll(async () => {
  restoreEnv();
  await loopback.close();
});

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

interface ServiceCase {
  service: string;
  client: keyof AwsClients;
  /** One call of the service, resolving to what the successful answer carried. */
  call(clients: AwsClients): Promise<unknown>;
  success(body: string): Reply;
  expected: unknown;
  throttle: Reply;
  fault: Reply;
  clientError: Reply;
  /** The SDK's error for clientError, by name. */
  clientErrorName: string;
}

const QUEUE_URL = () => `${loopback.endpoint}/123456789012/reviewed`;

const SERVICES: ServiceCase[] = [
  {
    service: 'A2I runtime (StartHumanLoop)',
    client: 'a2i',
    call: async (made) => (await made.a2i.send(new StartHumanLoopCommand({ HumanLoopName: LOOP_NAME, FlowDefinitionArn: FLOW_DEFINITION_ARN, HumanLoopInput: { InputContent: '{}' } }))).HumanLoopArn,
    success: () => WIRE.a2i.startHumanLoop(LOOP_NAME),
    expected: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${LOOP_NAME}`,
    ...WIRE.a2i,
    clientErrorName: 'ValidationException',
  },
  {
    service: 'SQS (SendMessageBatch)',
    client: 'sqs',
    call: async (made) => (await made.sqs.send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL(), Entries: [{ Id: 'm0', MessageBody: '{"reviewId":"r-1"}' }] }))).Successful?.map((entry) => entry.Id),
    success: (body) => WIRE.sqs.sendMessageBatch(body),
    expected: ['m0'],
    ...WIRE.sqs,
    clientErrorName: 'QueueDoesNotExist',
  },
  {
    service: 'Step Functions (StartExecution)',
    client: 'sfn',
    call: async (made) => (await made.sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: LOOP_NAME, input: '{}' }))).executionArn,
    success: () => WIRE.sfn.startExecution(LOOP_NAME),
    expected: `arn:aws:states:us-east-1:123456789012:execution:review-loop:${LOOP_NAME}`,
    ...WIRE.sfn,
    clientErrorName: 'InvalidExecutionInput',
  },
  {
    service: 'S3 (GetObject)',
    client: 's3',
    call: async (made) => (await made.s3.send(new GetObjectCommand({ Bucket: 'model-outputs', Key: 'predictions/a.jsonl' }))).Body?.transformToString(),
    success: () => WIRE.s3.getObject('{"id":"a"}\n'),
    expected: '{"id":"a"}\n',
    ...WIRE.s3,
    clientErrorName: 'NoSuchKey',
  },
  {
    service: 'DynamoDB (GetItem)',
    client: 'dynamo',
    call: async (made) => (await made.dynamo.send(new GetCommand({ TableName: 'ledger', Key: { reviewId: 'r-1' } }))).Item,
    success: () => WIRE.dynamodb.getItem({ reviewId: { S: 'r-1' } }),
    expected: { reviewId: 'r-1' },
    ...WIRE.dynamodb,
    clientErrorName: 'ValidationException',
  },
];

describe.each(SERVICES)('a client from createAwsClients: $service', (service) => {
  it('retries throttling up to its budget: throttled on all but the last allowed request, the call succeeds', async () => {
    // Prepare
    const throttles = THROTTLED_ATTEMPTS - 1;
    loopback.answer((request, n) => (n <= throttles ? service.throttle : service.success(request.body)));

    // Act
    const result = await service.call(clients());

    // Assess
    expect(result).toEqual(service.expected);
    expect(loopback.requests).toHaveLength(throttles + 1);
    // The SDK's retry middleware made them, numbering its attempts against the policy's most.
    expect(loopback.attempts()).toEqual(Array.from({ length: throttles + 1 }, (_, index) => `attempt=${index + 1}; max=${THROTTLED_ATTEMPTS}`));
  });

  it('gives up on throttling after exactly its budget of requests, with the throttling error', async () => {
    // Prepare
    loopback.answer(() => service.throttle);

    // Act
    const error = await failureOf(service.call(clients()));

    // Assess
    expect(loopback.requests).toHaveLength(THROTTLED_ATTEMPTS);
    expect(isThrottling(error)).toBe(true);
    // What the caller then does with it: leave the record for a later try.
    expect(isRetryable(error)).toBe(true);
  });

  it('retries a 500 within the faults budget: once failed, then the call succeeds', async () => {
    // Prepare
    loopback.answer((request, n) => (n === 1 ? service.fault : service.success(request.body)));

    // Act
    const result = await service.call(clients());

    // Assess
    expect(result).toEqual(service.expected);
    expect(loopback.requests).toHaveLength(2);
  });

  it('gives up on a 500 after exactly the faults budget, fewer requests than throttling gets', async () => {
    // Prepare
    loopback.answer(() => service.fault);

    // Act
    const error = await failureOf(service.call(clients()));

    // Assess
    expect(loopback.requests).toHaveLength(FAULT_ATTEMPTS);
    expect(FAULT_ATTEMPTS).toBeLessThan(THROTTLED_ATTEMPTS);
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(500);
    expect(isThrottling(error)).toBe(false);
    expect(isRetryable(error)).toBe(true);
  });

  it('never retries a client error: exactly one request', async () => {
    // Prepare
    loopback.answer(() => service.clientError);

    // Act
    const error = await failureOf(service.call(clients()));

    // Assess
    expect(loopback.requests).toHaveLength(1);
    expect(error.name).toBe(service.clientErrorName);
    expect(isRetryable(error)).toBe(false);
  });

  it('fails a server that never answers with TimeoutError, after the faults budget of requests', async () => {
    // Prepare
    loopback.answer(() => 'hang');

    // Act
    const error = await failureOf(service.call(clients(IMPATIENT)));

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(loopback.requests).toHaveLength(FAULT_ATTEMPTS);
    expect(isRetryable(error)).toBe(true);
  });
});

describe('the production policy on every client', () => {
  it.each(SERVICES)('$service: the policy\'s retry strategy, and its timeouts (thrown, not only logged) on the HTTP handler', async (service) => {
    // Prepare
    const made = createAwsClients();
    built.push(made);
    loopback.answer((request) => service.success(request.body));

    // Act: the handler resolves its configuration on its first request.
    await service.call(made);

    // Assess
    const { config } = made[service.client];
    expect(await config.retryStrategy()).toBeInstanceOf(AwsCallRetryStrategy);
    const handlerConfig = (config.requestHandler as unknown as { httpHandlerConfigs(): Record<string, unknown> }).httpHandlerConfigs();
    expect(handlerConfig).toMatchObject({ connectionTimeout: AWS_CALL_POLICY.connectionTimeoutMs, requestTimeout: AWS_CALL_POLICY.requestTimeoutMs, throwOnRequestTimeout: true });
  });
});

describe('what the callers see of the SDK retries', () => {
  it('A2iLoopStarter: a StartHumanLoop throttled three times is retried by the SDK, starts the loop, and counts no StartThrottled', async () => {
    // Prepare
    let startHumanLoops = 0;
    loopback.answer((request) => {
      if (request.url.startsWith('/human-loops')) return ++startHumanLoops < THROTTLED_ATTEMPTS ? WIRE.a2i.throttle : WIRE.a2i.startHumanLoop(LOOP_NAME);
      return WIRE.sfn.startExecution(LOOP_NAME);
    });
    const made = clients();
    const onThrottled = jest.fn();

    // Act
    const started = await new A2iLoopStarter(made.a2i, made.sfn, { stateMachineArn: STATE_MACHINE_ARN }).start(
      { humanLoopName: LOOP_NAME, flowDefinitionArn: FLOW_DEFINITION_ARN, inputContent: '{}', contentClassifiers: [] },
      { reviewId: LOOP_NAME },
      { onThrottled },
    );

    // Assess
    expect(started.alreadyStarted).toBe(false);
    expect(startHumanLoops).toBe(THROTTLED_ATTEMPTS);
    expect(loopback.requests.filter((request) => request.headers['x-amz-target'] === 'AWSStepFunctions.StartExecution')).toHaveLength(1);
    expect(onThrottled).not.toHaveBeenCalled();
  });

  it('A2iLoopStarter: a StartHumanLoop still throttled after the SDK budget is one StartThrottled, one ThrottlingException, no execution', async () => {
    // Prepare
    loopback.answer(() => WIRE.a2i.throttle);
    const made = clients();
    const onThrottled = jest.fn();

    // Act
    const error = await failureOf(
      new A2iLoopStarter(made.a2i, made.sfn, { stateMachineArn: STATE_MACHINE_ARN }).start(
        { humanLoopName: LOOP_NAME, flowDefinitionArn: FLOW_DEFINITION_ARN, inputContent: '{}', contentClassifiers: [] },
        { reviewId: LOOP_NAME },
        { onThrottled },
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(loopback.requests).toHaveLength(THROTTLED_ATTEMPTS);
    expect(loopback.requests.every((request) => request.url.startsWith('/human-loops'))).toBe(true);
    expect(onThrottled).toHaveBeenCalledTimes(1);
  });

  it('A2iLoopStarter: over A2I\'s quota (ServiceQuotaExceededException, 402) is not retried by the SDK: one request, one StartThrottled', async () => {
    // Prepare
    loopback.answer(() => ({ status: 402, headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ServiceQuotaExceededException' }, body: JSON.stringify({ Message: 'quota' }) }));
    const made = clients();
    const onThrottled = jest.fn();

    // Act
    const error = await failureOf(
      new A2iLoopStarter(made.a2i, made.sfn, { stateMachineArn: STATE_MACHINE_ARN }).start(
        { humanLoopName: LOOP_NAME, flowDefinitionArn: FLOW_DEFINITION_ARN, inputContent: '{}', contentClassifiers: [] },
        { reviewId: LOOP_NAME },
        { onThrottled },
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ServiceQuotaExceededException);
    expect(loopback.requests).toHaveLength(1);
    expect(onThrottled).toHaveBeenCalledTimes(1);
    // Retrying in milliseconds does not lift a quota: the record waits for the next receive.
    expect(isRetryable(error)).toBe(true);
  });

  it('A2I error classes survive the retries: InternalServerException after the faults budget, ValidationException after one request', async () => {
    // Prepare
    const made = clients();
    const start = () => made.a2i.send(new StartHumanLoopCommand({ HumanLoopName: LOOP_NAME, FlowDefinitionArn: FLOW_DEFINITION_ARN, HumanLoopInput: { InputContent: '{}' } }));

    // Act
    loopback.answer(() => WIRE.a2i.fault);
    const fault = await failureOf(start());
    const faultRequests = loopback.requests.length;
    loopback.answer(() => WIRE.a2i.clientError);
    const invalid = await failureOf(start());

    // Assess
    expect(fault).toBeInstanceOf(InternalServerException);
    expect(faultRequests).toBe(FAULT_ATTEMPTS);
    expect(invalid).toBeInstanceOf(ValidationException);
    expect(loopback.requests).toHaveLength(1);
  });

  it('Step Functions error classes survive too: InvalidExecutionInput after one request', async () => {
    // Prepare
    loopback.answer(() => WIRE.sfn.clientError);

    // Act
    const error = await failureOf(clients().sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: LOOP_NAME, input: '{}' })));

    // Assess
    expect(error).toBeInstanceOf(InvalidExecutionInput);
    expect(loopback.requests).toHaveLength(1);
  });

  it('SqsDelivery: the SDK retries a throttled SendMessageBatch; the entry SQS then failed on its side is resent once, alone', async () => {
    // Prepare
    const clock = new FakeClock();
    loopback.answer((request, n) => {
      if (n === 1) return WIRE.sqs.throttle;
      if (n === 2) return WIRE.sqs.sendMessageBatch(request.body, ['m1']);
      return WIRE.sqs.sendMessageBatch(request.body);
    });
    const source = { type: 's3' as const, bucket: 'model-outputs', key: 'a.jsonl', etag: '"e"' };
    const messages = [0, 1].map((index) =>
      reviewMessage({ reviewId: `r-${index}`, workflow: 'invoices', source: { ...source, recordIndex: index } }, 'auto-accepted', { record: { index }, decision: { activated: false, humanTaskActivationConditionResults: { Conditions: [] } } }),
    );

    // Act
    await new SqsDelivery(clients().sqs, { resend: { clock } }).deliver(messages.map((message) => ({ queue: { url: QUEUE_URL(), fifo: false }, message })));

    // Assess
    const sent = loopback.requests.map((request) => (JSON.parse(request.body) as { Entries: { Id: string }[] }).Entries.map((entry) => entry.Id));
    expect(sent).toEqual([['m0', 'm1'], ['m0', 'm1'], ['m1']]);
    // The SDK waited before its retry; the application waited once, before its resend.
    expect(clock.sleeps).toHaveLength(1);
  });
});
