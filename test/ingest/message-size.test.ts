import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';
import { SQS_MAX_MESSAGE_BYTES, sqsMessageBytes } from '../../lib/sqs-limits';
import { INGEST_WORKFLOWS, IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * One record never takes its batch down, and no message the pipeline sends exceeds SQS's limit: the harness's
 * SQS refuses what AWS refuses (a message over 262,144 bytes, body plus attributes; a call over the batch limit).
 * Each test counts that every input record gets exactly one message (or its loop).
 */

const prediction = (id: string, confidence: number, extra: Record<string, unknown> = {}) => JSON.stringify({ id, label: `label-${id}`, confidence, ...extra });
const jsonl = (lines: string[]) => `${lines.join('\n')}\n`;
const BIG_ID = `big-${'x'.repeat(300 * 1024)}`;

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;
const dirs: string[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const { message, entry } of harness.delivered) {
    expect(messageProblems(message)).toEqual([]);
    expect(sqsMessageBytes(entry.MessageBody ?? '', entry.MessageAttributes)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  }
  harness.restore();
});

/** The one message of each record index, and the index of every record that got more or fewer than one. */
function byIndex(messages: ReviewMessage[], records: number): { messages: Map<number, ReviewMessage>; wrong: number[] } {
  const counts = new Map<number, ReviewMessage[]>();
  for (const message of messages) counts.set(message.source.recordIndex, [...(counts.get(message.source.recordIndex) ?? []), message]);
  const wrong = Array.from({ length: records }, (_, index) => index).filter((index) => counts.get(index)?.length !== 1);
  return { messages: new Map([...counts].map(([index, found]) => [index, found[0]])), wrong };
}

/** A payload the harness's S3 holds, by its s3:// URI. */
const stored = (uri: string | undefined): string => harness.objects.get((uri ?? '').slice('s3://'.length))?.toString('utf8') ?? '';

