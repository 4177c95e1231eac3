import { StartHumanLoopCommand, type StartHumanLoopCommandInput, ValidationException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { messageProblems } from '../../lib/messages/validate';
import { INGEST_WORKFLOWS, IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * Every message carries the record as written, byte for byte: numbers JSON.parse cannot hold
 * (`12345678901234567890`, `-0`, `-1e400`, `1.0`), spacing and escapes survive in every outcome. And a record
 * whose object repeats a key is invalid (DuplicateKey) unless the workflow opts into last-wins.
 * The predictions workflow: recordId `id`, a loop when confidence < 0.5, reviewers see a projection.
 */

/** One record's numbers, written as a model might: none of them survives JSON.parse and JSON.stringify. */
const recordLine = (id: string, confidence: string) =>
  `{"id":"${id}", "big":12345678901234567890,"neg":-0,"huge":-1e400,"one":1.0,"note":"caf\\u00e9","confidence":${confidence}}`;

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

/** The record's text in a delivered message body, as sent to SQS. */
function recordTextOf(body: string, line: string): string | undefined {
  const marker = `"record":${line}`;
  return body.includes(marker) ? line : undefined;
}

describe('records carried as written', () => {
  it('auto-accepted, invalid (ConditionError, DuplicateKey) and failed (StartHumanLoopFailed) messages hold the line byte for byte; the line of a record in review is kept for its message', async () => {
    // Prepare: the loop of `fail` is refused by A2I (not retryable); `review` gets its loop.
    harness = await IngestHarness.create(dynamo);
    const started: StartHumanLoopCommandInput[] = [];
    harness.a2i.on(StartHumanLoopCommand).callsFake((input: StartHumanLoopCommandInput) => {
      if ((input.HumanLoopInput?.InputContent as string).includes('"recordId":"fail"')) throw new ValidationException({ message: 'refused', $metadata: { httpStatusCode: 400 } });
      started.push(input);
      return { HumanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${input.HumanLoopName}` };
    });
    const lines = {
      accepted: recordLine('accepted', '0.9'),
      review: recordLine('review', '0.2'),
      fail: recordLine('fail', '0.3'),
      condition: recordLine('condition', '"0.3"'),
      repeated: `{"id":"repeated","confidence":0.1,"big":12345678901234567890,"meta":{"k":1,"k":2},"confidence":0.9}`,
    };

    // Act
    await harness.uploadObject('predictions/as-written.jsonl', `${Object.values(lines).join('\n')}\n`);
    await harness.drain();

    // Assess
    const bodies = new Map(harness.delivered.map(({ message, entry }) => [message.recordId, { message, body: entry.MessageBody as string }]));
    expect([...bodies.keys()].sort()).toEqual(['accepted', 'condition', 'fail', 'repeated']);
    expect(bodies.get('accepted')?.message.outcome).toBe('auto-accepted');
    expect(bodies.get('fail')?.message).toMatchObject({ outcome: 'failed', failure: { code: 'StartHumanLoopFailed' } });
    expect(bodies.get('condition')?.message).toMatchObject({ outcome: 'invalid', failure: { code: 'ConditionError' } });
    for (const id of ['accepted', 'fail', 'condition', 'repeated'] as const) {
      expect([id, recordTextOf(bodies.get(id)?.body as string, lines[id])]).toEqual([id, lines[id]]);
    }
    // The loop shows reviewers the projection, never the whole record; the record as written is kept in the
    // payload bucket for the reviewed message, and the execution points at it.
    expect(started).toHaveLength(1);
    const inputContent = started[0].HumanLoopInput?.InputContent as string;
    expect(JSON.parse(inputContent).record).toEqual({ id: 'review', label: null, confidence: 0.2 });
    expect(inputContent).not.toContain('"big"');
    const execution = JSON.parse(harness.executions.find((start) => start.name === started[0].HumanLoopName)?.input as string);
    expect(execution.recordTextRef).toBe(`s3://orchestrator-payloads/payloads/predictions/${started[0].HumanLoopName}/input-record.json`);
    expect(harness.objects.get(execution.recordTextRef.slice('s3://'.length))?.toString()).toBe(lines.review);
  });
});

describe('duplicate keys', () => {
  it('a record repeating a key at any depth is invalid DuplicateKey, the reason naming the path and the line but no value; the records around it proceed', async () => {
    // Prepare
    harness = await IngestHarness.create(dynamo);
    const lines = [
      '{"id":"ok","confidence":0.9,"meta":{"url":"https://x/y:1","at":"10:00:00"}}',
      // conditions would see 0.9 (auto-accepted) while a first-key-wins consumer reads 0.1
      '{"id":"top","confidence":0.1,"confidence":0.9}',
      '{"id":"deep","confidence":0.9,"items":[{"a":1},{"b":{"secret-value":1,"secret-value":2}}]}',
      '{"id":"escaped","confidence":0.9,"k":1,"\\u006b":2}',
      '{"id":"colon-escape","confidence":0.9,"s":"a\\u003ab"}',
      '{"id":"same-text-elsewhere","confidence":0.9,"a":{"k":1},"b":{"k":2}}',
    ];

    // Act
    await harness.uploadObject('predictions/duplicate-keys.jsonl', `${lines.join('\n')}\n`);
    await harness.drain();

    // Assess
    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.recordId, message.outcome, message.failure?.code, message.failure?.reason])).toEqual([
      ['top', 'invalid', 'DuplicateKey', 'line 2: key confidence appears more than once in its object'],
      ['deep', 'invalid', 'DuplicateKey', 'line 3: key items[1].b."secret-value" appears more than once in its object'],
      ['escaped', 'invalid', 'DuplicateKey', 'line 4: key k appears more than once in its object'],
    ]);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['ok', 'colon-escape', 'same-text-elsewhere']);
    expect(harness.loops).toEqual([]);
  });

  it('with duplicateKeys: last-wins, such a record is read as JSON.parse reads it (the last value counts)', async () => {
    // Prepare: the predictions workflow with the opt-in.
    const dir = mkdtempSync(join(tmpdir(), 'last-wins-'));
    cpSync(INGEST_WORKFLOWS, dir, { recursive: true });
    const file = join(dir, 'predictions.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}duplicateKeys: last-wins\n`);
    harness = await IngestHarness.create(dynamo, { workflowsDir: dir });
    const lines = ['{"id":"low-last","confidence":0.9,"confidence":0.1}', '{"id":"high-last","confidence":0.1,"confidence":0.9}'];

    // Act
    await harness.uploadObject('predictions/last-wins.jsonl', `${lines.join('\n')}\n`);
    await harness.drain();

    // Assess
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([]);
    const accepted = harness.delivered.filter(({ message }) => message.outcome === 'auto-accepted');
    expect(accepted.map(({ message }) => message.recordId)).toEqual(['high-last']);
    expect(accepted[0].entry.MessageBody).toContain(`"record":${lines[1]}`);
    expect(harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string).recordId)).toEqual(['low-last']);
  });
});
