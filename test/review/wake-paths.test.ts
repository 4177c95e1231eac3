import { DescribeHumanLoopCommand, ResourceNotFoundException, SageMakerA2IRuntimeClient, ThrottlingException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { MemoryLedger } from '../../lib/ledger';
import { MalformedPollError, pollLoop } from '../../lib/review/poll-loop';
import type { PollMessage, PollQueue } from '../../lib/review/poll-queue';
import { wakeOnStatusEvent } from '../../lib/review/status-event';
import { TransientError } from '../../lib/review/task-errors';
import { parkTaskToken } from '../../lib/review/wait-for-status';
import { compileWorkflow, type Workflow } from '../../lib/workflow';
import { instantClock } from '../support/ingest-harness';

const a2iMock = mockClient(SageMakerA2IRuntimeClient);
const sfnMock = mockClient(SFNClient);
const workflow = compileWorkflow({
  name: 'claims',
  activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 100 } }] },
  tracking: { initialPollSeconds: 300, maxPollSeconds: 1200, timeoutSeconds: 86_400 },
  input: { projection: '@', oversize: 'invalid' },
  routes: [{ queue: 'out' }],
} as unknown as Workflow);

function setup() {
  const clock = instantClock();
  const ledger = new MemoryLedger(undefined, clock);
  const scheduled: PollMessage[] = [];
  const postponed: number[] = [];
  const polls: PollQueue = { schedule: async (poll) => void scheduled.push(poll), postpone: async (_handle, seconds) => void postponed.push(seconds) };
  const deps = { ledger, polls, sfn: new SFNClient({}), a2i: new SageMakerA2IRuntimeClient({}), workflow: () => workflow, clock };
  return { clock, ledger, scheduled, postponed, deps };
}

async function startedLoop(ledger: MemoryLedger, reviewId: string) {
  await ledger.reserveStart({ reviewId, workflow: 'claims', recordIndex: 0 });
  await ledger.markStarted(reviewId, { humanLoopName: reviewId });
}

const sentTokens = () => sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken);
const waitInput = (checkedAt: number) => ({ reviewId: 'claims-1', humanLoopName: 'claims-1', workflow: 'claims', taskToken: 'token-1', checkedAt, waitSeconds: 86_400 });

