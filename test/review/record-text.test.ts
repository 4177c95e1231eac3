import { join } from 'node:path';
import { buildInputContent, recordTextKey } from '../../lib/ingest/input-content';
import type { ReviewLoopInput } from '../../lib/review/loop-state';
import type { Decision } from '../../lib/conditions';
import { messageProblems } from '../../lib/messages/validate';
import { loadWorkflows } from '../../lib/workflow';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, REVIEW_WORKFLOWS, ReviewHarness } from '../support/review-harness';

/**
 * The reviewed message carries the record as written, byte for byte, like every other outcome. It is built
 * from the loop's InputContent as A2I's output.json echoes it (parsed: numbers such as
 * `12345678901234567890`, `-0`, `-1e400` do not survive); when that cannot give the text back, ingest keeps
 * the text in the payload bucket and the execution input points at it (recordTextRef).
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
  const built = buildInputContent(claims, { reviewId: base.reviewId, workflow: 'claims', source: base.source, recordId: base.recordId }, record, decision, line);
  if ('reason' in built) throw new Error(built.reason);
  const content = built.content;
  if (!built.keepText) return { input: base, echoed: JSON.parse(content) };
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

  test('of a record JSON.stringify writes back as it was: nothing is kept, the message holds the record from InputContent', async () => {
    // Prepare
    const line = JSON.stringify({ claimId: 'c2', amount: 1200, fraudConfidence: 0.2 });
    const { input, echoed } = startedAsIngestDoes(line);

    // Act
    const result = await harness.run(input, script(echoed));

    // Assess
    expect(input.recordTextRef).toBeUndefined();
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
