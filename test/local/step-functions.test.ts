import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExecutionSummary, LocalStepFunctions, type TaskHandler } from '../../lib/local/step-functions';
import { loadDefinition, REVIEW_LOOP_DEFINITION } from '../../lib/state-machine-definition';

const DEMO_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:demo';
const REVIEW_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:review-loop';
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:callback';

/** Prepare (Task) → Route (Choice) → Callback (waitForTaskToken, 1 s) → Done, with Catch on Rejected and States.Timeout. */
const DEMO = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:prepare', ResultPath: '$.prepared', Next: 'Route' },
    Route: { Type: 'Choice', Choices: [{ Variable: '$.mode', StringEquals: 'skip', Next: 'Done' }], Default: 'Callback' },
    Callback: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FUNCTION, Payload: { 'token.$': '$$.Task.Token', 'id.$': '$.id', 'execution.$': '$$.Execution.Id' } },
      TimeoutSeconds: 1,
      ResultPath: '$.callback',
      Catch: [
        { ErrorEquals: ['Rejected'], ResultPath: '$.error', Next: 'Done' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Done' },
      ],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

interface CallbackPayload {
  token: string;
  id: string;
  execution: string;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  const result = {} as Deferred<T>;
  result.promise = new Promise<T>((resolve, reject) => Object.assign(result, { resolve, reject }));
  return result;
}

/** Tokens the Callback handler received, awaited by id: no polling. */
class Parked {
  private readonly waiting = new Map<string, Deferred<CallbackPayload>>();
  private entry(id: string): Deferred<CallbackPayload> {
    let entry = this.waiting.get(id);
    if (!entry) {
      entry = deferred<CallbackPayload>();
      this.waiting.set(id, entry);
    }
    return entry;
  }
  park(payload: CallbackPayload): void {
    this.entry(payload.id).resolve(payload);
  }
  next(id: string): Promise<CallbackPayload> {
    const promise = this.entry(id).promise;
    return promise.finally(() => this.waiting.delete(id));
  }
}

describe('LocalStepFunctions over the SFN JSON protocol', () => {
  let server: Server;
  let local: LocalStepFunctions;
  let client: SFNClient;
  let endpoint: string;
  const parked = new Parked();
  const ended: ExecutionSummary[] = [];
  let lateRejection: Deferred<unknown> | undefined;
  let checks: Array<Record<string, unknown>> = [];
  const reviewTokens: string[] = [];

  beforeAll(async () => {
    const callback: TaskHandler = async (input) => {
      const payload = (input as { Payload: CallbackPayload }).Payload;
      parked.park(payload);
      // A handler that fails only after its task timed out: its rejection must be observed.
      if (payload.id === 'late-failure') {
        lateRejection = deferred<unknown>();
        return lateRejection.promise;
      }
      return { StatusCode: 200 };
    };
    local = new LocalStepFunctions(
      [
        { arn: DEMO_ARN, definition: DEMO, tasks: { Prepare: async (input) => ({ by: 'prepare', id: (input as { id: string }).id }), Callback: callback } },
        {
          arn: REVIEW_ARN,
          definition: loadDefinition(REVIEW_LOOP_DEFINITION, {
            ReviewLoopCheckFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:check',
            ReviewLoopWaitFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:wait',
            ReviewLoopCompleteFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:complete',
            ReviewLoopFailFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fail',
          }),
          tasks: {
            CheckLoop: async (input) => {
              const state = input as Record<string, unknown>;
              checks.push(state);
              const next = checks.length < 3 ? 'wait' : 'complete';
              return { ...state, check: { next, checkedAt: `2026-11-22T10:0${checks.length}:00.000Z` }, Payload: { waitSeconds: 3600 } };
            },
            WaitForStatus: async (input) => {
              const payload = (input as { Payload: { taskToken: string } }).Payload;
              reviewTokens.push(payload.taskToken);
              // As the status-event function does: the token goes back through the real SDK.
              await client.send(new SendTaskSuccessCommand({ taskToken: payload.taskToken, output: JSON.stringify({ woken: true }) }));
              return { StatusCode: 200 };
            },
            DeliverReview: async (input) => ({ delivered: (input as { reviewId: string }).reviewId }),
            DeliverFailure: async () => {
              throw Object.assign(new Error('must not be reached'), { name: 'Unexpected' });
            },
          },
        },
      ],
      { onExecutionEnd: (summary) => ended.push(summary) },
    );
    server = createServer((req, res) => {
      void local.handle(req, res).then((handled) => {
        if (!handled) {
          res.statusCode = 404;
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
    client = new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });

  afterAll(async () => {
    local.close();
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const start = async (name: string, input: object) => {
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: DEMO_ARN, name, input: JSON.stringify({ mode: 'callback', ...input }) }));
    return { executionArn: started.executionArn as string, startDate: started.startDate };
  };
  const describe_ = (executionArn: string | undefined) => client.send(new DescribeExecutionCommand({ executionArn }));

  it('runs a Task, a Choice and a waitForTaskToken Task woken by SendTaskSuccess', async () => {
    // Prepare
    const { executionArn, startDate } = await start('callback-ok', { id: 'ok' });
    const payload = await parked.next('ok');

    // Act
    const running = await describe_(executionArn);
    await client.send(new SendTaskHeartbeatCommand({ taskToken: payload.token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: payload.token, output: JSON.stringify({ approved: true }) }));
    await local.idle();
    const done = await describe_(executionArn);

    // Assess
    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:demo:callback-ok');
    expect(startDate).toBeInstanceOf(Date);
    expect(payload.execution).toBe(executionArn);
    expect(running).toMatchObject({ status: 'RUNNING', name: 'callback-ok', stateMachineArn: DEMO_ARN, input: '{"mode":"callback","id":"ok"}', startDate });
    expect(running.stopDate).toBeUndefined();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.output as string)).toEqual({ mode: 'callback', id: 'ok', prepared: { by: 'prepare', id: 'ok' }, callback: { approved: true } });
    expect(local.executions().find((execution) => execution.executionArn === executionArn)).toMatchObject({ status: 'SUCCEEDED', transitions: 4 });
    expect(ended.find((summary) => summary.executionArn === executionArn)).toMatchObject({ status: 'SUCCEEDED', transitions: 4 });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: payload.token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('follows the Choice around the waiting task', async () => {
    const { executionArn } = await start('skip', { id: 'skip', mode: 'skip' });
    await local.idle();
    expect(await describe_(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(local.executions().find((execution) => execution.executionArn === executionArn)?.transitions).toBe(3);
  });

  it('fails the task with SendTaskFailure: caught by its error name, or failing the execution', async () => {
    // Prepare
    const caught = await start('rejected', { id: 'rejected' });
    const uncaught = await start('boom', { id: 'boom' });
    const [rejected, boom] = await Promise.all([parked.next('rejected'), parked.next('boom')]);

    // Act
    await client.send(new SendTaskFailureCommand({ taskToken: rejected.token, error: 'Rejected', cause: 'reviewer said no' }));
    await client.send(new SendTaskFailureCommand({ taskToken: boom.token, error: 'Boom', cause: 'it broke' }));
    await local.idle();

    // Assess
    expect(rejected.token).not.toBe(boom.token);
    const caughtDone = await describe_(caught.executionArn);
    expect(caughtDone.status).toBe('SUCCEEDED');
    expect(JSON.parse(caughtDone.output as string).error).toEqual({ Error: 'Rejected', Cause: 'reviewer said no' });
    expect(await describe_(uncaught.executionArn)).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'it broke' });
    expect(ended.find((summary) => summary.executionArn === uncaught.executionArn)).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'it broke' });
  });

  it('times the waiting task out (States.Timeout, caught) and invalidates its token', async () => {
    // Prepare
    const { executionArn } = await start('late-failure', { id: 'late-failure' });
    const payload = await parked.next('late-failure');

    // Act
    await local.idle();
    lateRejection?.reject(Object.assign(new Error('too late'), { name: 'Late' }));
    const [stale, garbage] = await Promise.allSettled([
      client.send(new SendTaskSuccessCommand({ taskToken: payload.token, output: '{}' })),
      client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })),
    ]);

    // Assess
    const done = await describe_(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string).error.Error).toBe('States.Timeout');
    expect(stale).toMatchObject({ status: 'rejected', reason: expect.any(TaskTimedOut) });
    expect(garbage).toMatchObject({ status: 'rejected', reason: expect.any(InvalidToken) });
  });

  it('is idempotent for a running execution with the same name and input, and rejects reused names', async () => {
    // Prepare
    const first = await start('same', { id: 'same' });
    await parked.next('same');

    // Act
    const again = await start('same', { id: 'same' });
    const otherInput = start('same', { id: 'other' });

    // Assess
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: DEMO_ARN, statusFilter: 'RUNNING' }));
    expect(listed.executions?.map((execution) => execution.name)).toEqual(['same']);
    await local.idle();
    await expect(start('same', { id: 'same' })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('answers with the SDK exception classes for unknown machines, executions and bad names', async () => {
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: `${DEMO_ARN}-missing`, name: 'x' }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(start('bad name', {})).rejects.toBeInstanceOf(InvalidName);
    await expect(start('x'.repeat(81), {})).rejects.toBeInstanceOf(InvalidName);
    await expect(describe_('arn:aws:states:us-east-1:123456789012:execution:demo:nope')).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('aborts running executions on close, calling no handler again (no retry, no catch), and passes other requests through', async () => {
    // Prepare
    const longWait = {
      ...DEMO,
      States: { ...DEMO.States, Callback: { ...DEMO.States.Callback, TimeoutSeconds: 3600, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }] } },
    };
    const called = deferred<void>();
    let calls = 0;
    const other = new LocalStepFunctions([
      {
        arn: DEMO_ARN,
        definition: longWait,
        tasks: {
          Prepare: async () => ({}),
          Callback: async () => {
            calls++;
            called.resolve();
            return {};
          },
        },
      },
    ]);
    const started = await other.start(DEMO_ARN, 'to-abort', { mode: 'callback', id: 'abort' });
    const again = await other.start(DEMO_ARN, 'to-abort', { mode: 'callback', id: 'abort' });
    await called.promise;

    // Act
    other.close();
    await other.idle();
    const response = await fetch(endpoint, { method: 'POST', body: '{}' });

    // Assess
    expect(again).toEqual(started);
    expect(other.executions()).toEqual([expect.objectContaining({ executionArn: started.executionArn, status: 'ABORTED', transitions: 3 })]);
    expect(calls).toBe(1);
    expect(response.status).toBe(404);
  });


  it('runs statemachines/review-loop.asl.json end to end, each wait woken through the SDK with its own token', async () => {
    // Prepare
    checks = [];
    const input = { reviewId: 'claims-1', workflow: 'claims', humanLoopName: 'claims-1' };

    // Act
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: REVIEW_ARN, name: 'claims-1', input: JSON.stringify(input) }));
    await local.idle();

    // Assess
    const done = await describe_(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toMatchObject({ ...input, check: { next: 'complete' }, result: { delivered: 'claims-1' } });
    expect(reviewTokens).toHaveLength(2);
    expect(new Set(reviewTokens).size).toBe(2);
    // CheckLoop, Route, WaitForStatus twice over, then CheckLoop, Route, DeliverReview, Done.
    expect(local.executions().find((execution) => execution.executionArn === executionArn)?.transitions).toBe(10);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: reviewTokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });
});
