import { StartHumanLoopCommand, ThrottlingException, ValidationException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { gzipSync } from 'node:zlib';
import { messageProblems } from '../../lib/messages/validate';
import { reviewIdFor } from '../../lib/naming';
import { FLOW_ARN_PREDICTIONS, INPUT_BUCKET, IngestHarness, startDynalite } from '../support/ingest-harness';

const prediction = (id: string, confidence: number, extra: Record<string, unknown> = {}) => JSON.stringify({ id, label: `label-${id}`, confidence, ...extra });
const jsonl = (...lines: string[]) => `${lines.join('\n')}\n`;

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo);
});
afterEach(() => {
  // Every message any part of ingest sends follows the contract.
  for (const { message } of harness.delivered) expect(messageProblems(message)).toEqual([]);
  harness.restore();
});

describe('S3 JSON Lines through the whole ingest path', () => {
  it('starts one loop per activated record with the exact A2I and Step Functions inputs, and auto-accepts the rest', async () => {
    // Prepare
    const key = 'predictions/2026/11/batch-1.jsonl';
    const body = jsonl(prediction('a', 0.9), prediction('b', 0.2), prediction('c', 0.99));

    // Act
    const event = await harness.uploadObject(key, body);
    await harness.drain();

    // Assess
    const etag = event.Records[0].s3.object.eTag;
    const loopName = reviewIdFor('predictions', { type: 's3', bucket: INPUT_BUCKET, key, etag }, { recordId: 'b', index: 1 });
    expect(harness.loops).toHaveLength(1);
    const [loop] = harness.loops;
    expect(loop.HumanLoopName).toBe(loopName);
    expect(loop.FlowDefinitionArn).toBe(FLOW_ARN_PREDICTIONS);
    expect(loop.DataAttributes).toEqual({ ContentClassifiers: ['FreeOfPersonallyIdentifiableInformation'] });
    const input = JSON.parse(loop.HumanLoopInput?.InputContent as string);
    expect(input).toEqual({
      reviewId: loopName,
      workflow: 'predictions',
      recordId: 'b',
      record: { id: 'b', label: 'label-b', confidence: 0.2 },
      decision: {
        activated: true,
        humanTaskActivationConditionResults: {
          Conditions: [{ ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'confidence', ConfidenceLessThan: 0.5 }, EvaluationResult: true }],
        },
      },
      source: { type: 's3', bucket: INPUT_BUCKET, key, etag, recordIndex: 1, line: 2 },
    });

    expect(harness.executions).toHaveLength(1);
    const [execution] = harness.executions;
    expect(execution.name).toBe(loopName);
    expect(execution.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:review-loop');
    expect(JSON.parse(execution.input as string)).toEqual({
      reviewId: loopName,
      workflow: 'predictions',
      humanLoopName: loopName,
      flowDefinitionArn: FLOW_ARN_PREDICTIONS,
      source: { type: 's3', bucket: INPUT_BUCKET, key, etag, recordIndex: 1, line: 2 },
      recordId: 'b',
      // Reviewers see a projection: the record as written is kept for the reviewed message.
      recordTextRef: `s3://orchestrator-payloads/payloads/predictions/${loopName}/input-record.json`,
    });

    const accepted = harness.deliveredTo('predictions', 'accepted');
    expect(accepted.map((message) => message.recordId).sort()).toEqual(['a', 'c']);
    expect(accepted.every((message) => message.outcome === 'auto-accepted' && (message.decision as { activated: boolean }).activated === false)).toBe(true);
    expect(accepted.find((message) => message.recordId === 'a')?.record).toEqual(JSON.parse(prediction('a', 0.9)));
    const entry = harness.delivered.find((delivered) => delivered.message.recordId === 'a')?.entry;
    expect(entry?.MessageAttributes).toEqual({
      workflow: { DataType: 'String', StringValue: 'predictions' },
      outcome: { DataType: 'String', StringValue: 'auto-accepted' },
    });
    expect(harness.delivered).toHaveLength(2);
    expect(harness.workDlq).toEqual([]);
  });

  it('a redelivered S3 event creates no second loop, execution or auto-accepted message', async () => {
    const event = harness.putObject('predictions/dup.jsonl', jsonl(prediction('a', 0.9), prediction('b', 0.2)));

    await harness.s3Handler(event, {} as never);
    await harness.drain();
    await harness.s3Handler(event, {} as never);
    await harness.s3Handler(event, {} as never);
    await harness.drain();

    expect(harness.loops).toHaveLength(1);
    expect(harness.executions).toHaveLength(1);
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(1);
    expect(harness.workDlq).toEqual([]);
  });

  it('two deliveries of the same work processed back to back start one loop and send one message', async () => {
    harness.putObject('predictions/twice.jsonl', jsonl(prediction('a', 0.9), prediction('b', 0.2)));
    await harness.s3Handler(harness.putObject('predictions/twice.jsonl', jsonl(prediction('a', 0.9), prediction('b', 0.2))), {} as never);
    // SQS delivers at least once: the same work message twice.
    harness.work.push({ ...harness.work[0] });

    await harness.drain();

    expect(harness.loops).toHaveLength(1);
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(1);
  });

  it('a loop that already exists in A2I (a crash after StartHumanLoop) is taken as started and still gets its execution', async () => {
    const event = harness.putObject('predictions/crash.jsonl', jsonl(prediction('b', 0.2)));
    const etag = event.Records[0].s3.object.eTag;
    const name = reviewIdFor('predictions', { type: 's3', bucket: INPUT_BUCKET, key: 'predictions/crash.jsonl', etag }, { recordId: 'b', index: 0 });
    harness.existingLoops.add(name);

    await harness.s3Handler(event, {} as never);
    await harness.drain();

    expect(harness.loops.map((loop) => loop.HumanLoopName)).toEqual([name]);
    expect(harness.executions.map((execution) => execution.name)).toEqual([name]);
    expect(harness.delivered).toEqual([]);
    expect(harness.workDlq).toEqual([]);
  });

  it('a re-uploaded object with other content names other loops', async () => {
    await harness.uploadObject('predictions/same-key.jsonl', jsonl(prediction('b', 0.2)));
    await harness.uploadObject('predictions/same-key.jsonl', jsonl(prediction('b', 0.3)));
    await harness.drain();

    expect(harness.loops).toHaveLength(2);
    expect(new Set(harness.loops.map((loop) => loop.HumanLoopName)).size).toBe(2);
  });
});