beforeEach(() => {
  a2iMock.reset();
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

describe('parkTaskToken (WaitForStatus)', () => {
  it('parks the token and schedules the first poll once, at the initial interval', async () => {
    const { ledger, scheduled, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');

    await parkTaskToken(waitInput(clock.now()), deps);
    await parkTaskToken({ ...waitInput(clock.now()), taskToken: 'token-2' }, deps);

    expect((await ledger.get('claims-1'))?.taskToken).toBe('token-2');
    expect(scheduled).toEqual([{ reviewId: 'claims-1', humanLoopName: 'claims-1', workflow: 'claims', intervalSeconds: 300, dueAt: clock.now() + 300_000 }]);
    expect(sentTokens()).toEqual([]);
  });

  it('an event that came after the last check but before the token was parked wakes the task at once', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    const checkedAt = clock.now();
    await clock.sleep(5);
    await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Completed' }, deps);

    const result = await parkTaskToken(waitInput(checkedAt), deps);

    expect(result).toEqual({ woken: true });
    expect(sentTokens()).toEqual(['token-1']);
  });

  it('an event from before the last check does not wake the next wait', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Stopping' }, deps);
    await clock.sleep(5);

    expect(await parkTaskToken(waitInput(clock.now()), deps)).toEqual({ woken: false });
    expect(sentTokens()).toEqual([]);
  });
});

describe('wakeOnStatusEvent', () => {
  it('sends the parked token back', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await parkTaskToken(waitInput(clock.now()), deps);

    expect(await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Completed' }, deps)).toBe('woken');
    expect(sentTokens()).toEqual(['token-1']);
  });

  it('a loop that is not ours, a record already delivered, and a stale token are all harmless', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await parkTaskToken(waitInput(clock.now()), deps);
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    expect(await wakeOnStatusEvent({ humanLoopName: 'someone-else', humanLoopStatus: 'Completed' }, deps)).toBe('not-ours');
    expect(await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Completed' }, deps)).toBe('stale');
    await ledger.claimDelivery({ reviewId: 'claims-1', workflow: 'claims', recordIndex: 0 }, 'reviewed');
    await ledger.markDelivered('claims-1');
    expect(await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Completed' }, deps)).toBe('noted');
  });
});

describe('pollLoop (the poll queue consumer)', () => {
  const poll = (dueAt: number, intervalSeconds = 300): string => JSON.stringify({ reviewId: 'claims-1', humanLoopName: 'claims-1', workflow: 'claims', intervalSeconds, dueAt });

  it('a poll received before it is due is hidden until then, without a DescribeHumanLoop', async () => {
    const { ledger, postponed, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');

    expect(await pollLoop(poll(clock.now() + 90_000), 'handle', deps)).toBe('early');
    expect(postponed).toEqual([90]);
    expect(a2iMock.commandCalls(DescribeHumanLoopCommand)).toHaveLength(0);
  });

  it('an open loop schedules the next poll at double the interval, capped at the maximum', async () => {
    const { ledger, scheduled, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    a2iMock.on(DescribeHumanLoopCommand).resolves({ HumanLoopStatus: 'InProgress' });

    expect(await pollLoop(poll(clock.now(), 300), 'h1', deps)).toBe('rescheduled');
    expect(await pollLoop(poll(clock.now(), 900), 'h2', deps)).toBe('rescheduled');

    expect(scheduled.map((next) => next.intervalSeconds)).toEqual([600, 1200]);
    expect(scheduled[0].dueAt).toBe(clock.now() + 600_000);
  });

  it.each(['Completed', 'Failed', 'Stopped'])('a loop found %s wakes the waiting execution, as its lost event would have', async (status) => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await parkTaskToken(waitInput(clock.now()), deps);
    a2iMock.on(DescribeHumanLoopCommand).resolves({ HumanLoopStatus: status as never });

    expect(await pollLoop(poll(clock.now()), 'h', deps)).toBe('woken');
    expect(sentTokens()).toEqual(['token-1']);
  });

  it('a deleted loop wakes the execution too; a delivered record ends the polls without a call', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await parkTaskToken(waitInput(clock.now()), deps);
    a2iMock.on(DescribeHumanLoopCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));

    expect(await pollLoop(poll(clock.now()), 'h', deps)).toBe('woken');
    await ledger.claimDelivery({ reviewId: 'claims-1', workflow: 'claims', recordIndex: 0 }, 'failed');
    await ledger.markDelivered('claims-1');
    a2iMock.resetHistory();
    expect(await pollLoop(poll(clock.now()), 'h', deps)).toBe('settled');
    expect(a2iMock.commandCalls(DescribeHumanLoopCommand)).toHaveLength(0);
  });

  it('a loop found Completed while no token is parked (the machine is backing off from a failed task): polling goes on, and wakes the next wait', async () => {
    const { ledger, scheduled, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    a2iMock.on(DescribeHumanLoopCommand).resolves({ HumanLoopStatus: 'Completed' });

    expect(await pollLoop(poll(clock.now(), 300), 'h1', deps)).toBe('rescheduled');
    expect(scheduled.map((next) => next.intervalSeconds)).toEqual([600]);
    await clock.sleep(1);
    await parkTaskToken({ ...waitInput(clock.now()), taskToken: 'token-after-backoff' }, deps);
    expect(await pollLoop(poll(clock.now(), 600), 'h2', deps)).toBe('woken');
    expect(sentTokens()).toEqual(['token-after-backoff']);
  });

  it('a stale parked token (its wait already ended) does not end the polls either', async () => {
    const { ledger, scheduled, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    await parkTaskToken(waitInput(clock.now()), deps);
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    a2iMock.on(DescribeHumanLoopCommand).resolves({ HumanLoopStatus: 'Completed' });

    expect(await pollLoop(poll(clock.now(), 300), 'h', deps)).toBe('rescheduled');
    expect(scheduled).toHaveLength(2);
  });

  it('throttling is a TransientError (the message is received again); a malformed poll is its own error', async () => {
    const { ledger, deps, clock } = setup();
    await startedLoop(ledger, 'claims-1');
    a2iMock.on(DescribeHumanLoopCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));

    await expect(pollLoop(poll(clock.now()), 'h', deps)).rejects.toBeInstanceOf(TransientError);
    await expect(pollLoop('{"reviewId": 1}', 'h', deps)).rejects.toBeInstanceOf(MalformedPollError);
    await expect(pollLoop('not json', 'h', deps)).rejects.toBeInstanceOf(MalformedPollError);
  });
});