describe('a record whose message cannot fit SQS inline (a 300 KiB recordId)', () => {
  beforeEach(async () => {
    harness = await IngestHarness.create(dynamo);
  });

  it('travels with its id and record by reference, and the 20 other records of its work message get their messages', async () => {
    const lines = Array.from({ length: 21 }, (_, index) => (index === 10 ? prediction(BIG_ID, 0.9) : prediction(`r-${index}`, 0.9)));

    await harness.uploadObject('predictions/big-id.jsonl', jsonl(lines));
    await harness.drain();

    expect(harness.workDlq).toEqual([]);
    const { messages, wrong } = byIndex(harness.delivered.map(({ message }) => message), 21);
    expect(wrong).toEqual([]);
    expect([...messages.values()].every((message) => message.outcome === 'auto-accepted')).toBe(true);
    const big = messages.get(10) as ReviewMessage;
    expect(big).not.toHaveProperty('recordId');
    expect(JSON.parse(stored(big.recordIdRef))).toBe(BIG_ID);
    expect(stored(big.recordRef)).toBe(lines[10]);
    expect(messages.get(9)).toMatchObject({ recordId: 'r-9', record: JSON.parse(lines[9]) });
  });

  it('activated, it is invalid before any loop opens (Step Functions would refuse its execution input), and the others go on', async () => {
    const lines = [prediction('r-0', 0.1), prediction(BIG_ID, 0.1), prediction('r-2', 0.9)];

    await harness.uploadObject('predictions/big-id-activated.jsonl', jsonl(lines));
    await harness.drain();

    expect(harness.workDlq).toEqual([]);
    expect(harness.loops.map((loop) => loop.HumanLoopName)).toHaveLength(1);
    const { messages, wrong } = byIndex(harness.delivered.map(({ message }) => message), 3);
    // r-0 has its loop open: its message comes with its review.
    expect(wrong).toEqual([0]);
    expect(messages.get(1)).toMatchObject({ outcome: 'invalid', failure: { code: 'UnprocessableRecord' } });
    expect(messages.get(2)).toMatchObject({ outcome: 'auto-accepted' });
  });

  it('a second record with the same 300 KiB id is invalid on its own; the first and the others are delivered', async () => {
    const lines = [prediction(BIG_ID, 0.9), prediction('r-1', 0.9), prediction(BIG_ID, 0.95), prediction('r-3', 0.9)];

    await harness.uploadObject('predictions/big-duplicate.jsonl', jsonl(lines));
    await harness.drain();

    expect(harness.workDlq).toEqual([]);
    const { messages, wrong } = byIndex(harness.delivered.map(({ message }) => message), 4);
    expect(wrong).toEqual([]);
    expect(messages.get(0)).toMatchObject({ outcome: 'auto-accepted' });
    expect(JSON.parse(stored(messages.get(0)?.recordIdRef))).toBe(BIG_ID);
    const duplicate = messages.get(2) as ReviewMessage;
    expect(duplicate.outcome).toBe('invalid');
    // Its DuplicateRecordId reason quotes the 300 KiB id: too large even by reference, it is stood in for.
    expect(duplicate.failure?.code).toBe('MessageTooLarge');
    expect(duplicate.failure?.reason).toMatch(/^the invalid \(DuplicateRecordId\) message is \d+ bytes .* the whole message is at s3:\/\//);
    expect(duplicate.failure?.reason).not.toContain('xxxx');
    expect(JSON.parse(stored(duplicate.failure?.reason.split(' at ').pop())).failure.code).toBe('DuplicateRecordId');
    expect(messages.get(3)).toMatchObject({ outcome: 'auto-accepted', recordId: 'r-3' });
  });
});

describe('an event whose record is too large for a work message', () => {
  beforeEach(async () => {
    harness = await IngestHarness.create(dynamo);
  });

  it('is staged and delivered: the work message stays within SQS\'s limit', async () => {
    const order = { orderId: 'o-big', fraudScore: 0.1, notes: 'n'.repeat(270_000) };

    await harness.sendEvent({ id: 'e-big', 'detail-type': 'OrderScored', source: 'acme.orders', detail: { order } });
    await harness.drain();

    expect(harness.workDlq).toEqual([]);
    const [accepted, ...others] = harness.deliveredTo('orders', 'accepted');
    expect(others).toEqual([]);
    expect(accepted).toMatchObject({ outcome: 'auto-accepted', recordId: 'o-big' });
    expect(JSON.parse(stored(accepted.recordRef))).toEqual(order);
  });
});

describe('a decision near the activation cap with a large record (an In list of 180 long values, 210 KB records)', () => {
  let workflows: string;
  beforeAll(() => {
    workflows = mkdtempSync(join(tmpdir(), 'a2i-wide-decision-'));
    dirs.push(workflows);
    cpSync(join(INGEST_WORKFLOWS, 'templates'), join(workflows, 'templates'), { recursive: true });
    // The activation cap (65,536 characters of JSON) keeps a decision far below SQS's limit on its own; with a
    // large record the message does not fit, and the largest part (the record) travels by reference.
    const values = Array.from({ length: 180 }, (_, index) => `flagged-label-${index}-${'v'.repeat(300)}`);
    writeFileSync(
      join(workflows, 'wide.yaml'),
      [
        'name: wide',
        'source: {s3: {prefix: wide/, suffix: .jsonl}}',
        'recordId: id',
        'activation:',
        '  Conditions:',
        '    - ConditionType: FieldValueCheck',
        `      ConditionParameters: {Path: label, In: ${JSON.stringify(values)}}`,
        'flowDefinition: {template: templates/review.liquid.html, taskCount: 1}',
        'queues: {reviewed: {}, accepted: {}, failures: {}}',
        'routes: [{queue: reviewed}]',
        'autoAccepted: {queue: accepted}',
        'failures: {queue: failures}',
        'ingest: {maxStartsPerSecond: 1000}',
        '',
      ].join('\n'),
    );
  });
  beforeEach(async () => {
    harness = await IngestHarness.create(dynamo, { workflowsDir: workflows });
  });

  it('the record travels as recordRef, the decision inline: all 9 auto-accepted records get their message and the flagged one its loop', async () => {
    const note = 'n'.repeat(210 * 1024);
    const lines = Array.from({ length: 10 }, (_, index) => JSON.stringify({ id: `w-${index}`, label: index === 4 ? `flagged-label-7-${'v'.repeat(300)}` : `plain-${index}`, note }));

    await harness.uploadObject('wide/batch.jsonl', jsonl(lines));
    await harness.drain();

    expect(harness.workDlq).toEqual([]);
    expect(harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string).recordId)).toEqual(['w-4']);
    const accepted = harness.deliveredTo('wide', 'accepted');
    expect(accepted.map((message) => message.recordId).sort()).toEqual(['w-0', 'w-1', 'w-2', 'w-3', 'w-5', 'w-6', 'w-7', 'w-8', 'w-9']);
    for (const message of accepted) {
      expect(message).not.toHaveProperty('record');
      expect(stored(message.recordRef)).toBe(lines[message.source.recordIndex]);
      const decision = message.decision as unknown as { activated: boolean; humanTaskActivationConditionResults: { Conditions: { ConditionParameters: { In: unknown[] } }[] } };
      expect(decision.activated).toBe(false);
      expect(decision.humanTaskActivationConditionResults.Conditions[0].ConditionParameters.In).toHaveLength(180);
    }
  });
});
