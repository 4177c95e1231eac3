import { ThrottlingException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { messageProblems } from '../../lib/messages/validate';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, DAY, queueUrlOf, ReviewHarness, type RunResult } from '../support/review-harness';

const HOUR = 3_600_000;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: ReviewHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await ReviewHarness.create(dynamo);
});
afterEach(() => harness.restore());

/** Exactly one terminal message, valid under the contract, on the queue named. */
function theMessage(result: RunResult, queue: string) {
  expect({ status: result.status, error: String(result.error ?? ''), states: result.states }).toEqual({ status: 'SUCCEEDED', error: '', states: expect.anything() });
  expect(result.delivered).toHaveLength(1);
  const [{ queueUrl, message }] = result.delivered;
  expect(queueUrl).toBe(queueUrlOf('claims', queue));
  expect(messageProblems(message)).toEqual([]);
  return message;
}

describe('a loop that completes', () => {
  it('wakes on the status event: one reviewed message in 7 transitions, whatever the review takes', async () => {
    const result = await harness.run(claimInput('c1'), { steps: [{ at: 2 * HOUR, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });

    const message = theMessage(result, 'reviewed');
    expect(message).toMatchObject({
      outcome: 'reviewed',
      reviewId: 'claims-c1',
      recordId: 'c1',
      record: { claimId: 'c1', amount: 1200 },
      decision: { activated: true },
      review: { humanLoopName: 'claims-c1', status: 'Completed', consolidated: { verdict: { label: 'fraud' } }, agreement: 1, tie: false },
    });
    expect(message.review?.answers).toHaveLength(1);
    expect(result.states).toEqual(['CheckLoop', 'Route', 'WaitForStatus', 'CheckLoop', 'Route', 'DeliverReview', 'Done']);
    expect(result.transitions).toBe(7);
    // Two checks by the machine, and the fallback polls of the poll function (300, 900, 2100 and 4500 s) before the event.
    expect(result.polls).toBe(4);
    expect(result.describeCalls).toBe(6);
    expect(result.elapsed).toBe(2 * HOUR);
  });

  it('a week-long review costs the machine no more transitions than an hour-long one', async () => {
    const hour = await harness.run(claimInput('c1h'), { steps: [{ at: HOUR, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });
    const week = await harness.run(claimInput('c1w'), { steps: [{ at: 7 * DAY, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });

    expect(week.transitions).toBe(hour.transitions);
    theMessage(week, 'reviewed');
  });

  it('with the event lost, the fallback polls (with backoff) still deliver it, in as many transitions', async () => {
    const result = await harness.run(claimInput('c2'), { steps: [{ at: 2 * HOUR, status: 'Completed', lost: true }], answers: [answer('legit', 'w1', 5)] });

    theMessage(result, 'reviewed');
    // Polls 300, 600, 1200, 2400, 4800 s apart: the fifth (at 9300 s) finds it completed and wakes the machine.
    expect(result.polls).toBe(5);
    expect(result.elapsed).toBe(9300 * 1000);
    expect(result.transitions).toBe(7);
  });

  it('a duplicated event and a second execution for the same record deliver nothing twice', async () => {
    const input = claimInput('c3');
    const first = await harness.run(input, { steps: [{ at: HOUR, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)], duplicateEventAt: HOUR + 1 });
    const second = await harness.run(input, { steps: [{ at: 0, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });

    theMessage(first, 'reviewed');
    expect(second.status).toBe('SUCCEEDED');
    expect(second.delivered).toEqual([]);
  });

  it('TaskCount 3 with a 2–1 split: the majority wins with agreement 2/3', async () => {
    const answers = [answer('fraud', 'w1', 3), answer('legit', 'w2', 4), answer('fraud', 'w3', 5)];

    const message = theMessage(await harness.run(claimInput('c4'), { steps: [{ at: HOUR, status: 'Completed' }], answers }), 'reviewed');

    expect(message.review).toMatchObject({ consolidated: { verdict: { label: 'fraud' } }, tie: false });
    expect(message.review?.agreement).toBeCloseTo(2 / 3);
    expect(message.review?.answers).toHaveLength(3);
  });

  it('TaskCount 3 with a three-way tie: no consolidated verdict, routed to the disputed queue', async () => {
    const answers = [answer('fraud', 'w1', 3), answer('legit', 'w2', 4), answer('unsure', 'w3', 5)];

    const message = theMessage(await harness.run(claimInput('c5'), { steps: [{ at: HOUR, status: 'Completed' }], answers }), 'disputed');

    expect(message.review).toMatchObject({ consolidated: { verdict: null }, tie: true });
    expect(message.review?.agreement).toBeCloseTo(1 / 3);
  });

  it('an output too large for a message travels by reference, never truncated', async () => {
    const stored = new Map<string, string>();
    harness.s3.on(PutObjectCommand).callsFake(({ Bucket, Key, Body }) => void stored.set(`s3://${Bucket}/${Key}`, String(Body)));
    const long = { ...answer('fraud', 'w1', 5), answerContent: { verdict: { label: 'fraud' }, notes: 'n'.repeat(300_000) } };

    const message = theMessage(await harness.run(claimInput('c6'), { steps: [{ at: HOUR, status: 'Completed' }], answers: [long] }), 'reviewed');

    expect(message.review?.answers).toBeUndefined();
    const answersRef = message.review?.answersRef as string;
    expect(answersRef).toMatch(/^s3:\/\/orchestrator-payloads\/payloads\/claims\/claims-c6\//);
    expect(JSON.parse(stored.get(answersRef) as string)[0].answerContent.notes).toHaveLength(300_000);
  });
});

describe('a reviewed message that does not fit SQS even by reference', () => {
  it('is delivered as an invalid MessageTooLarge of its record on the invalid queue, the whole message kept in the payload bucket', async () => {
    const stored = new Map<string, string>();
    harness.s3.on(PutObjectCommand).callsFake(({ Bucket, Key, Body }) => void stored.set(`s3://${Bucket}/${Key}`, String(Body)));
    // The consolidated verdict is the reviewer's 300 KB label: it cannot move by reference.
    const answers = [answer(`fraud ${'!'.repeat(300_000)}`, 'w1', 5)];

    const message = theMessage(await harness.run(claimInput('c7'), { steps: [{ at: HOUR, status: 'Completed' }], answers }), 'failures');

    expect(message).toMatchObject({ reviewId: 'claims-c7', outcome: 'invalid', failure: { code: 'MessageTooLarge' } });
    expect(message).not.toHaveProperty('review');
    const whole = JSON.parse(stored.get(message.failure?.reason.split(' at ').pop() as string) as string);
    expect(whole).toMatchObject({ reviewId: 'claims-c7', outcome: 'reviewed', review: { consolidated: { verdict: { label: `fraud ${'!'.repeat(300_000)}` } } } });
  });
});

describe('a loop that ends without a review', () => {
  it.each([
    ['Failed with InternalError', { status: 'Failed', failureCode: 'InternalError', failureReason: 'A2I failed' }, 'InternalError', 'Failed'],
    ['Failed with ValidationError', { status: 'Failed', failureCode: 'ValidationError', failureReason: 'bad template' }, 'ValidationError', 'Failed'],
    ['Expired', { status: 'Failed', failureCode: 'Expired', failureReason: 'no worker took it' }, 'Expired', 'Expired'],
    ['Stopped', { status: 'Stopped' }, 'Stopped', 'Stopped'],
  ] as const)('%s: one failed message with the code and status', async (_case, step, code, status) => {
    const message = theMessage(await harness.run(claimInput('f1'), { steps: [{ at: HOUR, ...step }] }), 'failures');

    expect(message).toMatchObject({ outcome: 'failed', failure: { code }, review: { humanLoopName: 'claims-f1', status } });
  });

  it('Stopping keeps the machine waiting until Stopped', async () => {
    const result = await harness.run(claimInput('f2'), {
      steps: [
        { at: HOUR, status: 'Stopping', lost: true },
        { at: 3 * HOUR, status: 'Stopped' },
      ],
    });

    expect(theMessage(result, 'failures')).toMatchObject({ failure: { code: 'Stopped' }, review: { status: 'Stopped' } });
    expect(result.stopCalls).toBe(0);
    expect(result.elapsed).toBe(3 * HOUR);
  });

  it('a loop deleted underneath is found by polling and reported as deleted', async () => {
    const result = await harness.run(claimInput('f3'), { steps: [{ at: HOUR, status: 'Deleted' }] });

    expect(theMessage(result, 'failures')).toMatchObject({ failure: { code: 'HumanLoopDeleted' }, review: { status: 'NotFound' } });
  });

  it("past the workflow's timeout the loop is stopped and the record fails with Timeout", async () => {
    const result = await harness.run(claimInput('f4'), { steps: [] });

    expect(theMessage(result, 'failures')).toMatchObject({ failure: { code: 'Timeout' }, review: { status: 'TimedOut' } });
    expect(result.stopCalls).toBe(1);
    expect(result.elapsed).toBe(14 * DAY);
    // 14 days of silence cost a few dozen polls (capped at 6 h apart), not 20,000, and 7 transitions.
    expect(result.polls).toBeLessThan(70);
    expect(result.transitions).toBe(7);
  });

  it('a failure inside the machine still ends in a failed message (output.json missing)', async () => {
    const result = await harness.run(claimInput('f5'), { steps: [{ at: HOUR, status: 'Completed' }] });

    const message = theMessage(result, 'failures');
    expect(message.failure?.code).toBe('TrackingError');
    expect(message.failure?.reason).toMatch(/NoSuchKey/);
    expect(result.states).toContain('DeliverFailure');
  });
});

describe('A2I errors', () => {
  it('throttled DescribeHumanLoop is retried by the machine, then succeeds', async () => {
    const throttled = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

    const result = await harness.run(claimInput('t1'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      describeErrors: [throttled(), throttled(), throttled()],
    });

    theMessage(result, 'reviewed');
    // The machine's first check was throttled three times and retried (no extra transitions).
    expect(result.describeCalls).toBe(2 + 3 + result.polls);
    expect(result.transitions).toBe(7);
  });
});

describe('a function that times out or runs out of memory', () => {
  // Lambda reports a timeout as Sandbox.Timedout (newer runtimes) or Lambda.Unknown (also out of memory).
  it.each([
    ['CheckLoop', 'Lambda.Unknown'],
    ['CheckLoop', 'Sandbox.Timedout'],
    ['WaitForStatus', 'Lambda.Unknown'],
    ['WaitForStatus', 'Sandbox.Timedout'],
    ['DeliverReview', 'Lambda.Unknown'],
    ['DeliverReview', 'Sandbox.Timedout'],
    ['CheckLoop', 'Lambda.ClientExecutionTimeoutException'],
  ] as const)('%s failing with %s is retried: the loop is not stopped and its review is delivered', async (state, error) => {
    const result = await harness.run(claimInput(`slow-${state}-${error}`.toLowerCase().replace(/[^a-z0-9]+/g, '-')), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      taskErrors: { [state]: [error, error] },
    });

    theMessage(result, 'reviewed');
    expect(result.stopCalls).toBe(0);
    expect(result.states).not.toContain('DeliverFailure');
  });
});
