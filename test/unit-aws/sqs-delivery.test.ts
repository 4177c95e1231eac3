import {
  type MessageAttributeValue,
  QueueDoesNotExist,
  RequestThrottled,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchRequestEntry,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { type Envelope, type PayloadStore, type QueueAddress, SqsDelivery, UNDELIVERABLE_CODE } from '../../lib/delivery';
import { type Outcome, type ReviewMessage, reviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';
import { reviewIdFor } from '../../lib/naming';
import { type OutgoingEntry, PARTIAL_FAILURE_SENDS, type ResendOptions, SendFailedError, sendBatches } from '../../lib/sqs-batch';
import { SQS_MAX_MESSAGE_BYTES } from '../../lib/sqs-limits';
import { FakeClock, TEST_CREDENTIALS, TEST_REGION } from './helpers';

/** SQS's documented limits: 10 entries and 262,144 bytes (bodies plus attribute names, types and values) a call. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 262_144;

const WORKFLOW = 'invoices';
const STANDARD: QueueAddress = { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/invoices-reviewed', fifo: false };
const OTHER_STANDARD: QueueAddress = { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/invoices-failures', fifo: false };
const FIFO: QueueAddress = { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/invoices-reviewed.fifo', fifo: true };

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
const CREATED_AT = new Date(Date.UTC(2025, 4, 6, 7, 8, 9, 10));

interface MessageOptions {
  outcome?: Outcome;
  record?: unknown;
  answers?: unknown[];
  consolidated?: unknown;
}

/** A message of the contract about record `index` of one S3 object. */
function messageFor(index: number, options: MessageOptions = {}): ReviewMessage {
  const outcome = options.outcome ?? 'reviewed';
  const identity = { type: 's3' as const, bucket: 'model-output', key: 'batch/2025-05-06.jsonl', etag: '"9b2cf535f27731c974343645a3985328"' };
  const reviewId = reviewIdFor(WORKFLOW, identity, { index });
  const reference = { reviewId, workflow: WORKFLOW, source: { ...identity, recordIndex: index, line: index + 1 }, recordId: `inv-${index}` };
  const record = options.record ?? { invoiceId: `inv-${index}`, total: 100 + index, fields: [{ name: 'total', confidence: 0.42 }] };
  switch (outcome) {
    case 'reviewed':
      return reviewMessage(
        reference,
        outcome,
        {
          record,
          decision: { activated: true, humanTaskActivationConditionResults: { Conditions: [] } },
          review: {
            humanLoopName: reviewId,
            humanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${reviewId}`,
            status: 'Completed',
            outputS3Uri: `s3://review-output/${reviewId}/output.json`,
            answers: options.answers ?? [{ workerId: 'w1', answerContent: { total: '100' } }],
            consolidated: options.consolidated ?? { total: '100' },
            agreement: 1,
          },
        },
        CREATED_AT,
      );
    case 'auto-accepted':
      return reviewMessage(reference, outcome, { record, decision: { activated: false, humanTaskActivationConditionResults: { Conditions: [] } } }, CREATED_AT);
    default:
      return reviewMessage(reference, outcome, { record, failure: { code: 'HumanLoopFailed', reason: 'the loop failed' } }, CREATED_AT);
  }
}

function attributesOf(message: ReviewMessage): Record<string, MessageAttributeValue> {
  return { workflow: { DataType: 'String', StringValue: message.workflow }, outcome: { DataType: 'String', StringValue: message.outcome } };
}

/** What SQS counts against its limits for one entry: the body and each attribute's name, type and value. */
function entryBytes(entry: SendMessageBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

function sentInputs(): SendMessageBatchCommandInput[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
}

function sentBodies(queueUrl?: string): ReviewMessage[] {
  return sentInputs()
    .filter((input) => queueUrl === undefined || input.QueueUrl === queueUrl)
    .flatMap((input) => (input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? 'null') as ReviewMessage));
}

/** Answers every call the way SQS does when all entries were accepted. */
function acceptEverything(): void {
  sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, MessageId: `msg-${entry.Id}`, MD5OfMessageBody: 'md5' })),
    Failed: [],
  }));
}

