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

function starter(): A2iLoopStarter {
  return new A2iLoopStarter(a2i, sfn, { stateMachineArn: STATE_MACHINE_ARN });
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
      await starter().start(request, executionInput);

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
      await starter().start({ ...request, contentClassifiers: [] }, executionInput);

      // Assess
      expect(startHumanLoopInputs()).toStrictEqual([
        { HumanLoopName: LOOP_NAME, FlowDefinitionArn: FLOW_DEFINITION_ARN, HumanLoopInput: { InputContent: request.inputContent } },
      ]);
    });

    it('starts the tracking execution named after the loop, with the execution input as JSON', async () => {
      // Act
      await starter().start(request, executionInput);

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
      const started = await starter().start(request, executionInput);

      // Assess
      expect(order).toEqual(['StartHumanLoop', 'StartExecution']);
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: EXECUTION_ARN, alreadyStarted: false });
    });
  });

  // The clients' retry strategy retries throttling and faults inside each send (lib/runtime/aws-call-policy.ts;
  // test/unit-aws/aws-clients.test.ts runs it against a loopback server). aws-sdk-client-mock bypasses the SDK's
  // middleware, so here every rejection is what a call ends with after those retries: the starter must not retry it.
  describe('one call per start', () => {
    it.each([
      ['ThrottlingException', () => throttling()],
      ['ServiceQuotaExceededException', () => new ServiceQuotaExceededException({ message: 'quota', Message: 'quota', $metadata: { httpStatusCode: 402 } })],
    ])('a StartHumanLoop ending in %s is thrown after one call, counted once as throttled, and starts no execution', async (_name, make) => {
      // Prepare
      const error = make();
      const onThrottled = jest.fn();
      a2iMock.on(StartHumanLoopCommand).rejects(error);

      // Act
      const thrown = await failureOf(starter().start(request, executionInput, { onThrottled }));

      // Assess
      expect(thrown).toBe(error);
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(onThrottled).toHaveBeenCalledTimes(1);
      expect(startExecutionCount()).toBe(0);
    });

    it('a StartHumanLoop ending in InternalServerException is thrown after one call, not counted as throttled', async () => {
      // Prepare
      const onThrottled = jest.fn();
      const internal = new InternalServerException({ message: 'internal', Message: 'internal', $metadata: { httpStatusCode: 500 } });
      a2iMock.on(StartHumanLoopCommand).rejects(internal);

      // Act
      const thrown = await failureOf(starter().start(request, executionInput, { onThrottled }));

      // Assess
      expect(thrown).toBe(internal);
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(onThrottled).not.toHaveBeenCalled();
    });

    it('throws a ValidationException as the SDK raised it, after exactly one call, and starts no execution', async () => {
      // Prepare
      const invalid = new ValidationException({ message: 'InputContent is not valid JSON', Message: 'InputContent is not valid JSON', $metadata: { httpStatusCode: 400 } });
      a2iMock.on(StartHumanLoopCommand).rejects(invalid);

      // Act
      const error = await failureOf(starter().start(request, executionInput));

      // Assess
      expect(error).toBe(invalid);
      expect(error).toBeInstanceOf(ValidationException);
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(startExecutionCount()).toBe(0);
    });

    it('a StartExecution ending throttled is thrown after one call, and the loop is started once', async () => {
      // Prepare
      const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
      const onThrottled = jest.fn();
      sfnMock.on(StartExecutionCommand).rejects(throttled);

      // Act
      const error = await failureOf(starter().start(request, executionInput, { onThrottled }));

      // Assess
      expect(error).toBe(throttled);
      expect(startExecutionCount()).toBe(1);
      expect(startHumanLoopInputs()).toHaveLength(1);
      // StartThrottled is about A2I's StartHumanLoop.
      expect(onThrottled).not.toHaveBeenCalled();
    });

    it('throws a non-retryable StartExecution error (InvalidExecutionInput) after one call', async () => {
      // Prepare
      const invalid = new InvalidExecutionInput({ message: 'too large', $metadata: { httpStatusCode: 400 } });
      sfnMock.on(StartExecutionCommand).rejects(invalid);

      // Act
      const error = await failureOf(starter().start(request, executionInput));

      // Assess
      expect(error).toBe(invalid);
      expect(startExecutionCount()).toBe(1);
    });
  });

  describe('duplicated triggers', () => {
    it('treats ConflictException (a loop of that name exists) as already started, and still starts the execution', async () => {
      // Prepare
      a2iMock.on(StartHumanLoopCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: { httpStatusCode: 409 } }));

      // Act
      const started = await starter().start(request, executionInput);

      // Assess
      expect(started).toEqual({ humanLoopArn: undefined, executionArn: EXECUTION_ARN, alreadyStarted: true });
      expect(startHumanLoopInputs()).toHaveLength(1);
      expect(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input).toStrictEqual({
        stateMachineArn: STATE_MACHINE_ARN,
        name: LOOP_NAME,
        input: JSON.stringify(executionInput),
      });
    });

    it('treats Step Functions ExecutionAlreadyExists as already started', async () => {
      // Prepare
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));

      // Act
      const started = await starter().start(request, executionInput);

      // Assess
      expect(started).toEqual({ humanLoopArn: HUMAN_LOOP_ARN, executionArn: undefined, alreadyStarted: true });
      expect(startExecutionCount()).toBe(1);
    });

    it('a start that ended throttled, tried again (the work queue\'s next receive), finds the loop the throttled call made and starts the execution', async () => {
      // Prepare
      a2iMock
        .on(StartHumanLoopCommand)
        .rejectsOnce(throttling())
        .rejectsOnce(new ConflictException({ message: 'exists', Message: 'exists', $metadata: { httpStatusCode: 409 } }));
      const first = await failureOf(starter().start(request, executionInput));

      // Act
      const started = await starter().start(request, executionInput);

      // Assess
      expect(first).toBeInstanceOf(ThrottlingException);
      expect(started.alreadyStarted).toBe(true);
      expect(startHumanLoopInputs()).toHaveLength(2);
      expect(startExecutionCount()).toBe(1);
    });
  });

  describe('pacing', () => {
    it('takes one rate-limiter token per start, before its StartHumanLoop (the SDK\'s retries inside it wait by their backoff)', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(1, 1, clock);
      const events: string[] = [];
      const take = limiter.take.bind(limiter);
      jest.spyOn(limiter, 'take').mockImplementation(async () => {
        await take();
        events.push(`take@${clock.now()}`);
        return true;
      });
      a2iMock.on(StartHumanLoopCommand).callsFake(async (input: StartHumanLoopCommandInput) => {
        events.push(`StartHumanLoop ${input.HumanLoopName}@${clock.now()}`);
        return { HumanLoopArn: HUMAN_LOOP_ARN };
      });
      const start = clock.now();

      // Act
      await starter().start(request, executionInput, { limiter });
      await starter().start({ ...request, humanLoopName: `${LOOP_NAME}x` }, executionInput, { limiter });

      // Assess
      expect(events).toEqual([`take@${start}`, `StartHumanLoop ${LOOP_NAME}@${start}`, `take@${start + 1_000}`, `StartHumanLoop ${LOOP_NAME}x@${start + 1_000}`]);
      expect(startExecutionCount()).toBe(2);
    });

    it('does not take a token for StartExecution', async () => {
      // Prepare
      const limiter = new RateLimiter(100, 5, new FakeClock());
      const take = jest.spyOn(limiter, 'take');

      // Act
      await starter().start(request, executionInput, { limiter });

      // Assess
      expect(take).toHaveBeenCalledTimes(1);
      expect(startExecutionCount()).toBe(1);
    });
  });
});
