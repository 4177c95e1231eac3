import type { Decision } from '../../lib/conditions';
import type { A2iStatusEvent, OpenTask } from '../../lib/emulator/a2i-emulator';
import { Journal } from '../../lib/local/journal';
import type { MessageSource, Outcome, ReviewMessage } from '../../lib/messages';

const WORKFLOW = 'invoice-extraction';
const FLOW_ARN = 'arn:aws:sagemaker:us-east-1:000000000000:flow-definition/invoice-extraction';
const T0 = Date.parse('2026-11-01T10:00:00.000Z');

/** A clock the test moves by hand. */
function fakeClock(start = T0): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function s3Source(recordIndex = 0, line?: number): MessageSource {
  return { type: 's3', bucket: 'a2i-orchestrator-local-input', key: 'invoices/batch.jsonl', recordIndex, ...(line !== undefined ? { line } : {}) };
}

const activated: Decision = {
  activated: true,
  humanTaskActivationConditionResults: {
    Conditions: [
      {
        EvaluationResult: true,
        Or: [
          { ConditionType: 'FieldConfidenceCheck', EvaluationResult: false },
          { ConditionType: 'MissingField', EvaluationResult: true },
        ],
      },
      { ConditionType: 'Sampling', EvaluationResult: false },
    ],
  },
};

const notActivated: Decision = {
  activated: false,
  humanTaskActivationConditionResults: { Conditions: [{ ConditionType: 'Sampling', EvaluationResult: false }] },
};

function openTask(reviewId: string, overrides: Partial<OpenTask> & { input?: Record<string, unknown> } = {}): OpenTask {
  const { input, ...rest } = overrides;
  return {
    humanLoopName: reviewId,
    flowDefinitionName: WORKFLOW,
    flowDefinitionArn: FLOW_ARN,
    inputContent: { reviewId, workflow: WORKFLOW, recordId: `doc-${reviewId}`, decision: activated, source: s3Source(1, 2), ...input },
    answersSoFar: 0,
    taskCount: 1,
    creationTime: iso(T0),
    ...rest,
  };
}

function statusEvent(humanLoopName: string, status: 'Completed' | 'Failed' | 'Stopped', failureCode: A2iStatusEvent['detail']['failureCode'] = null): A2iStatusEvent {
  return {
    version: '0',
    id: `event-${humanLoopName}-${status}`,
    'detail-type': 'SageMaker A2I HumanLoop Status Change',
    source: 'aws.sagemaker',
    account: '000000000000',
    time: iso(T0),
    region: 'us-east-1',
    resources: [`arn:aws:sagemaker:us-east-1:000000000000:human-loop/${humanLoopName}`],
    detail: {
      creationTime: iso(T0),
      failureCode,
      failureReason: failureCode ? 'it failed' : null,
      flowDefinitionArn: FLOW_ARN,
      humanLoopArn: `arn:aws:sagemaker:us-east-1:000000000000:human-loop/${humanLoopName}`,
      humanLoopName,
      humanLoopStatus: status,
    },
  };
}

function message(reviewId: string, outcome: Outcome, overrides: Partial<ReviewMessage> = {}): ReviewMessage {
  return {
    schemaVersion: '1.0',
    reviewId,
    workflow: WORKFLOW,
    outcome,
    source: s3Source(),
    recordId: `doc-${reviewId}`,
    ...(outcome === 'invalid' ? {} : { decision: outcome === 'auto-accepted' ? notActivated : activated }),
    createdAt: iso(T0),
    ...overrides,
  };
}