/** A payload store that keeps what it is given and answers with s3:// URIs. */
class RecordingPayloadStore implements PayloadStore {
  readonly puts: { key: string; body: string; uri: string }[] = [];
  async put(key: string, body: string): Promise<string> {
    const uri = `s3://payload-bucket/${key}`;
    this.puts.push({ key, body, uri });
    return uri;
  }
}

/** The workflow's invalid queue, as the wiring gives it, and the workflows it was asked for. */
function invalidQueueSpy(): { of: (workflow: string) => QueueAddress; asked: string[] } {
  const asked: string[] = [];
  return { asked, of: (workflow) => (asked.push(workflow), OTHER_STANDARD) };
}

function resendWith(clock: FakeClock, maxAttempts = PARTIAL_FAILURE_SENDS.maxAttempts): ResendOptions {
  return { clock, budget: { ...PARTIAL_FAILURE_SENDS, maxAttempts } };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(() => {
  sqsMock.reset();
});

afterAll(() => {
  sqsMock.restore();
  sqs.destroy();
});

describe('SqsDelivery', () => {
  describe('what it sends', () => {
    it('sends one message as one SendMessageBatch entry: the JSON body and the workflow and outcome attributes', async () => {
      // Prepare
      acceptEverything();
      const message = messageFor(0);
      const delivery = new SqsDelivery(sqs, { resend: resendWith(new FakeClock()) });

      // Act
      await delivery.deliver([{ queue: STANDARD, message }]);

      // Assess
      const inputs = sentInputs();
      expect(inputs).toHaveLength(1);
      expect(inputs[0]).toStrictEqual({
        QueueUrl: STANDARD.url,
        Entries: [
          {
            Id: expect.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
            MessageBody: JSON.stringify(message),
            MessageAttributes: { workflow: { DataType: 'String', StringValue: 'invoices' }, outcome: { DataType: 'String', StringValue: 'reviewed' } },
          },
        ],
      });
    });

    it.each<Outcome>(['reviewed', 'auto-accepted', 'failed', 'invalid'])('sends a message with outcome %s whose body follows the message schema', async (outcome) => {
      // Prepare
      acceptEverything();
      const message = messageFor(7, { outcome });

      // Act
      await new SqsDelivery(sqs).deliver([{ queue: STANDARD, message }]);

      // Assess
      const [body] = sentBodies();
      expect(body).toEqual(message);
      expect(messageProblems(body)).toEqual([]);
      expect(sentInputs()[0].Entries?.[0].MessageAttributes?.outcome).toEqual({ DataType: 'String', StringValue: outcome });
    });

    it('sends nothing when there is nothing to deliver', async () => {
      // Prepare
      acceptEverything();

      // Act
      await new SqsDelivery(sqs).deliver([]);

      // Assess
      expect(sentInputs()).toHaveLength(0);
    });

    it('gives standard queues neither MessageGroupId nor MessageDeduplicationId', async () => {
      // Prepare
      acceptEverything();

      // Act
      await new SqsDelivery(sqs).deliver([0, 1, 2].map((index) => ({ queue: STANDARD, message: messageFor(index) })));

      // Assess
      for (const entry of sentInputs()[0].Entries ?? []) {
        expect(entry).not.toHaveProperty('MessageGroupId');
        expect(entry).not.toHaveProperty('MessageDeduplicationId');
      }
    });

    it('gives FIFO queues MessageGroupId and MessageDeduplicationId = reviewId', async () => {
      // Prepare
      acceptEverything();
      const messages = [0, 1, 2].map((index) => messageFor(index));

      // Act
      await new SqsDelivery(sqs).deliver(messages.map((message) => ({ queue: FIFO, message })));

      // Assess
      const entries = sentInputs()[0].Entries ?? [];
      expect(entries.map((entry) => entry.MessageDeduplicationId)).toEqual(messages.map((message) => message.reviewId));
      expect(entries.map((entry) => entry.MessageGroupId)).toEqual(messages.map((message) => message.reviewId));
    });

    it('sends the messages of each queue to that queue only, each exactly once', async () => {
      // Prepare
      acceptEverything();
      const queues = [STANDARD, FIFO, OTHER_STANDARD, STANDARD, FIFO, STANDARD, OTHER_STANDARD];
      const envelopes: Envelope[] = queues.map((queue, index) => ({ queue, message: messageFor(index, { outcome: queue === OTHER_STANDARD ? 'failed' : 'reviewed' }) }));

      // Act
      await new SqsDelivery(sqs).deliver(envelopes);

      // Assess
      for (const queue of [STANDARD, FIFO, OTHER_STANDARD]) {
        const expected = envelopes.filter((envelope) => envelope.queue === queue).map((envelope) => envelope.message);
        expect(sentBodies(queue.url)).toEqual(expected);
      }
      expect(sentBodies()).toHaveLength(envelopes.length);
      for (const input of sentInputs()) {
        const fifo = input.QueueUrl === FIFO.url;
        for (const entry of input.Entries ?? []) expect(entry.MessageDeduplicationId !== undefined).toBe(fifo);
      }
    });
  });

  describe('batching', () => {
    it('sends 25 messages in calls of at most 10 entries, in order, with distinct entry Ids in each call', async () => {
      // Prepare
      acceptEverything();
      const messages = Array.from({ length: 25 }, (_, index) => messageFor(index));

      // Act
      await new SqsDelivery(sqs).deliver(messages.map((message) => ({ queue: STANDARD, message })));

      // Assess
      const inputs = sentInputs();
      expect(inputs.map((input) => input.Entries?.length)).toEqual([10, 10, 5]);
      for (const input of inputs) {
        const ids = (input.Entries ?? []).map((entry) => entry.Id);
        expect(new Set(ids).size).toBe(ids.length);
      }
      expect(sentBodies()).toEqual(messages);
    });

    it('keeps every call within 262,144 bytes (bodies plus attributes) and fills calls as far as the limit allows', async () => {
      // Prepare
      acceptEverything();
      const messages = Array.from({ length: 7 }, (_, index) => messageFor(index, { record: { text: 'é'.repeat(50_000) } })); // ~100 KB each
      const delivery = new SqsDelivery(sqs, { payloads: new RecordingPayloadStore() });

      // Act
      await delivery.deliver(messages.map((message) => ({ queue: STANDARD, message })));

      // Assess
      const inputs = sentInputs();
      for (const input of inputs) {
        const bytes = (input.Entries ?? []).reduce((sum, entry) => sum + entryBytes(entry), 0);
        expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
        expect(input.Entries?.length).toBeLessThanOrEqual(MAX_ENTRIES);
      }
      // Two ~100 KB messages fit in one call, three do not.
      expect(inputs.map((input) => input.Entries?.length)).toEqual([2, 2, 2, 1]);
      expect(sentBodies()).toEqual(messages);
    });

    it('sends a message of exactly 262,144 bytes (body plus attributes) as it is', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const empty = messageFor(0, { outcome: 'auto-accepted', record: '' });
      const padding = MAX_BYTES - Buffer.byteLength(JSON.stringify(empty)) - entryBytes({ Id: 'x', MessageBody: '', MessageAttributes: attributesOf(empty) });
      const message = messageFor(0, { outcome: 'auto-accepted', record: 'x'.repeat(padding) });

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: STANDARD, message }]);

      // Assess
      const [entry] = sentInputs()[0].Entries ?? [];
      expect(entryBytes(entry)).toBe(MAX_BYTES);
      expect(entry.MessageBody).toBe(JSON.stringify(message));
      expect(store.puts).toEqual([]);
    });
  });

  describe('messages over the size limit', () => {
    it('moves the record of a message one byte over the limit to the payload store and sends its s3:// URI', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const empty = messageFor(0, { outcome: 'auto-accepted', record: '' });
      const padding = MAX_BYTES + 1 - Buffer.byteLength(JSON.stringify(empty)) - entryBytes({ Id: 'x', MessageBody: '', MessageAttributes: attributesOf(empty) });
      const message = messageFor(0, { outcome: 'auto-accepted', record: 'x'.repeat(padding) });

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: STANDARD, message }]);

      // Assess
      expect(store.puts).toHaveLength(1);
      expect(store.puts[0].body).toBe(JSON.stringify(message.record));
      const [body] = sentBodies();
      const { record: _record, ...rest } = message;
      expect(body).toEqual({ ...rest, recordRef: store.puts[0].uri });
      expect(messageProblems(body)).toEqual([]);
    });

    it('moves the record and the raw answers of a large reviewed message by reference when both are needed, and keeps everything else', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const record = { pages: Array.from({ length: 3_000 }, (_, page) => ({ page, text: 'lorem ipsum dolor sit amet '.repeat(4) })) };
      const answers = [{ workerId: 'w1', answerContent: { notes: 'n'.repeat(MAX_BYTES) } }, { workerId: 'w2', answerContent: { verdict: 'ok' } }];
      const message = messageFor(3, { record, answers, consolidated: { verdict: 'ok' } });
      expect(Buffer.byteLength(JSON.stringify(record))).toBeGreaterThan(MAX_BYTES);

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: FIFO, message }]);

      // Assess
      const recordPut = store.puts.find((put) => put.body === JSON.stringify(record));
      const answersPut = store.puts.find((put) => put.body === JSON.stringify(answers));
      expect(recordPut).toBeDefined();
      expect(answersPut).toBeDefined();
      const [entry] = sentInputs()[0].Entries ?? [];
      const body = JSON.parse(entry.MessageBody ?? '') as ReviewMessage;
      expect(body).not.toHaveProperty('record');
      expect(body.recordRef).toBe(recordPut?.uri);
      expect(body.review).not.toHaveProperty('answers');
      const { answers: _answers, ...review } = message.review ?? { humanLoopName: '', status: 'Completed' as const };
      expect(body.review).toEqual({ ...review, answersRef: answersPut?.uri });
      expect(body).toMatchObject({ reviewId: message.reviewId, outcome: 'reviewed', recordId: message.recordId, decision: message.decision, source: message.source, createdAt: message.createdAt });
      expect(entryBytes(entry)).toBeLessThanOrEqual(MAX_BYTES);
      expect(entry.MessageDeduplicationId).toBe(message.reviewId);
      expect(messageProblems(body)).toEqual([]);
    });

    it('moves only what it must, largest first: a large record goes by reference, small answers stay inline', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const record = { pages: Array.from({ length: 3_000 }, (_, page) => ({ page, text: 'lorem ipsum dolor sit amet '.repeat(4) })) };
      const message = messageFor(3, { record });

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: STANDARD, message }]);

      // Assess
      expect(store.puts.map((put) => put.body)).toEqual([JSON.stringify(record)]);
      const [body] = sentBodies();
      expect(body.recordRef).toBe(store.puts[0].uri);
      expect(body.review?.answers).toEqual(message.review?.answers);
      expect(messageProblems(body)).toEqual([]);
    });

    it('moves a decision over the limit to the payload store as decisionRef, exactly as it was, and keeps the record inline', async () => {
      // Prepare: an `In` list of 20,000 values makes every decision larger than SQS takes.
      acceptEverything();
      const store = new RecordingPayloadStore();
      const values = Array.from({ length: 20_000 }, (_, index) => `value-${index}`);
      const decision = {
        activated: false,
        humanTaskActivationConditionResults: { Conditions: [{ ConditionType: 'Expression', ConditionParameters: { Path: 'label', In: values }, EvaluationResult: false }] },
      };
      const reference = { ...messageFor(1), recordId: 'inv-1' };
      const message = reviewMessage(
        { reviewId: reference.reviewId, workflow: WORKFLOW, source: reference.source, recordId: 'inv-1' },
        'auto-accepted',
        { record: { invoiceId: 'inv-1' }, decision },
        CREATED_AT,
      );
      expect(Buffer.byteLength(JSON.stringify(decision))).toBeGreaterThan(MAX_BYTES);

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: STANDARD, message }]);

      // Assess
      const [entry] = sentInputs()[0].Entries ?? [];
      const body = JSON.parse(entry.MessageBody ?? '') as ReviewMessage;
      expect(entryBytes(entry)).toBeLessThanOrEqual(MAX_BYTES);
      expect(body).not.toHaveProperty('decision');
      expect(body.record).toEqual({ invoiceId: 'inv-1' });
      expect(store.puts).toHaveLength(1);
      expect(body.decisionRef).toBe(store.puts[0].uri);
      expect(JSON.parse(store.puts[0].body)).toEqual(decision);
      expect(messageProblems(body)).toEqual([]);
    });

    it('moves a recordId over the limit to the payload store as recordIdRef (with the record that holds it)', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const recordId = `big-${'é'.repeat(150 * 1024)}`;
      const base = messageFor(2, { outcome: 'auto-accepted' });
      const message = reviewMessage({ reviewId: base.reviewId, workflow: WORKFLOW, source: base.source, recordId }, 'auto-accepted', { record: { invoiceId: recordId }, decision: base.decision }, CREATED_AT);

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([{ queue: STANDARD, message }]);

      // Assess
      const [entry] = sentInputs()[0].Entries ?? [];
      const body = JSON.parse(entry.MessageBody ?? '') as ReviewMessage;
      expect(entryBytes(entry)).toBeLessThanOrEqual(MAX_BYTES);
      expect(body).not.toHaveProperty('recordId');
      expect(body).not.toHaveProperty('record');
      const stored = new Map(store.puts.map((put) => [put.uri, put.body]));
      expect(JSON.parse(stored.get(body.recordIdRef as string) as string)).toBe(recordId);
      expect(JSON.parse(stored.get(body.recordRef as string) as string)).toEqual({ invoiceId: recordId });
      expect(body).toMatchObject({ reviewId: message.reviewId, outcome: 'auto-accepted', decision: message.decision });
      expect(messageProblems(body)).toEqual([]);
    });

    it('sends small messages of the same delivery inline and only the large one by reference', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const small = [messageFor(0), messageFor(2)];
      const large = messageFor(1, { record: 'y'.repeat(MAX_BYTES) });

      // Act
      await new SqsDelivery(sqs, { payloads: store }).deliver([small[0], large, small[1]].map((message) => ({ queue: STANDARD, message })));

      // Assess
      const bodies = sentBodies();
      expect(bodies[0]).toEqual(small[0]);
      expect(bodies[2]).toEqual(small[1]);
      expect(bodies[1].reviewId).toBe(large.reviewId);
      expect(bodies[1].recordRef).toMatch(/^s3:\/\//);
      expect(store.puts.map((put) => put.body)).toContain(JSON.stringify(large.record));
      for (const body of bodies) expect(messageProblems(body)).toEqual([]);
    });

    it('honours a smaller maxMessageBytes', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const message = messageFor(0, { outcome: 'failed', record: { text: 'z'.repeat(5_000) } });

      // Act
      await new SqsDelivery(sqs, { payloads: store, maxMessageBytes: 4_096 }).deliver([{ queue: STANDARD, message }]);

      // Assess
      expect(store.puts).toHaveLength(1);
      const [entry] = sentInputs()[0].Entries ?? [];
      expect(entryBytes(entry)).toBeLessThanOrEqual(4_096);
      expect(JSON.parse(entry.MessageBody ?? '')).toHaveProperty('recordRef', store.puts[0].uri);
    });

    it('fails with SendFailedError naming the message when it is too large and there is no payload store', async () => {
      // Prepare
      acceptEverything();
      const message = messageFor(4, { record: 'q'.repeat(MAX_BYTES) });

      // Act
      const error = await failureOf(new SqsDelivery(sqs).deliver([{ queue: STANDARD, message }]));

      // Assess
      expect(error).toBeInstanceOf(SendFailedError);
      expect((error as SendFailedError).name).toBe('SendFailedError');
      expect((error as SendFailedError).labels).toEqual([message.reviewId]);
      expect(sentBodies().map((body) => body.reviewId)).not.toContain(message.reviewId);
    });

    it('replaces a message that does not fit even by reference with an invalid MessageTooLarge on the invalid queue, and sends the others', async () => {
      // Prepare
      acceptEverything();
      const store = new RecordingPayloadStore();
      const tooLarge = messageFor(5, { consolidated: { notes: 'n'.repeat(MAX_BYTES) } });
      const others = [messageFor(4), messageFor(6)];
      const invalidQueue = invalidQueueSpy();

      // Act
      await new SqsDelivery(sqs, { payloads: store, invalidQueue: invalidQueue.of }).deliver([others[0], tooLarge, others[1]].map((message) => ({ queue: STANDARD, message })));

      // Assess
      expect(sentBodies(STANDARD.url)).toEqual(others);
      const [standIn] = sentBodies(OTHER_STANDARD.url);
      expect(invalidQueue.asked).toEqual([WORKFLOW]);
      expect(standIn).toMatchObject({ reviewId: tooLarge.reviewId, outcome: 'invalid', source: tooLarge.source, recordId: tooLarge.recordId, failure: { code: UNDELIVERABLE_CODE } });
      expect(standIn).not.toHaveProperty('review');
      expect(messageProblems(standIn)).toEqual([]);
      const attributes = sentInputs().find((input) => input.QueueUrl === OTHER_STANDARD.url)?.Entries?.[0].MessageAttributes;
      expect(attributes?.outcome).toEqual({ DataType: 'String', StringValue: 'invalid' });
      // The whole message is kept, and the reason says where, without any of the record's content.
      const whole = store.puts.find((put) => put.key.endsWith('/message.json'));
      expect(JSON.parse(whole?.body ?? 'null')).toEqual(tooLarge);
      expect(standIn.failure?.reason).toContain(whole?.uri);
      expect(standIn.failure?.reason).not.toContain('nnnn');
    });
  });

  describe('failures', () => {
    it('resends only the entries SQS failed on its side, and succeeds on the retry', async () => {
      // Prepare
      const messages = [0, 1, 2, 3].map((index) => messageFor(index));
      const failOnce = new Set([messages[1].reviewId, messages[3].reviewId]);
      let call = 0;
      sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
        call++;
        const entries = input.Entries ?? [];
        const failing = call === 1 ? entries.filter((entry) => failOnce.has((JSON.parse(entry.MessageBody ?? '') as ReviewMessage).reviewId)) : [];
        return {
          Successful: entries.filter((entry) => !failing.includes(entry)).map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'md5' })),
          Failed: failing.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
        };
      });
      const clock = new FakeClock();

      // Act
      await new SqsDelivery(sqs, { resend: resendWith(clock) }).deliver(messages.map((message) => ({ queue: STANDARD, message })));

      // Assess
      const inputs = sentInputs();
      expect(inputs).toHaveLength(2);
      const [first, retry] = inputs;
      expect(retry.QueueUrl).toBe(STANDARD.url);
      expect(retry.Entries).toEqual([first.Entries?.[1], first.Entries?.[3]]);
      expect(clock.sleeps).toHaveLength(1);
    });

    it('fails with SendFailedError naming the entries that still fail on SQS side after the budgeted sends', async () => {
      // Prepare
      const messages = [0, 1, 2].map((index) => messageFor(index));
      const stubborn = messages[2].reviewId;
      sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
        const entries = input.Entries ?? [];
        const failing = entries.filter((entry) => (JSON.parse(entry.MessageBody ?? '') as ReviewMessage).reviewId === stubborn);
        return {
          Successful: entries.filter((entry) => !failing.includes(entry)).map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'md5' })),
          Failed: failing.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError' })),
        };
      });
      const clock = new FakeClock();

      // Act
      const error = await failureOf(new SqsDelivery(sqs, { resend: resendWith(clock, 3) }).deliver(messages.map((message) => ({ queue: STANDARD, message }))));

      // Assess
      expect(error).toBeInstanceOf(SendFailedError);
      expect((error as SendFailedError).labels).toEqual([stubborn]);
      expect(sentInputs()).toHaveLength(3);
      expect(sentInputs().slice(1).map((input) => input.Entries?.length)).toEqual([1, 1]);
    });

    it('does not retry entries SQS rejects as the sender fault: SendFailedError names their reviewIds', async () => {
      // Prepare
      const messages = [0, 1, 2].map((index) => messageFor(index));
      sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
        const [ok, bad] = input.Entries ?? [];
        return {
          Successful: [{ Id: ok.Id, MessageId: 'm', MD5OfMessageBody: 'md5' }],
          Failed: [{ Id: bad.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad attribute' }],
        };
      });
      const clock = new FakeClock();

      // Act
      const error = await failureOf(new SqsDelivery(sqs, { resend: resendWith(clock) }).deliver(messages.map((message) => ({ queue: STANDARD, message }))));

      // Assess
      expect(error).toBeInstanceOf(SendFailedError);
      expect((error as SendFailedError).labels).toEqual([messages[1].reviewId]);
      expect((error as Error).message).toContain(messages[1].reviewId);
      expect(sentInputs()).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
    });

    // The SDK's retry strategy retries a call that throttled or failed (test/unit-aws/aws-clients.test.ts runs it on
    // a loopback SQS); aws-sdk-client-mock bypasses it, so a rejection here is what the call ended with after those.
    it.each([
      ['a 5xx', () => new SQSServiceException({ name: 'UnknownServerError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error' })],
      ['throttling (the SDK RequestThrottled class)', () => new RequestThrottled({ message: 'Request is throttled.', $metadata: { httpStatusCode: 400 } })],
      ['a non-retryable error (QueueDoesNotExist)', () => new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } })],
    ])('throws a whole call that ended in %s as it is, after one call, without sending again', async (_kind, make) => {
      // Prepare
      const failure = make();
      sqsMock.on(SendMessageBatchCommand).rejects(failure);
      const clock = new FakeClock();

      // Act
      const error = await failureOf(new SqsDelivery(sqs, { resend: resendWith(clock) }).deliver([{ queue: STANDARD, message: messageFor(0) }]));

      // Assess
      expect(error).toBe(failure);
      expect(sentInputs()).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
    });

    it('by default sends failed entries at most PARTIAL_FAILURE_SENDS.maxAttempts times, waiting within its backoff', async () => {
      // Prepare
      sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
        Successful: [],
        Failed: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError' })),
      }));
      const clock = new FakeClock({ random: 0.9999 });

      // Act
      const error = await failureOf(new SqsDelivery(sqs, { resend: { clock } }).deliver([{ queue: STANDARD, message: messageFor(0) }]));

      // Assess
      expect(error).toBeInstanceOf(SendFailedError);
      expect(sentInputs()).toHaveLength(PARTIAL_FAILURE_SENDS.maxAttempts);
      expect(clock.sleeps).toHaveLength(PARTIAL_FAILURE_SENDS.maxAttempts - 1);
      clock.sleeps.forEach((delay, index) => expect(delay).toBe(Math.round(0.9999 * Math.min(PARTIAL_FAILURE_SENDS.maxDelayMs, PARTIAL_FAILURE_SENDS.baseDelayMs * 2 ** index))));
    });
  });
});

