import { InternalServerException, ThrottlingException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageProblems } from '../../lib/messages/validate';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, DAY, REVIEW_WORKFLOWS, ReviewHarness, type RunResult } from '../support/review-harness';
import { workflowBundleFor } from '../support/workflow-bundle';

/**
 * Tracking calls that keep failing transiently must not discard a review: the machine backs off and tries
 * again until the workflow's timeout, and only then fails the record. The `claims` fixture here has a 2-day
 * timeout (the shipped one 14 days), so that running out of it takes a few dozen backoffs.
 */
const HOUR = 3_600_000;
const TIMEOUT_MS = 2 * DAY;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: ReviewHarness;
let workflows: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  workflows = mkdtempSync(join(tmpdir(), 'a2i-transient-'));
  cpSync(REVIEW_WORKFLOWS, workflows, { recursive: true });
  const file = join(workflows, 'claims.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('timeoutSeconds: 1209600', `timeoutSeconds: ${TIMEOUT_MS / 1000}`));
});
afterAll(async () => {
  await dynamo.close();
  rmSync(workflows, { recursive: true, force: true });
});
beforeEach(async () => {
  harness = await ReviewHarness.create(dynamo);
  harness.env.WORKFLOWS_BUNDLE = workflowBundleFor(workflows);
});
afterEach(() => harness.restore());

const throttled = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
const a2iDown = () => new InternalServerException({ message: 'injected', $metadata: { httpStatusCode: 500 } });
const s3Down = () => Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
const sqsDown = () => Object.assign(new Error('injected fault'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
const times = <T>(count: number, make: () => T): T[] => Array.from({ length: count }, make);

/** The execution succeeded with exactly one terminal message, valid under the contract. */
function onlyMessage(result: RunResult) {
  expect({ status: result.status, error: String(result.error ?? '') }).toEqual({ status: 'SUCCEEDED', error: '' });
  expect(result.delivered).toHaveLength(1);
  const [{ message }] = result.delivered;
  expect(messageProblems(message)).toEqual([]);
  return message;
}

describe('a completed loop whose tracking calls keep failing', () => {
  it('DescribeHumanLoop failing 30 times in a row, then answering: the review is delivered, not failed', async () => {
    const result = await harness.run(claimInput('d30'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      describeErrors: [...times(20, throttled), ...times(10, a2iDown)],
    });

    const message = onlyMessage(result);
    expect(message).toMatchObject({ outcome: 'reviewed', review: { status: 'Completed', consolidated: { verdict: { label: 'fraud' } } } });
    expect(result.describeCalls).toBeGreaterThan(30);
    expect(result.stopCalls).toBe(0);
    expect(result.states).not.toContain('DeliverFailure');
  });

  it("DeliverReview timing out (middy's TimeoutError before Lambda's) again and again: delivered once, when it gets through", async () => {
    const result = await harness.run(claimInput('dr-timeout'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('legit', 'w1', 5)],
      taskErrors: { DeliverReview: times(20, () => 'TimeoutError') },
    });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'reviewed', review: { consolidated: { verdict: { label: 'legit' } } } });
    expect(result.states.filter((state) => state === 'DeliverReview').length).toBeGreaterThan(2);
    expect(result.states).not.toContain('DeliverFailure');
  });

  it('S3 failing to read output.json and SQS failing to send, 25 times each: delivered once', async () => {
    const result = await harness.run(claimInput('s3-sqs'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      readErrors: times(25, s3Down),
      sendErrors: times(25, sqsDown),
    });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'reviewed', review: { status: 'Completed' } });
    expect(result.states).not.toContain('DeliverFailure');
  });

  it('WaitForStatus failing past its retries backs off too, and the loop is still followed to its end', async () => {
    const result = await harness.run(claimInput('wait-fails'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      taskErrors: { WaitForStatus: times(12, () => 'Lambda.Unknown') },
    });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'reviewed' });
    expect(result.states).not.toContain('DeliverFailure');
  });

  it("still failing at the workflow's timeout: failed Timeout, its reason naming the undelivered review and the last error", async () => {
    const result = await harness.run(claimInput('never'), {
      steps: [{ at: HOUR, status: 'Completed' }],
      answers: [answer('fraud', 'w1', 5)],
      taskErrors: { DeliverReview: times(2000, () => 'TimeoutError') },
    });

    const message = onlyMessage(result);
    expect(message).toMatchObject({ outcome: 'failed', failure: { code: 'Timeout' }, review: { status: 'TimedOut' } });
    expect(message.failure?.reason).toMatch(/completed, but its review could not be delivered/);
    expect(message.failure?.reason).toMatch(/TimeoutError/);
    expect(result.elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS);
    // Backing off (300 s doubling to 6 h) costs some 200 transitions in 2 days, retries included, not one a second.
    expect(result.transitions).toBeLessThan(400);
  });
});

describe('an open loop A2I cannot describe', () => {
  it("is retried until the workflow's timeout, then stopped and failed with Timeout (not TrackingError)", async () => {
    const result = await harness.run(claimInput('dark'), { steps: [], describeErrors: times(20_000, a2iDown) });

    const message = onlyMessage(result);
    expect(message).toMatchObject({ outcome: 'failed', failure: { code: 'Timeout' }, review: { status: 'TimedOut' } });
    expect(message.failure?.reason).toMatch(/InternalServerException/);
    expect(result.stopCalls).toBe(1);
    expect(result.elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(result.elapsed).toBeLessThan(TIMEOUT_MS + 6 * HOUR);
  });

  it('that answers again within the timeout is followed as usual: a loop A2I says Failed ends with its own code', async () => {
    const result = await harness.run(claimInput('back'), {
      steps: [{ at: 2 * HOUR, status: 'Failed', failureCode: 'InternalError', failureReason: 'A2I failed' }],
      describeErrors: times(40, a2iDown),
    });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'failed', failure: { code: 'InternalError' }, review: { status: 'Failed' } });
  });
});

describe('what does not change', () => {
  it('a permanent error (output.json missing) still fails at once, with TrackingError', async () => {
    const result = await harness.run(claimInput('gone'), { steps: [{ at: HOUR, status: 'Completed' }] });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'failed', failure: { code: 'TrackingError' } });
    expect(result.elapsed).toBeLessThan(2 * HOUR);
  });

  it('nothing failing: 7 transitions', async () => {
    const result = await harness.run(claimInput('plain'), { steps: [{ at: HOUR, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });

    expect(onlyMessage(result)).toMatchObject({ outcome: 'reviewed' });
    expect(result.transitions).toBe(7);
  });
});
