import { handleReview } from '../../lib/consumer/handle-review';
import { parseReviewMessage } from '../../lib/consumer/parse-message';
import { type ReviewMessage, reviewMessage } from '../../lib/messages';
import { InvalidMessageError } from '../../lib/messages/validate';
import { logger } from '../../lib/runtime/observability';

// The domain half of the consumer kit: reading a body against the contract, and the example business logic.

const SECRET = 'customer-4711-SECRET';
const CREATED_AT = new Date('2026-11-22T10:15:00.000Z');
const reference = (suffix: string) => ({
  reviewId: `fraud-triage-8c1e5a0f2b9d7h4k6m3n-${suffix}`,
  workflow: 'fraud-triage',
  source: { type: 'event' as const, eventSource: 'acme.payments', eventId: `e-${suffix}`, detailType: 'TransactionScored', recordIndex: 0 },
  recordId: `txn-${suffix}`,
});
const record = { transactionId: 'txn_2D7L5N1R', customer: SECRET, modelScore: 0.51 };
const decision = (activated: boolean) => ({
  activated,
  humanTaskActivationConditionResults: { Conditions: [{ ConditionType: 'Expression', ConditionParameters: { Expression: 'modelScore < `0.6`' }, EvaluationResult: activated }] },
});

const reviewed = reviewMessage(reference('1'), 'reviewed', {
  record,
  decision: decision(true),
  review: {
    humanLoopName: 'fraud-triage-8c1e5a0f2b9d7h4k6m3n-1',
    status: 'Completed',
    answers: [
      { answerContent: { category: { label: 'fraud' } }, workerId: 'e81f4c2a09b7d365', submissionTime: '2026-11-22T10:01:12.904Z' },
      { answerContent: { category: { label: SECRET } }, workerId: '72b9d0e5c3a1f846', submissionTime: '2026-11-22T10:03:30.068Z' },
    ],
    consolidated: { category: { label: 'fraud' } },
    agreement: 0.5,
    tie: true,
  },
}, CREATED_AT);
const autoAccepted = reviewMessage(reference('2'), 'auto-accepted', { record, decision: decision(false) }, CREATED_AT);
const failed = reviewMessage(reference('3'), 'failed', { record, decision: decision(true), failure: { code: 'HumanLoopStopped', reason: `stopped by ${SECRET}` } }, CREATED_AT);
const invalid = reviewMessage(reference('4'), 'invalid', { record, failure: { code: 'RecordInvalid', reason: `bad record of ${SECRET}` } }, CREATED_AT);

describe('parseReviewMessage', () => {
  it('returns the message a contract body holds', () => {
    // Prepare
    const body = JSON.stringify(reviewed);

    // Act
    const message = parseReviewMessage(body);

    // Assess
    expect(message).toEqual(reviewed);
  });

  it.each([
    ['not JSON', `{"reviewId": "${SECRET}"`, ['(message) is not JSON']],
    ['JSON but not an object', '[1, 2]', ['(message) must NOT be valid', '(message) must be object']],
    ['an unknown outcome', JSON.stringify({ ...autoAccepted, outcome: 'approved' }), ['/outcome must be equal to one of the allowed values']],
    ['a failed message without its failure', JSON.stringify({ ...failed, failure: undefined }), ["(message) must have required property 'failure'", '(message) must match "then" schema']],
    ['another schema version', JSON.stringify({ ...invalid, schemaVersion: '2.0' }), ['/schemaVersion must be equal to constant']],
  ])('throws InvalidMessageError naming the problems, not the content, for %s', (_case, body, problems) => {
    // Act
    const error = (() => {
      try {
        parseReviewMessage(body);
      } catch (thrown) {
        return thrown;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(error).toMatchObject({ name: 'InvalidMessageError', problems });
    expect((error as Error).message).not.toContain(SECRET);
  });
});

describe('handleReview (the example business logic)', () => {
  let entries: Record<string, unknown>[];

  beforeEach(() => {
    entries = [];
    logger.setLogLevel('DEBUG');
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        entries.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        return true;
      });
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    logger.setLogLevel('SILENT');
  });

  it.each<[string, ReviewMessage, Record<string, unknown>]>([
    ['reviewed', reviewed, { message: 'record reviewed', agreement: 0.5 }],
    ['auto-accepted', autoAccepted, { message: 'record auto-accepted' }],
    ['failed', failed, { message: 'record review failed' }],
    ['invalid', invalid, { message: 'record invalid' }],
  ])('logs the reviewId, outcome and workflow of a %s message, and nothing of its content', async (outcome, message, expected) => {
    // Act
    await handleReview(message);

    // Assess
    expect(entries).toHaveLength(1);
    const [{ level: _level, timestamp: _timestamp, service: _service, sampling_rate: _rate, ...logged }] = entries;
    expect(logged).toEqual({ ...expected, reviewId: message.reviewId, outcome, workflow: 'fraud-triage' });
    expect(JSON.stringify(entries)).not.toContain(SECRET);
  });
});