describe('messageProblems, the validator the bodies above are checked with', () => {
  it('is not vacuous: it reports a body that carries both record and recordRef', () => {
    // Prepare
    const body = { ...messageFor(3, { outcome: 'auto-accepted' }), recordRef: 's3://payload-bucket/r.json' };

    // Act
    const problems = messageProblems(body);

    // Assess
    expect(problems.length).toBeGreaterThan(0);
  });

  it('takes decisionRef and recordIdRef in place of decision and recordId, and reports a body with both or neither', () => {
    // Prepare
    const { decision: _decision, recordId: _recordId, ...rest } = messageFor(3, { outcome: 'auto-accepted' });
    const byReference = { ...rest, decisionRef: 's3://payload-bucket/d.json', recordIdRef: 's3://payload-bucket/i.json' };

    // Act, Assess
    expect(messageProblems(byReference)).toEqual([]);
    expect(messageProblems({ ...byReference, decision: messageFor(3).decision })).not.toEqual([]);
    expect(messageProblems({ ...byReference, recordId: 'inv-3' })).not.toEqual([]);
    const { decisionRef: _ref, ...withoutDecision } = byReference;
    expect(messageProblems(withoutDecision)).not.toEqual([]);
    const { decision: _reviewedDecision, ...reviewed } = messageFor(4);
    expect(messageProblems({ ...reviewed, decisionRef: 's3://payload-bucket/d.json' })).toEqual([]);
    expect(messageProblems(reviewed)).not.toEqual([]);
  });

  it('is not vacuous: it reports a reviewed body without its review', () => {
    // Prepare
    const { review: _review, ...body } = messageFor(4);

    // Act
    const problems = messageProblems(body);

    // Assess
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('sendBatches', () => {
  function outgoing(label: string, bytes: number): OutgoingEntry {
    return { entry: { MessageBody: `{"label":"${label}"}` }, bytes, label };
  }

  it('packs entries by their declared size: a new call whenever the next entry would pass maxBytes', async () => {
    // Prepare
    acceptEverything();
    const entries = [outgoing('a', 200_000), outgoing('b', 100_000), outgoing('c', 62_144), outgoing('d', 1), outgoing('e', 262_144)];

    // Act
    await sendBatches(sqs, STANDARD.url, entries);

    // Assess
    const bodies = sentInputs().map((input) => (input.Entries ?? []).map((entry) => entry.MessageBody));
    expect(bodies).toEqual([['{"label":"a"}'], ['{"label":"b"}', '{"label":"c"}', '{"label":"d"}'], ['{"label":"e"}']]);
  });

  it('honours a maxBytes argument and the 10-entry limit together', async () => {
    // Prepare
    acceptEverything();
    const entries = Array.from({ length: 30 }, (_, index) => outgoing(`e${index}`, 100));

    // Act
    await sendBatches(sqs, STANDARD.url, entries, undefined, 1_000);

    // Assess
    expect(sentInputs().map((input) => input.Entries?.length)).toEqual([10, 10, 10]);

    // Prepare
    sqsMock.reset();
    acceptEverything();

    // Act
    await sendBatches(sqs, STANDARD.url, entries.slice(0, 12), undefined, 450);

    // Assess
    expect(sentInputs().map((input) => input.Entries?.length)).toEqual([4, 4, 4]);
  });

  it('sends nothing when an entry is over SQS\'s limit for one message, counted as AWS counts it, and names it', async () => {
    // Prepare
    acceptEverything();
    const attributes = { workflow: { DataType: 'String', StringValue: 'invoices' } };
    const atLimit = 'a'.repeat(SQS_MAX_MESSAGE_BYTES - 'workflow'.length - 'String'.length - 'invoices'.length - 2) + 'é';
    const over = `${atLimit}x`;

    // Act
    const error = await failureOf(
      sendBatches(sqs, STANDARD.url, [
        { entry: { MessageBody: atLimit, MessageAttributes: attributes }, bytes: 1, label: 'at-limit' },
        { entry: { MessageBody: over, MessageAttributes: attributes }, bytes: 1, label: 'one-over' },
      ]),
    );

    // Assess
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).labels).toEqual(['one-over']);
    expect(sentInputs()).toHaveLength(0);

    // Act: the one at the limit alone is sent.
    await sendBatches(sqs, STANDARD.url, [{ entry: { MessageBody: atLimit, MessageAttributes: attributes }, bytes: 1, label: 'at-limit' }]);

    // Assess
    expect(entryBytes(sentInputs()[0].Entries?.[0] as SendMessageBatchRequestEntry)).toBe(SQS_MAX_MESSAGE_BYTES);
  });

  it('names the labels of the entries SQS rejected in SendFailedError', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, SenderFault: true, Code: 'InvalidMessageContents' })),
    }));

    // Act
    const error = await failureOf(sendBatches(sqs, STANDARD.url, [outgoing('items 0-99', 10), outgoing('items 100-199', 10)], { clock: new FakeClock() }));

    // Assess
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).labels).toEqual(['items 0-99', 'items 100-199']);
    expect((error as Error).message).toContain('InvalidMessageContents');
  });
});
