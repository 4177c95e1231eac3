import { join } from 'node:path';
import { messageProblems } from '../../lib/messages/validate';
import { reviewIdFor } from '../../lib/naming';
import { INGEST_WORKFLOWS, INPUT_BUCKET, IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * Fail safe on malformed model output, through the whole ingest path: a record on which the workflow's
 * condition (FieldConfidenceCheck on `confidence`, < 0.5) cannot be evaluated is never auto-accepted.
 */

const REVIEW_WORKFLOWS = join(INGEST_WORKFLOWS, '..', 'ingest-review');
const line = (id: string, confidence: unknown) => JSON.stringify({ id, label: `label-${id}`, confidence });
// Well-formed lines around two malformed ones: a confidence given as a string, and one given as an object.
const BODY = `${[line('a', 0.9), line('b', 0.2), line('m1', '0.4'), line('m2', { value: 0.1 }), line('c', 0.95)].join('\n')}\n`;
const KEY = 'predictions/malformed.jsonl';
const ERROR = (type: string) => `Conditions[0]: FieldConfidenceCheck: Path "confidence" yields ${type}, not a number`;

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
afterEach(() => {
  for (const { message } of harness.delivered) expect(messageProblems(message)).toEqual([]);
  harness.restore();
});

const loopRecordIds = () => harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string).recordId).sort();

describe('a record the conditions cannot evaluate', () => {
  it('is invalid (ConditionError) by default, with the location and what is wrong; the well-formed records of the file are unaffected', async () => {
    // Prepare
    harness = await IngestHarness.create(dynamo);

    // Act
    const event = await harness.uploadObject(KEY, BODY);
    await harness.drain();

    // Assess
    const etag = event.Records[0].s3.object.eTag;
    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.recordId, message.outcome, message.failure?.code, message.failure?.reason])).toEqual([
      ['m1', 'invalid', 'ConditionError', `line 3: conditions could not be evaluated: ${ERROR('a string')}`],
      ['m2', 'invalid', 'ConditionError', `line 4: conditions could not be evaluated: ${ERROR('an object')}`],
    ]);
    // Under the id's own review id (the record holds its id), with the record and the decision that shows where.
    expect(invalid[0].reviewId).toBe(reviewIdFor('predictions', { type: 's3', bucket: INPUT_BUCKET, key: KEY, etag }, { recordId: 'm1', index: 2 }));
    expect(invalid[0].record).toEqual(JSON.parse(line('m1', '0.4')));
    expect(invalid[0].decision).toEqual({
      activated: false,
      humanTaskActivationConditionResults: {
        Conditions: [
          {
            ConditionType: 'FieldConfidenceCheck',
            ConditionParameters: { Path: 'confidence', ConfidenceLessThan: 0.5 },
            EvaluationResult: false,
            EvaluationError: 'Path "confidence" yields a string, not a number',
          },
        ],
      },
    });
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['a', 'c']);
    expect(loopRecordIds()).toEqual(['b']);
    expect(harness.delivered).toHaveLength(4);
    expect(harness.workDlq).toEqual([]);
  });

  it('with onConditionError: review, goes to a person, whose task shows why; the well-formed records are unaffected', async () => {
    // Prepare
    harness = await IngestHarness.create(dynamo, { workflowsDir: REVIEW_WORKFLOWS });

    // Act
    await harness.uploadObject(KEY, BODY);
    await harness.drain();

    // Assess
    expect(loopRecordIds()).toEqual(['b', 'm1', 'm2']);
    const task = harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string)).find((input) => input.recordId === 'm1');
    expect(task.decision).toEqual({
      activated: true,
      humanTaskActivationConditionResults: {
        Conditions: [
          {
            ConditionType: 'FieldConfidenceCheck',
            ConditionParameters: { Path: 'confidence', ConfidenceLessThan: 0.5 },
            EvaluationResult: false,
            EvaluationError: 'Path "confidence" yields a string, not a number',
          },
        ],
      },
    });
    expect(harness.executions).toHaveLength(3);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['a', 'c']);
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([]);
    expect(harness.delivered).toHaveLength(2);
  });
});
