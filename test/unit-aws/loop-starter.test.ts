import {
  ConflictException,
  InternalServerException,
  SageMakerA2IRuntimeClient,
  ServiceQuotaExceededException,
  StartHumanLoopCommand,
  type StartHumanLoopCommandInput,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ExecutionAlreadyExists, InvalidExecutionInput, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { A2iLoopStarter, type LoopRequest } from '../../lib/loop-starter';
import { RateLimiter } from '../../lib/rate-limiter';
import type { RetryPolicy } from '../../lib/retry';
import { FakeClock, TEST_CREDENTIALS, TEST_REGION } from './helpers';

const a2iMock = mockClient(SageMakerA2IRuntimeClient);
const sfnMock = mockClient(SFNClient);
const a2i = new SageMakerA2IRuntimeClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
const sfn = new SFNClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:a2i-orchestrator-review-loop';
const FLOW_DEFINITION_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/invoices-review';
const LOOP_NAME = 'invoices-k7m2q4z5a6b3c2d7e4f5g6h7i2';
const HUMAN_LOOP_ARN = `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${LOOP_NAME}`;
const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:a2i-orchestrator-review-loop:${LOOP_NAME}`;
const POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 350 };

const request: LoopRequest = {
  humanLoopName: LOOP_NAME,
  flowDefinitionArn: FLOW_DEFINITION_ARN,
  inputContent: JSON.stringify({ taskObject: { invoiceId: 'inv-1', total: 120.5 }, decision: { activated: true } }),
  contentClassifiers: ['FreeOfPersonallyIdentifiableInformation', 'FreeOfAdultContent'],
};
const executionInput = { reviewId: LOOP_NAME, workflow: 'invoices', source: { type: 's3', bucket: 'model-output', key: 'a.json', recordIndex: 0 } };

function throttling(attempt = 0): ThrottlingException {
  return new ThrottlingException({ message: `Rate exceeded (${attempt})`, Message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}

function starter(clock: FakeClock, policy: RetryPolicy = POLICY, onRetry?: (error: unknown, attempt: number, delayMs: number) => void): A2iLoopStarter {
  return new A2iLoopStarter(a2i, sfn, { stateMachineArn: STATE_MACHINE_ARN, retry: { clock, policy, ...(onRetry ? { onRetry } : {}) } });
}

function startHumanLoopInputs(): StartHumanLoopCommandInput[] {
  return a2iMock.commandCalls(StartHumanLoopCommand).map((call) => call.args[0].input);
}

function startExecutionCount(): number {
  return sfnMock.commandCalls(StartExecutionCommand).length;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The ceiling of the n-th backoff (1-based): base·2^(n-1), capped. */
function ceilingOf(attempt: number, policy: RetryPolicy = POLICY): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

beforeEach(() => {
  a2iMock.reset();
  sfnMock.reset();
  a2iMock.on(StartHumanLoopCommand).resolves({ HumanLoopArn: HUMAN_LOOP_ARN });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() });
});

afterAll(() => {
  a2iMock.restore();
  sfnMock.restore();
  a2i.destroy();
  sfn.destroy();
});

describe('A2iLoopStarter', () => {
  describe('the calls it makes', () => {
    it('starts the human loop with exactly the request: name, flow definition, input content and content classifiers', async () => {
      // Act
      await starter(new FakeClock()).start(request, executionInput);

      // Assess
      expect(startHumanLoopInputs()).toStrictEqual([
        {
          HumanLoopName: LOOP_NAME,
          FlowDefinitionArn: FLOW_DEFINITION_ARN,
          HumanLoopInput: { InputContent: request.inputContent },
          DataAttributes: { ContentClassifiers: ['FreeOfPersonallyIdentifiableInformation', 'FreeOfAdultContent'] },
        },
      ]);
    });

    it('sends no DataAttributes when the workflow has no content classifiers', async () => {
      // Act
      await starter(new FakeClock()).start({ ...request, contentClassifiers: [] }, executionInput);

      // Assess
      expect(startHumanLoopInputs()).toStrictEqual([
        { HumanLoopName: LOOP_NAME, FlowDefinitionArn: FLOW_DEFINITION_ARN, HumanLoopInput: { InputContent: request.inputContent } },
      ]);
    });

    it('starts the tracking execution named after the loop, with the execution input as JSON', async () => {
      // Act
      await starter(new FakeClock()).start(request, executionInput);

      // Assess
      const calls = sfnMock.commandCalls(StartExecutionCommand);
      expect(calls).toHaveLength(1);
      const { input } = calls[0].args[0];
      expect(input).toStrictEqual({ stateMachineArn: STATE_MACHINE_ARN, name: LOOP_NAME, input: JSON.stringify(executionInput) });
      expect(JSON.parse(input.input ?? '')).toEqual(executionInput);
    });

    it('starts the loop before the execution and answers with both ARNs', async () => {
      // Prepare
      const order: string[] = [];
      a2iMock.on(StartHumanLoopCommand).callsFake(async () => {
        order.push('StartHumanLoop');
        return { HumanLoopArn: HUMAN_LOOP_ARN };
      });
      sfnMock.on(StartExecutionCommand).callsFake(async () => {
        order.push('StartExecution');
        return { executionArn: EXECUTION_ARN, startDate: new Date() };
      });

      // Act
      const started = await starter(new FakeClock()).start(request, executionInput);

      // Assess
      expect(order).toEqual(['StartHumanLoop', 'StartExecution']);
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: EXECUTION_ARN, alreadyStarted: false });
    });
  });

  describe('retries', () => {
    it.each([1, 3, 6])('retries %i ThrottlingException(s) with jittered exponential backoff, then starts', async (throttles) => {
      // Prepare
      const clock = new FakeClock({ random: 0.999 });
      const onThrottled = jest.fn();
      let stub = a2iMock.on(StartHumanLoopCommand);
      for (let attempt = 1; attempt <= throttles; attempt++) stub = stub.rejectsOnce(throttling(attempt));
      stub.resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      const started = await starter(clock).start(request, executionInput, { onThrottled });

      // Assess
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: EXECUTION_ARN, alreadyStarted: false });
      expect(startHumanLoopInputs()).toHaveLength(throttles + 1);
      expect(new Set(startHumanLoopInputs().map((input) => input.HumanLoopName))).toEqual(new Set([LOOP_NAME]));
      expect(startExecutionCount()).toBe(1);
      expect(onThrottled).toHaveBeenCalledTimes(throttles);
      expect(clock.sleeps).toHaveLength(throttles);
      clock.sleeps.forEach((delay, index) => {
        const ceiling = ceilingOf(index + 1);
        expect(delay).toBeLessThanOrEqual(ceiling);
        // With random() ≈ 1 the wait is (almost) the whole ceiling: the backoff grows and then stays capped.
        expect(delay).toBeGreaterThanOrEqual(0.99 * ceiling);
      });
    });

    it('draws each wait at random below its ceiling (full jitter)', async () => {
      // Prepare
      const randoms = [0.1, 0.9, 0.5, 0];
      const clock = new FakeClock({ random: randoms });
      a2iMock.on(StartHumanLoopCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      await starter(clock).start(request, executionInput);

      // Assess
      expect(clock.sleeps).toHaveLength(4);
      clock.sleeps.forEach((delay, index) => {
        expect(Math.abs(delay - randoms[index] * ceilingOf(index + 1))).toBeLessThanOrEqual(1);
      });
    });

    it('passes each retry to the caller onRetry with the attempt and the delay', async () => {
      // Prepare
      const clock = new FakeClock();
      const onRetry = jest.fn();
      const first = throttling(1);
      const second = new InternalServerException({ message: 'internal', Message: 'internal', $metadata: { httpStatusCode: 500 } });
      a2iMock.on(StartHumanLoopCommand).rejectsOnce(first).rejectsOnce(second).resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      await starter(clock, POLICY, onRetry).start(request, executionInput);

      // Assess
      expect(onRetry.mock.calls).toEqual([
        [first, 1, clock.sleeps[0]],
        [second, 2, clock.sleeps[1]],
      ]);
    });

    it('counts ServiceQuotaExceededException as throttled and retries it', async () => {
      // Prepare
      const clock = new FakeClock();
      const onThrottled = jest.fn();
      const quota = new ServiceQuotaExceededException({ message: 'quota', Message: 'quota', $metadata: { httpStatusCode: 402 } });
      a2iMock.on(StartHumanLoopCommand).rejectsOnce(quota).rejectsOnce(quota).resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      const started = await starter(clock).start(request, executionInput, { onThrottled });

      // Assess
      expect(started.humanLoopArn).toBe(HUMAN_LOOP_ARN);
      expect(startHumanLoopInputs()).toHaveLength(3);
      expect(onThrottled).toHaveBeenCalledTimes(2);
    });

    it('retries InternalServerException without counting it as throttled', async () => {
      // Prepare
      const clock = new FakeClock();
      const onThrottled = jest.fn();
      a2iMock
        .on(StartHumanLoopCommand)
        .rejectsOnce(new InternalServerException({ message: 'internal', Message: 'internal', $metadata: { httpStatusCode: 500 } }))
        .resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      const started = await starter(clock).start(request, executionInput, { onThrottled });

      // Assess
      expect(started.alreadyStarted).toBe(false);
      expect(startHumanLoopInputs()).toHaveLength(2);
      expect(clock.sleeps).toHaveLength(1);
      expect(onThrottled).not.toHaveBeenCalled();
    });

    it('throws a ValidationException as the SDK raised it, after exactly one call, and starts no execution', async () => {
      // Prepare
      const clock = new FakeClock();
      const invalid = new ValidationException({ message: 'InputContent is not valid JSON', Message: 'InputContent is not valid JSON', $metadata: { httpStatusCode: 400 } });
      a2iMock.on(StartHumanLoopCommand).rejects(invalid);

      // Act
      const error = await failureOf(starter(clock).start(request, executionInput));

      // Assess
      expect(error).toBe(invalid);
      expect(error).toBeInstanceOf(ValidationException);
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(startExecutionCount()).toBe(0);
      expect(clock.sleeps).toEqual([]);
    });

    it('gives up after maxAttempts throttles, throwing the last ThrottlingException', async () => {
      // Prepare
      const clock = new FakeClock();
      const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
      const errors = [1, 2, 3].map(throttling);
      a2iMock.on(StartHumanLoopCommand).rejectsOnce(errors[0]).rejectsOnce(errors[1]).rejectsOnce(errors[2]).resolves({ HumanLoopArn: HUMAN_LOOP_ARN });

      // Act
      const error = await failureOf(starter(clock, policy).start(request, executionInput));

      // Assess
      expect(error).toBe(errors[2]);
      expect(startHumanLoopInputs()).toHaveLength(3);
      expect(clock.sleeps).toHaveLength(2);
      expect(startExecutionCount()).toBe(0);
    });

    // Bug (lib/loop-starter.ts, start): onThrottled is called from withRetry's onRetry, which runs only
    // before another attempt. The throttle of the last attempt (when retries run out) is never counted, so the
    // StartThrottled metric reads maxAttempts − 1 for maxAttempts throttled calls. Pacing.onThrottled promises
    // a call "for each throttled StartHumanLoop".
    it('calls onThrottled for every throttled StartHumanLoop, the last one included', async () => {
      // Prepare
      const onThrottled = jest.fn();
      a2iMock.on(StartHumanLoopCommand).rejects(throttling());

      // Act
      await failureOf(starter(new FakeClock(), { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 }).start(request, executionInput, { onThrottled }));

      // Assess
      expect(startHumanLoopInputs()).toHaveLength(3);
      expect(onThrottled).toHaveBeenCalledTimes(3);
    });

    it('retries a throttled StartExecution', async () => {
      // Prepare
      const clock = new FakeClock();
      const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
      sfnMock.on(StartExecutionCommand).rejectsOnce(throttled).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() });

      // Act
      const started = await starter(clock).start(request, executionInput);

      // Assess
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: EXECUTION_ARN, alreadyStarted: false });
      expect(startExecutionCount()).toBe(2);
      expect(startHumanLoopInputs()).toHaveLength(1);
    });

    it('throws a non-retryable StartExecution error (InvalidExecutionInput) after one call', async () => {
      // Prepare
      const clock = new FakeClock();
      const invalid = new InvalidExecutionInput({ message: 'too large', $metadata: { httpStatusCode: 400 } });
      sfnMock.on(StartExecutionCommand).rejects(invalid);

      // Act
      const error = await failureOf(starter(clock).start(request, executionInput));

      // Assess
      expect(error).toBe(invalid);
      expect(startExecutionCount()).toBe(1);
      expect(clock.sleeps).toEqual([]);
    });
  });

  describe('duplicated triggers', () => {
    it('treats ConflictException (a loop of that name exists) as already started, and still starts the execution', async () => {
      // Prepare
      a2iMock.on(StartHumanLoopCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: { httpStatusCode: 409 } }));
      const clock = new FakeClock();

      // Act
      const started = await starter(clock).start(request, executionInput);

      // Assess
      expect(started).toEqual({ humanLoopArn: undefined, executionArn: EXECUTION_ARN, alreadyStarted: true });
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input).toStrictEqual({
        stateMachineArn: STATE_MACHINE_ARN,
        name: LOOP_NAME,
        input: JSON.stringify(executionInput),
      });
      expect(clock.sleeps).toEqual([]);
    });

    it('treats Step Functions ExecutionAlreadyExists as already started', async () => {
      // Prepare
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
      const clock = new FakeClock();

      // Act
      const started = await starter(clock).start(request, executionInput);

      // Assess
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: undefined, alreadyStarted: true });
      expect(startExecutionCount()).toBe(1);
      expect(clock.sleeps).toEqual([]);
    });

    it('treats a throttle followed by ConflictException (the throttled call did start the loop) as already started', async () => {
      // Prepare
      a2iMock
        .on(StartHumanLoopCommand)
        .rejectsOnce(throttling())
        .rejectsOnce(new ConflictException({ message: 'exists', Message: 'exists', $metadata: { httpStatusCode: 409 } }));

      // Act
      const started = await starter(new FakeClock()).start(request, executionInput);

      // Assess
      expect(started.alreadyStarted).toBe(true);
      expect(startHumanLoopInputs()).toHaveLength(2);
      expect(startExecutionCount()).toBe(1);
    });
  });

  describe('pacing', () => {
    it('takes a rate-limiter token before every StartHumanLoop attempt, retries included', async () => {
      // Prepare
      const clock = new FakeClock({ random: 0 });
      const limiter = new RateLimiter(1, 1, clock);
      const events: string[] = [];
      const take = limiter.take.bind(limiter);
      jest.spyOn(limiter, 'take').mockImplementation(async () => {
        await take();
        events.push(`take@${clock.now()}`);
        return true;
      });
      let calls = 0;
      a2iMock.on(StartHumanLoopCommand).callsFake(async () => {
        events.push(`StartHumanLoop@${clock.now()}`);
        if (++calls <= 2) throw throttling(calls);
        return { HumanLoopArn: HUMAN_LOOP_ARN };
      });
      const start = clock.now();

      // Act
      await starter(clock).start(request, executionInput, { limiter });

      // Assess
      expect(events).toEqual([
        `take@${start}`,
        `StartHumanLoop@${start}`,
        `take@${start + 1_000}`,
        `StartHumanLoop@${start + 1_000}`,
        `take@${start + 2_000}`,
        `StartHumanLoop@${start + 2_000}`,
      ]);
      expect(startExecutionCount()).toBe(1);
    });

    it('does not take a token for StartExecution', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(100, 5, clock);
      const take = jest.spyOn(limiter, 'take');

      // Act
      await starter(clock).start(request, executionInput, { limiter });

      // Assess
      expect(take).toHaveBeenCalledTimes(1);
      expect(startExecutionCount()).toBe(1);
    });
  });
});
