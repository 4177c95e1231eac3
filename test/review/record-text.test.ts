import { join } from 'node:path';
import { buildInputContent } from '../../lib/ingest/input-content';
import type { Decision } from '../../lib/conditions';
import { messageProblems } from '../../lib/messages/validate';
import { loadWorkflows } from '../../lib/workflow';
import { startDynalite } from '../support/ingest-harness';
import { answer, claimInput, REVIEW_WORKFLOWS, ReviewHarness } from '../support/review-harness';

/**
 * The reviewed message carries the record as written, byte for byte, like every other outcome: it is built
 * from the loop's InputContent as A2I's output.json echoes it, and A2I echoes it parsed, so numbers that
 * JSON.parse cannot hold (`12345678901234567890`, `-0`, `-1e400`) travel there as the string `recordText`.
 */

const HOUR = 3_600_000;
const claims = loadWorkflows([join(REVIEW_WORKFLOWS, 'claims.yaml')])[0];

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

/** The InputContent ingest gives the loop of `line` (its id `claimId`). */
function inputContentOf(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  const input = claimInput(record.claimId as string);
  const decision: Decision = claims.decide(record, () => 'x');
  const content = buildInputContent(claims, { reviewId: input.reviewId, workflow: 'claims', source: input.source, recordId: input.recordId }, record, decision, line);
  if (typeof content !== 'string') throw new Error(content.reason);
  return content;
}

describe('the reviewed message', () => {
  test.each([
    ['parsed, as A2I writes it', (content: string): unknown => JSON.parse(content)],
    ['as the string it was given', (content: string): unknown => content],
  ])('holds the record as written when output.json echoes the input %s', async (_, echo) => {
    // Prepare
    const line = '{"claimId":"c1", "amount":12345678901234567890,"neg":-0,"huge":-1e400,"one":1.0,"fraudConfidence":0.2}';
    const script = { steps: [{ at: HOUR, status: 'Completed' as const }], answers: [answer('ok', 'w1', 5)], outputInputContent: echo(inputContentOf(line)) };

    // Act
    const result = await harness.run(claimInput('c1'), script);

    // Assess
    expect(result.delivered).toHaveLength(1);
    const [{ message, entry }] = result.delivered;
    expect(message.outcome).toBe('reviewed');
    expect(messageProblems(message)).toEqual([]);
    expect(entry.MessageBody).toContain(`"record":${line},`);
  });

  test('of a record JSON.stringify writes back as it was: the InputContent has no recordText, and the message holds the record', async () => {
    // Prepare
    const line = JSON.stringify({ claimId: 'c2', amount: 1200, fraudConfidence: 0.2 });
    const content = inputContentOf(line);
    const script = { steps: [{ at: HOUR, status: 'Completed' as const }], answers: [answer('ok', 'w1', 5)], outputInputContent: JSON.parse(content) };

    // Act
    const result = await harness.run(claimInput('c2'), script);

    // Assess
    expect(JSON.parse(content)).not.toHaveProperty('recordText');
    expect(result.delivered[0].entry.MessageBody).toContain(`"record":${line},`);
  });
});