describe('Journal', () => {
  it('builds a reviewed record journey step by step, in order, with the clock times', () => {
    // Prepare
    const clock = fakeClock();
    const journal = new Journal([WORKFLOW], clock.now);

    // Act
    journal.loopStarted(openTask('rev-1'));
    clock.advance(1000);
    journal.statusChanged(statusEvent('rev-1', 'Completed'));
    clock.advance(1000);
    journal.delivered(message('rev-1', 'reviewed'), 'reviewed');

    // Assess
    const snapshot = journal.snapshot();
    expect(snapshot.generatedAt).toBe(iso(T0 + 2000));
    expect(snapshot.records).toHaveLength(1);
    const [journey] = snapshot.records;
    expect(journey).toMatchObject({ reviewId: 'rev-1', workflow: WORKFLOW, recordId: 'doc-rev-1', outcome: 'reviewed', queue: 'reviewed', loopStatus: 'Completed' });
    expect(journey.steps).toEqual([
      { at: iso(T0), step: 'ingested', detail: 's3://a2i-orchestrator-local-input/invoices/batch.jsonl record 1 (line 2)' },
      { at: iso(T0), step: 'decision', detail: 'human review: MissingField (Conditions[0].Or[1])' },
      { at: iso(T0), step: 'loop-started', detail: 'human loop started' },
      { at: iso(T0 + 1000), step: 'status', detail: 'Completed' },
      { at: iso(T0 + 2000), step: 'delivered', detail: 'reviewed to reviewed' },
    ]);
  });

  it('names the loop when it differs from the review id', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.loopStarted(openTask('rev-2', { humanLoopName: 'loop-other' }));
    const [journey] = journal.snapshot().records;
    expect(journey.steps.at(-1)).toMatchObject({ step: 'loop-started', detail: 'human loop loop-other' });
    expect(journey.loopStatus).toBe('InProgress');
  });

  it('shows the failure code of a failed loop and no longer counts it open', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.loopStarted(openTask('rev-2'));
    expect(journal.snapshot().workflows[0].openLoops).toBe(1);
    journal.statusChanged(statusEvent('rev-2', 'Failed', 'Expired'));
    const snapshot = journal.snapshot();
    expect(snapshot.records[0].steps.map((step) => `${step.step}: ${step.detail}`)).toEqual([
      'ingested: s3://a2i-orchestrator-local-input/invoices/batch.jsonl record 1 (line 2)',
      'decision: human review: MissingField (Conditions[0].Or[1])',
      'loop-started: human loop started',
      'status: Failed (Expired)',
    ]);
    expect(snapshot.records[0].loopStatus).toBe('Failed');
    expect(snapshot.workflows[0].openLoops).toBe(0);
  });

  it('counts records, outcomes, queues and open loops per workflow', () => {
    const journal = new Journal([WORKFLOW, 'other-workflow'], fakeClock().now);

    // Before anything happened: each workflow has its zero row
    expect(journal.snapshot().workflows).toEqual([
      { workflow: WORKFLOW, records: 0, openLoops: 0, outcomes: { reviewed: 0, 'auto-accepted': 0, failed: 0, invalid: 0 }, queues: {} },
      { workflow: 'other-workflow', records: 0, openLoops: 0, outcomes: { reviewed: 0, 'auto-accepted': 0, failed: 0, invalid: 0 }, queues: {} },
    ]);

    journal.loopStarted(openTask('rev-1'));
    journal.loopStarted(openTask('rev-2'));
    journal.loopStarted(openTask('rev-3'));
    journal.delivered(message('auto-1', 'auto-accepted'), 'auto-accepted');
    journal.delivered(message('auto-2', 'auto-accepted'), 'auto-accepted');
    journal.statusChanged(statusEvent('rev-1', 'Completed'));
    journal.delivered(message('rev-1', 'reviewed'), 'corrections');
    journal.delivered(message('bad-1', 'invalid'), 'failures');
    journal.delivered(message('other-1', 'failed', { workflow: 'other-workflow' }), 'failures');

    const byName = Object.fromEntries(journal.snapshot().workflows.map((counts) => [counts.workflow, counts]));
    expect(byName[WORKFLOW]).toEqual({
      workflow: WORKFLOW,
      records: 6,
      openLoops: 2,
      outcomes: { reviewed: 1, 'auto-accepted': 2, failed: 0, invalid: 1 },
      queues: { 'auto-accepted': 2, corrections: 1, failures: 1 },
    });
    expect(byName['other-workflow']).toEqual({
      workflow: 'other-workflow',
      records: 1,
      openLoops: 0,
      outcomes: { reviewed: 0, 'auto-accepted': 0, failed: 1, invalid: 0 },
      queues: { failures: 1 },
    });
  });

  it('counts a workflow it was not told about when a message for it arrives', () => {
    const journal = new Journal([], fakeClock().now);
    journal.delivered(message('x-1', 'auto-accepted', { workflow: 'surprise' }), 'auto-accepted');
    expect(journal.snapshot().workflows).toEqual([
      { workflow: 'surprise', records: 1, openLoops: 0, outcomes: { reviewed: 0, 'auto-accepted': 1, failed: 0, invalid: 0 }, queues: { 'auto-accepted': 1 } },
    ]);
  });

  it('describes an auto-accepted record as such', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.delivered(message('auto-1', 'auto-accepted', { source: { type: 'event', eventSource: 'acme.orders', eventId: 'evt-9', recordIndex: 0 } }), 'auto-accepted');
    expect(journal.snapshot().records[0].steps.map((step) => [step.step, step.detail])).toEqual([
      ['ingested', 'event evt-9 from acme.orders'],
      ['decision', 'no condition activated: auto-accept'],
      ['delivered', 'auto-accepted to auto-accepted'],
    ]);
  });

  it('skips the decision step for an invalid record', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.delivered(message('bad-1', 'invalid'), 'failures');
    const [journey] = journal.snapshot().records;
    expect(journey.steps.map((step) => step.step)).toEqual(['ingested', 'delivered']);
    expect(journey).toMatchObject({ outcome: 'invalid', queue: 'failures' });
    expect(journey.loopStatus).toBeUndefined();
  });

  it('ignores a status change for a loop it never saw start', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.loopStarted(openTask('rev-1'));
    const before = journal.snapshot();
    journal.statusChanged(statusEvent('unknown-loop', 'Stopped'));
    const after = journal.snapshot();
    expect(after.records).toEqual(before.records);
    expect(after.workflows).toEqual(before.workflows);
    expect(after.workflows[0].openLoops).toBe(1);
  });

  it('ignores a started loop whose input does not say which review and workflow it is', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    journal.loopStarted({ ...openTask('rev-1'), inputContent: { something: 'else' } });
    journal.loopStarted({ ...openTask('rev-2'), inputContent: undefined });
    const snapshot = journal.snapshot();
    expect(snapshot.records).toEqual([]);
    expect(snapshot.workflows[0]).toMatchObject({ records: 0, openLoops: 0 });
  });

  it('lists recent journeys newest first, a journey moving to the front when something happens to it', () => {
    const clock = fakeClock();
    const journal = new Journal([WORKFLOW], clock.now);
    journal.loopStarted(openTask('rev-1'));
    clock.advance(10);
    journal.delivered(message('auto-1', 'auto-accepted'), 'auto-accepted');
    clock.advance(10);
    journal.loopStarted(openTask('rev-2'));
    expect(journal.snapshot().records.map((journey) => journey.reviewId)).toEqual(['rev-2', 'auto-1', 'rev-1']);

    clock.advance(10);
    journal.delivered(message('rev-1', 'reviewed'), 'reviewed');
    expect(journal.snapshot().records.map((journey) => journey.reviewId)).toEqual(['rev-1', 'rev-2', 'auto-1']);
    // Delivered after its loop started: the first two steps are not repeated
    expect(journal.snapshot().records[0].steps.map((step) => step.step)).toEqual(['ingested', 'decision', 'loop-started', 'delivered']);
    // Still one record each
    expect(journal.snapshot().workflows[0].records).toBe(3);
  });

  it('keeps the 200 most recent journeys and counts every record', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    for (let i = 0; i < 250; i++) journal.delivered(message(`auto-${i}`, 'auto-accepted'), 'auto-accepted');
    const snapshot = journal.snapshot();
    expect(snapshot.records).toHaveLength(200);
    expect(snapshot.records[0].reviewId).toBe('auto-249');
    expect(snapshot.records[199].reviewId).toBe('auto-50');
    expect(snapshot.workflows[0]).toMatchObject({ records: 250, outcomes: { 'auto-accepted': 250 }, queues: { 'auto-accepted': 250 } });
  });

  it('gives out copies: a snapshot does not change when the journal counts on', () => {
    const journal = new Journal([WORKFLOW], fakeClock().now);
    const before = journal.snapshot();
    journal.delivered(message('auto-1', 'auto-accepted'), 'auto-accepted');
    expect(before.workflows[0].outcomes['auto-accepted']).toBe(0);
    expect(before.workflows[0].queues).toEqual({});
  });
});