describe('A2I errors', () => {
  // The harness's clients are mocks, which bypass the SDK's retry middleware: each ThrottlingException here is a
  // StartHumanLoop still throttled after the SDK's own retries (test/unit-aws/aws-clients.test.ts runs those).
  it('a StartHumanLoop still throttled after the SDK retries is tried again on the work queue\'s next receive, which starts the loop', async () => {
    let calls = 0;
    harness.a2i.on(StartHumanLoopCommand).callsFake((input) => {
      calls++;
      if (calls <= 2) throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      harness.loops.push(input);
      return { HumanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${input.HumanLoopName}` };
    });

    await harness.uploadObject('predictions/throttled.jsonl', jsonl(prediction('b', 0.2)));
    await harness.drain();

    // One StartHumanLoop per receive: throttled on the first two, started on the third (the last of maxReceives 3).
    expect(harness.workReceives).toBe(3);
    expect(calls).toBe(3);
    expect(harness.loops).toHaveLength(1);
    expect(harness.executions).toHaveLength(1);
    expect(harness.delivered).toEqual([]);
    expect(harness.workDlq).toEqual([]);
  });

  it('throttled on every receive: the work is retried, and on its last receive the record is delivered as failed', async () => {
    harness.a2i.on(StartHumanLoopCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));

    await harness.uploadObject('predictions/always-throttled.jsonl', jsonl(prediction('a', 0.9), prediction('b', 0.2)));
    await harness.drain();

    // One StartHumanLoop per receive, no retries around it: the SDK's are the only ones.
    expect(harness.workReceives).toBe(harness.maxReceives);
    expect(harness.a2i.commandCalls(StartHumanLoopCommand)).toHaveLength(harness.maxReceives);
    // Each retry comes back soon, doubling (30 s, 60 s, ...), not after the queue's 30-minute visibility timeout.
    expect(harness.workVisibility).toEqual(Array.from({ length: harness.maxReceives - 1 }, (_, index) => 30 * 2 ** index));

    const failures = harness.deliveredTo('predictions', 'failures');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ outcome: 'failed', recordId: 'b', failure: { code: 'StartHumanLoopFailed' } });
    expect(failures[0].failure?.reason).toMatch(/^ThrottlingException: /);
    const fifoEntry = harness.delivered.find((delivered) => delivered.message.outcome === 'failed')?.entry;
    expect(fifoEntry?.MessageDeduplicationId).toBe(failures[0].reviewId);
    expect(fifoEntry?.MessageGroupId).toBe(failures[0].reviewId);
    // The auto-accepted record of the same work message went out once, despite the work's retries.
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(1);
    expect(harness.workDlq).toEqual([]);
  });

  it('ValidationException is not retried: the record is delivered as failed with the reason', async () => {
    let calls = 0;
    harness.a2i.on(StartHumanLoopCommand).callsFake(() => {
      calls++;
      throw new ValidationException({ message: 'InputContent is not valid', $metadata: { httpStatusCode: 400 } });
    });

    await harness.uploadObject('predictions/invalid-for-a2i.jsonl', jsonl(prediction('b', 0.2)));
    await harness.drain();

    expect(calls).toBe(1);
    expect(harness.executions).toEqual([]);
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([
      expect.objectContaining({ outcome: 'failed', recordId: 'b', failure: { code: 'StartHumanLoopFailed', reason: 'ValidationException: InputContent is not valid' } }),
    ]);
  });
});

describe('work that cannot be done', () => {
  it('malformed work is retried, then put on the DLQ with its reason', async () => {
    harness.work.push({ body: 'a2io-work/1\n{"workflow": "predictions"', receives: 0 });

    await harness.drain();

    expect(harness.workDlq).toEqual([{ body: 'a2io-work/1\n{"workflow": "predictions"', reason: 'MalformedWorkError: work message header is not JSON' }]);
  });

  it('work whose messages SQS keeps refusing ends on the DLQ with the reason, its loops still started once', async () => {
    harness.sqs.on(SendMessageBatchCommand).callsFake(({ QueueUrl, Entries }) => {
      if (QueueUrl?.endsWith('/work')) {
        for (const entry of Entries ?? []) harness.work.push({ body: entry.MessageBody as string, receives: 0 });
        return { Successful: (Entries ?? []).map((entry: { Id?: string }) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
      }
      return { Successful: [], Failed: (Entries ?? []).map((entry: { Id?: string }) => ({ Id: entry.Id, SenderFault: true, Code: 'KMS.AccessDeniedException', Message: 'denied' })) };
    });

    await harness.uploadObject('predictions/undeliverable.jsonl', jsonl(prediction('a', 0.9), prediction('b', 0.2)));
    await harness.drain();

    expect(harness.workDlq).toHaveLength(1);
    expect(harness.workDlq[0].reason).toMatch(/^SendFailedError: SQS rejected messages: predictions-[a-z0-9]+: KMS.AccessDeniedException denied$/);
    expect(harness.loops).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('malformed lines become invalid messages with their line numbers; the good lines are still processed', async () => {
    const body = jsonl(prediction('a', 0.9), '{"id": "x", "confidence": ', 'not json at all', '', '[1, 2]', prediction('b', 0.2), '{"label": "no id", "confidence": 0.1}');

    await harness.uploadObject('predictions/mixed.jsonl', body);
    await harness.drain();

    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.outcome, message.failure?.code, message.source.type === 's3' && message.source.line])).toEqual([
      ['invalid', 'InvalidJson', 2],
      ['invalid', 'InvalidJson', 3],
      ['invalid', 'NotAnObject', 5],
      ['invalid', 'MissingRecordId', 7],
    ]);
    expect(invalid[0].failure?.reason).toMatch(/^line 2: not valid JSON/);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['a']);
    expect(harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string).recordId)).toEqual(['b']);
  });

  it('a record whose InputContent would exceed 3,145,728 characters is invalid with that reason', async () => {
    const huge = prediction('big', 0.1, { label: 'x'.repeat(3_200_000) });

    await harness.uploadObject('predictions/huge.jsonl', jsonl(prediction('a', 0.9), huge));
    await harness.drain();

    expect(harness.loops).toEqual([]);
    const [invalid] = harness.deliveredTo('predictions', 'failures');
    expect(invalid).toMatchObject({ outcome: 'invalid', recordId: 'big', failure: { code: 'InputContentTooLarge' } });
    expect(invalid.failure?.reason).toMatch(/over A2I's limit of 3145728/);
    // The record itself is too big for SQS: it travels by reference, never truncated.
    expect(invalid.record).toBeUndefined();
    expect(invalid.recordRef).toMatch(/^s3:\/\/orchestrator-payloads\/payloads\/predictions\//);
    const stored = harness.objects.get(invalid.recordRef!.slice('s3://'.length));
    expect(JSON.parse(stored!.toString()).label).toHaveLength(3_200_000);
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(1);
  });

  it('with input.oversize: reference, an oversize record is reviewed from its S3 object instead', async () => {
    const document = JSON.stringify({ items: [{ flag: true, blob: 'y'.repeat(3_200_000) }, { flag: false }] });

    await harness.uploadObject('batches/large.json', document);
    await harness.drain();

    expect(harness.loops).toHaveLength(1);
    const input = JSON.parse(harness.loops[0].HumanLoopInput?.InputContent as string);
    expect(input.record).toBeUndefined();
    expect(input.recordRef).toBe(`s3://${INPUT_BUCKET}/batches/large.json`);
    expect(input.source).toMatchObject({ recordIndex: 0 });
    expect(harness.deliveredTo('batches', 'out')).toEqual([expect.objectContaining({ outcome: 'auto-accepted', source: expect.objectContaining({ recordIndex: 1 }) })]);
  });

  it('an empty object produces no work and no messages', async () => {
    await harness.uploadObject('predictions/empty.jsonl', '');
    await harness.drain();

    expect(harness.loops).toEqual([]);
    expect(harness.delivered).toEqual([]);
  });

  it('a key that matches no workflow is not even read', async () => {
    await harness.uploadObject('elsewhere/file.jsonl', jsonl(prediction('a', 0.1)));
    await harness.uploadObject('predictions/file.csv', 'a,b\n');
    await harness.drain();

    expect(harness.s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(harness.work).toEqual([]);
    expect(harness.delivered).toEqual([]);
  });

  it('decodes URL-encoded keys (+ for spaces, unicode)', async () => {
    const key = 'predictions/batch one+two ü.jsonl';

    const event = await harness.uploadObject(key, jsonl(prediction('a', 0.9)));
    await harness.drain();

    expect(event.Records[0].s3.object.key).toBe('predictions/batch+one%2Btwo+%C3%BC.jsonl');
    expect(harness.s3.commandCalls(GetObjectCommand)[0].args[0].input).toMatchObject({ Bucket: INPUT_BUCKET, Key: key });
    expect(harness.deliveredTo('predictions', 'accepted')[0].source).toMatchObject({ key });
  });

  it('reads gzip-compressed objects', async () => {
    await harness.uploadObject('predictions/batch.jsonl.gz', gzipSync(jsonl(prediction('a', 0.9), prediction('b', 0.2))));
    await harness.drain();

    expect(harness.loops).toHaveLength(1);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['a']);
  });

  it('characters SQS refuses never block delivery: U+FFFF travels escaped, a raw control character makes the line invalid', async () => {
    const body = jsonl(prediction('a', 0.9, { note: 'odd \uFFFF char' }), `{"id": "b", "confidence": 0.9, "note": "bell \u0007"}`);

    await harness.uploadObject('predictions/odd-chars.jsonl', body);
    await harness.drain();

    const [accepted] = harness.deliveredTo('predictions', 'accepted');
    expect((accepted.record as { note: string }).note).toBe('odd \uFFFF char');
    const sent = harness.delivered.find((delivered) => delivered.message.recordId === 'a')?.entry.MessageBody as string;
    expect(sent).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(harness.work).toEqual([]);
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([
      expect.objectContaining({ outcome: 'invalid', failure: { code: 'UnreadableRecord', reason: 'line 2: not valid JSON: raw control character at column 46' } }),
    ]);
  });

  it('a second record with the same recordId in one object is invalid, not lost and not merged', async () => {
    await harness.uploadObject('predictions/ids.jsonl', jsonl(prediction('a', 0.9), prediction('a', 0.95), prediction('b', 0.2), prediction('b', 0.1)));
    await harness.drain();

    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.failure?.code, message.source.recordIndex]).sort()).toEqual([
      ['DuplicateRecordId', 1],
      ['DuplicateRecordId', 3],
    ]);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.source.recordIndex)).toEqual([0]);
    expect(harness.loops).toHaveLength(1);
    // Every record has exactly one terminal path: 2 delivered invalid, 1 auto-accepted, 1 loop.
    expect(new Set(harness.delivered.map((delivered) => delivered.message.reviewId)).size).toBe(3);
  });

  it('large files are fanned out in bounded work messages', async () => {
    const lines = Array.from({ length: 450 }, (_, index) => prediction(`r${index}`, index % 50 === 0 ? 0.1 : 0.9));

    await harness.uploadObject('predictions/many.jsonl', jsonl(...lines));
    const workMessages = harness.work.length;
    await harness.drain();

    expect(workMessages).toBe(5);
    expect(harness.loops).toHaveLength(9);
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(441);
  });
});

