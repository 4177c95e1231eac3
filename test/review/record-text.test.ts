import { join } from 'node:path';
import { buildInputContent, recordTextKey } from '../../lib/ingest/input-content';
import type { ReviewLoopInput } from '../../lib/review/loop-state';
import type { Decision } from '../../lib/conditions';
import { messageProblems } from '../../lib/messages/validate';
import { loadWorkflows } from '../../lib/workflow';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, REVIEW_WORKFLOWS, ReviewHarness } from '../support/review-harness';

/**
 * A loop's message, reviewed or failed, carries the record as written, byte for byte, like every other
 * outcome. InputContent cannot give it back (a projection; and output.json echoes it parsed: numbers such as
 * `12345678901234567890`, `-0`, `-1e400` do not survive), and a failed loop has no output.json at all: ingest
 * keeps the text in the payload bucket and the execution input points at it (recordTextRef).
 */

const HOUR = 3_600_000;
const claims = loadWorkflows([join(REVIEW_WORKFLOWS, 'claims.yaml')])[0];
const PAYLOADS = 'orchestrator-payloads';

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

/** What ingest gives the loop of `line`: its InputContent (as output.json echoes it, parsed) and its execution input, the text kept when needed. */
function startedAsIngestDoes(line: string, keep = true): { input: ReviewLoopInput; echoed: unknown } {
  const record = JSON.parse(line) as Record<string, unknown>;
  const base = claimInput(record.claimId as string);
  const decision: Decision = claims.decide(record, () => 'x');
  const built = buildInputContent(claims, { reviewId: base.reviewId, workflow: 'claims', source: base.source, recordId: base.recordId }, record, decision);
  if ('reason' in built) throw new Error(built.reason);
  const content = built.content;
  const recordTextRef = `s3://${PAYLOADS}/${recordTextKey('claims', base.reviewId)}`;
  if (keep) harness.objects.set(recordTextRef, line);
  return { input: { ...base, recordTextRef }, echoed: JSON.parse(content) };
}

const script = (echoed: unknown) => ({ steps: [{ at: HOUR, status: 'Completed' as const }], answers: [answer('ok', 'w1', 5)], outputInputContent: echoed });

describe('the reviewed message', () => {
  test('holds the record as written when JSON.parse cannot hold its numbers', async () => {
    // Prepare
    const line = '{"claimId":"c1", "amount":12345678901234567890,"neg":-0,"huge":-1e400,"one":1.0,"fraudConfidence":0.2}';
    const { input, echoed } = startedAsIngestDoes(line);

    // Act
    const result = await harness.run(input, script(echoed));

    // Assess
    expect(input.recordTextRef).toBeDefined();
    expect(result.delivered).toHaveLength(1);
    const [{ message, entry }] = result.delivered;
    expect(message.outcome).toBe('reviewed');
    expect(messageProblems(message)).toEqual([]);
    expect(entry.MessageBody).toContain(`"record":${line},`);
  });

  test('of a record JSON.stringify writes back as it was holds it too', async () => {
    // Prepare
    const line = JSON.stringify({ claimId: 'c2', amount: 1200, fraudConfidence: 0.2 });
    const { input, echoed } = startedAsIngestDoes(line);

    // Act
    const result = await harness.run(input, script(echoed));

    // Assess
    expect(result.delivered[0].message.outcome).toBe('reviewed');
    expect(result.delivered[0].entry.MessageBody).toContain(`"record":${line},`);
  });

  test('whose kept text has expired (the payload bucket keeps 30 days) is still delivered reviewed, with the record InputContent gives', async () => {
    // Prepare
    const line = '{"claimId":"c3","amount":1.0,"fraudConfidence":0.2}';
    const { input, echoed } = startedAsIngestDoes(line, false);

    // Act
    const result = await harness.run(input, script(echoed));

    // Assess: the answers are not thrown away.
    expect(result.delivered.map(({ message }) => [message.outcome, message.record])).toEqual([['reviewed', { claimId: 'c3', amount: 1, fraudConfidence: 0.2 }]]);
  });
});

describe('the failed message of a loop that ends without a review', () => {
  test.each([
    ['Stopped', { status: 'Stopped' as const }],
    ['Expired', { status: 'Failed' as const, failureCode: 'Expired' }],
    ['Failed', { status: 'Failed' as const, failureCode: 'ValidationError' }],
  ])('(%s) holds the record as written', async (_name, ending) => {
    // Prepare
    const line = '{"claimId":"c4", "amount":12345678901234567890,"neg":-0,"fraudConfidence":0.2}';
    const { input } = startedAsIngestDoes(line);

    // Act
    const result = await harness.run(input, { steps: [{ at: HOUR, ...ending }], answers: [] });

    // Assess
    expect(result.delivered).toHaveLength(1);
    const [{ message, entry }] = result.delivered;
    expect(message.outcome).toBe('failed');
    expect(messageProblems(message)).toEqual([]);
    expect(entry.MessageBody).toContain(`"record":${line},`);
  });

  test('whose kept text is gone is still delivered failed, without the record', async () => {
    // Prepare
    const { input } = startedAsIngestDoes('{"claimId":"c5","fraudConfidence":0.2}', false);

    // Act
    const result = await harness.run(input, { steps: [{ at: HOUR, status: 'Stopped' }], answers: [] });

    // Assess
    expect(result.delivered.map(({ message }) => [message.outcome, message.record])).toEqual([['failed', undefined]]);
  });
});
