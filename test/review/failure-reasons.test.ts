import type { HumanAnswer } from '../../lib/review/consolidate';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, queueUrlOf, ReviewHarness, type RunResult } from '../support/review-harness';

/**
 * What a consumer reads in `failure.reason` when the review-loop machine caught an error. In AWS a failed Lambda
 * task reaches the Catch as {Error: errorType, Cause: the function's error document as JSON text, stack trace
 * included}; the harness reports task errors that way. The reason is the error's type and message: no stack lines
 * (they name the deployment's files), and no record or answer content (ids only).
 */

const HOUR = 3_600_000;
const SECRET = 'SECRET-answer-7c1e';
/** What a stack line looks like in any runtime's trace. */
const STACK_LINE = /\n\s*at |\/var\/task\/|\.[jt]s:\d+:\d+/;

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

function theFailure(result: RunResult): { code: string; reason: string } {
  expect(result.status).toBe('SUCCEEDED');
  expect(result.states).toContain('DeliverFailure');
  expect(result.delivered).toHaveLength(1);
  const [{ queueUrl, message }] = result.delivered;
  expect(queueUrl).toBe(queueUrlOf('claims', 'failures'));
  return message.failure as { code: string; reason: string };
}

it('a DeliverReview that throws on a malformed answer: the reason is its type and message, without the trace or the answer', async () => {
  // Prepare: output.json whose only answer is not an object, so DeliverReview's consolidation throws.
  const script = { steps: [{ at: HOUR, status: 'Completed' as const }], answers: [SECRET as unknown as HumanAnswer] };

  // Act
  const result = await harness.run(claimInput('r1'), script);

  // Assess
  const failure = theFailure(result);
  expect(failure).toEqual({ code: 'TrackingError', reason: 'ConsolidationError: human answer 1 is not an object: got string' });
  expect(failure.reason).not.toMatch(STACK_LINE);
  expect(failure.reason).not.toContain(SECRET);
});

it('an output.json whose inputContent is not JSON: the reason names the object, not the record text', async () => {
  // Prepare
  const script = { steps: [{ at: HOUR, status: 'Completed' as const }], answers: [answer('fraud', 'w1', 5)], outputInputContent: `{"record": {"claimId": "r2", "note": "${SECRET}"` };

  // Act
  const result = await harness.run(claimInput('r2'), script);

  // Assess
  const failure = theFailure(result);
  expect(failure).toEqual({ code: 'TrackingError', reason: expect.stringMatching(/^OutputFormatError: s3:\/\/a2i-output\/\S+\/output\.json has an inputContent that is not JSON$/) });
  expect(failure.reason).not.toContain(SECRET);
});

it('a transient error that outlasts the workflow\'s timeout: the reason ends with the error as thrown, one line', async () => {
  // Prepare: DescribeHumanLoop throttled on every call, for the 14 days of the timeout (the machine backs off meanwhile).
  const throttled = Array.from({ length: 20_000 }, () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

  // Act
  const result = await harness.run(claimInput('r3'), { steps: [{ at: HOUR, status: 'Completed' }], describeErrors: throttled });

  // Assess
  const failure = theFailure(result);
  expect(failure.code).toBe('Timeout');
  expect(failure.reason).toMatch(/; tracking failed until then, last with TransientError: ThrottlingException: Rate exceeded$/);
  expect(failure.reason).not.toMatch(STACK_LINE);
});