describe('a work message with more starts than fit in one invocation at the workflow\'s rate', () => {
  it('starts what fits before the deadline and hands the rest on as new work: nothing times out, every record gets one loop', async () => {
    // Prepare: 1,000 starts/s shared by 5,000 consumers is 0.2/s for this one; 100 activated records would take 500 s of a 300 s function.
    harness.restore();
    harness = await IngestHarness.create(dynamo, { consumerConcurrency: 5000 });
    const lines = Array.from({ length: 100 }, (_, index) => prediction(`slow${index}`, 0.1));

    // Act
    await harness.uploadObject('predictions/paced.jsonl', jsonl(...lines));
    const sentBySplitter = harness.work.length;
    await harness.drain();

    // Assess
    expect(sentBySplitter).toBe(1);
    expect(harness.timedOut).toBe(0);
    expect(harness.workDlq).toEqual([]);
    expect(harness.loops).toHaveLength(100);
    expect(new Set(harness.loops.map((loop) => loop.HumanLoopName)).size).toBe(100);
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([]);
  });
});

describe('EventBridge events', () => {
  const orderEvent = (id: string, fraudScore: number | undefined) => ({
    version: '0',
    id,
    'detail-type': 'OrderScored',
    source: 'acme.orders',
    account: '123456789012',
    time: '2026-11-22T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: fraudScore === undefined ? { note: 'no order' } : { order: { orderId: `o-${id}`, fraudScore } },
  });

  it('evaluates the record at the workflow path and starts a loop named after the event', async () => {
    await harness.sendEvent(orderEvent('e1', 0.9));
    await harness.sendEvent({ workflow: 'orders', event: orderEvent('e2', 0.1) });
    await harness.drain();

    const name = reviewIdFor('orders', { type: 'event', eventSource: 'acme.orders', eventId: 'e1' }, { recordId: 'o-e1', index: 0 });
    expect(harness.loops.map((loop) => loop.HumanLoopName)).toEqual([name]);
    expect(JSON.parse(harness.loops[0].HumanLoopInput?.InputContent as string).source).toEqual({
      type: 'event',
      eventSource: 'acme.orders',
      eventId: 'e1',
      detailType: 'OrderScored',
      recordIndex: 0,
    });
    expect(harness.deliveredTo('orders', 'accepted').map((message) => message.recordId)).toEqual(['o-e2']);
  });

  it('a duplicated event is handled once', async () => {
    await harness.sendEvent(orderEvent('e3', 0.9));
    await harness.sendEvent(orderEvent('e3', 0.9));
    await harness.sendEvent(orderEvent('e4', 0.2));
    await harness.sendEvent(orderEvent('e4', 0.2));
    await harness.drain();

    expect(harness.loops).toHaveLength(1);
    expect(harness.deliveredTo('orders', 'accepted')).toHaveLength(1);
  });

  it('an event without a record at the path is invalid; an event for no workflow is ignored', async () => {
    await harness.sendEvent(orderEvent('e5', undefined));
    await harness.sendEvent({ ...orderEvent('e6', 0.9), source: 'someone.else' });
    await harness.drain();

    expect(harness.deliveredTo('orders', 'failures')).toEqual([
      expect.objectContaining({ outcome: 'invalid', failure: { code: 'UnreadableRecord', reason: 'the event has no record at "detail.order"' } }),
    ]);
    expect(harness.loops).toEqual([]);
    expect(harness.delivered).toHaveLength(1);
  });
});
