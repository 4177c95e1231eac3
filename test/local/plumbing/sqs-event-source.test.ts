import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { startTestStorage } from '../storage/support';
import { SqsEventSource, SqsEventSourceError } from '../../../lib/local/sqs-event-source';
import { deferred, sqsClient, turn, within } from './support';

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let sqs: SQSClient;
let sources: SqsEventSource[] = [];
let queueCount = 0;

beforeAll(async () => {
  storage = await startTestStorage();
  sqs = sqsClient(storage.endpoint);
});

afterEach(async () => {
  await Promise.all(sources.map((source) => source.stop()));
  sources = [];
});

afterAll(async () => {
  sqs?.destroy();
  await storage?.stop();
});

async function createQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string; name: string }> {
  const name = `queue-${++queueCount}${attributes.FifoQueue === 'true' ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn!, name };
}

async function messagesLeft(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  return Object.values(Attributes ?? {}).reduce((sum, value) => sum + Number(value), 0);
}

function source(options: ConstructorParameters<typeof SqsEventSource>[0]): SqsEventSource {
  const created = new SqsEventSource({ backoff: { baseMs: 10, maxMs: 100 }, ...options });
  sources.push(created);
  return created;
}

describe('SqsEventSource', () => {
  it('delivers a batch in Lambda\'s SQSEvent shape and deletes it', async () => {
    // Prepare
    const queue = await createQueue();
    const events: SQSEvent[] = [];
    const consumer = source({ client: sqs, queueUrl: queue.url, functionName: 'work-consumer', handler: async (event, context) => {
      expect(context.functionName).toBe('work-consumer');
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      events.push(event);
    } });
    await sqs.send(new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: '{"n":1}',
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'because' },
        count: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 255]) },
      },
    }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'plain' }));

    // Act
    await consumer.start();
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.body).sort()).toEqual(['plain', '{"n":1}']);
    const record = records.find((candidate) => candidate.body === '{"n":1}') as SQSRecord;
    expect(Object.keys(record)).toEqual(['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfBody', 'md5OfMessageAttributes', 'eventSource', 'eventSourceARN', 'awsRegion']);
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('{"n":1}').digest('hex'),
      messageAttributes: {
        reason: { stringValue: 'because', stringListValues: [], binaryListValues: [], dataType: 'String' },
        count: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        blob: { binaryValue: Buffer.from([1, 2, 255]).toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record.attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: expect.any(String) });
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(record.attributes.SentTimestamp));
    expect(records.find((candidate) => candidate.body === 'plain')?.messageAttributes).toEqual({});
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('asks for up to batchSize messages per invocation', async () => {
    // Prepare
    const queue = await createQueue();
    const sizes: number[] = [];
    const consumer = source({ client: sqs, queueUrl: queue.url, batchSize: 2, handler: async (event) => void sizes.push(event.Records.length) });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: ['a', 'b', 'c', 'd', 'e'].map((body) => ({ Id: body, MessageBody: body })) }));

    // Act
    await consumer.start();
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('redelivers only the failed message of a partial batch failure', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '0' });
    const deliveries: [string, string][] = [];
    const secondTry = deferred();
    const consumer = source({ client: sqs, queueUrl: queue.url, handler: async (event): Promise<SQSBatchResponse> => {
      const batchItemFailures = [];
      for (const record of event.Records) {
        deliveries.push([record.body, record.attributes.ApproximateReceiveCount]);
        if (record.body === 'b' && record.attributes.ApproximateReceiveCount === '1') batchItemFailures.push({ itemIdentifier: record.messageId });
        if (record.body === 'b' && record.attributes.ApproximateReceiveCount === '2') secondTry.resolve();
      }
      return { batchItemFailures };
    } });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }));

    // Act
    await consumer.start();
    await within(secondTry.promise, 10000, 'the failed message to come back');
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(deliveries.sort()).toEqual([['a', '1'], ['b', '1'], ['b', '2'], ['c', '1']]);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('leaves the whole batch when the handler throws or names an unknown message', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '0' });
    const counts = new Map<string, string[]>();
    const errors: [unknown, string][] = [];
    const done = deferred();
    const consumer = source({
      client: sqs,
      queueUrl: queue.url,
      onError: (error, stage) => errors.push([error, stage]),
      handler: async (event): Promise<SQSBatchResponse | void> => {
        for (const record of event.Records) counts.set(record.body, [...(counts.get(record.body) ?? []), record.attributes.ApproximateReceiveCount]);
        const receive = Number(event.Records[0].attributes.ApproximateReceiveCount);
        if (receive === 1) throw new Error('boom');
        if (receive === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
        done.resolve();
      },
    });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: ['x', 'y'].map((body) => ({ Id: body, MessageBody: body })) }));

    // Act
    await consumer.start();
    await within(done.promise, 10000, 'the third delivery');
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(counts).toEqual(new Map([['x', ['1', '2', '3']], ['y', ['1', '2', '3']]]));
    expect(errors.map(([error, stage]) => [(error as Error).message, stage])).toEqual([['boom', 'handler']]);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('moves a message that keeps failing to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const dlq = await createQueue();
    const queue = await createQueue({ VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }) });
    const receives: string[] = [];
    const consumer = source({ client: sqs, queueUrl: queue.url, onError: () => undefined, handler: async (event) => {
      receives.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
      throw new Error('always');
    } });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'poison' }));

    // Act
    await consumer.start();
    await within(consumer.idle(), 15000, 'the message to leave the queue');
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));

    // Assess
    expect(receives).toEqual(['1', '2', '3']);
    expect(Messages?.map((message) => message.Body)).toEqual(['poison']);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('runs at most `concurrency` batches at once', async () => {
    // Prepare
    const queue = await createQueue();
    let active = 0;
    let peak = 0;
    let handled = 0;
    const bothActive = deferred();
    const consumer = source({ client: sqs, queueUrl: queue.url, batchSize: 1, concurrency: 2, handler: async () => {
      peak = Math.max(peak, ++active);
      if (active === 2) bothActive.resolve();
      await bothActive.promise;
      await turn();
      active--;
      handled++;
    } });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: Array.from({ length: 8 }, (_, index) => ({ Id: `m${index}`, MessageBody: `m${index}` })) }));

    // Act
    await consumer.start();
    await within(bothActive.promise, 10000, 'two batches at once');
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(handled).toBe(8);
    expect(peak).toBe(2);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('stop() waits for the batch in flight, which is then deleted', async () => {
    // Prepare
    const queue = await createQueue();
    const entered = deferred();
    const release = deferred();
    let finished = false;
    const consumer = source({ client: sqs, queueUrl: queue.url, handler: async () => {
      entered.resolve();
      await release.promise;
      finished = true;
    } });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    await consumer.start();
    await within(entered.promise, 10000, 'the handler to start');

    // Act
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await turn();
    const stoppedBeforeRelease = stopped;
    release.resolve();
    await within(stopping, 5000, 'stop()');

    // Assess
    expect(stoppedBeforeRelease).toBe(false);
    expect(finished).toBe(true);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('drives a Powertools partial-batch handler, as the queue consumers are written', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '0' });
    const processor = new BatchProcessor(EventType.SQS);
    const seen: string[] = [];
    const retried = deferred();
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      seen.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
      if (record.body === 'bad' && record.attributes.ApproximateReceiveCount === '1') throw new Error('not yet');
      if (record.body === 'bad') retried.resolve();
    };
    const consumer = source({ client: sqs, queueUrl: queue.url, handler: (event, context) => processPartialResponse(event, handleRecord, processor, { context }) });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: ['good', 'bad'].map((body) => ({ Id: body, MessageBody: body })) }));

    // Act
    await consumer.start();
    await within(retried.promise, 10000, 'the retry');
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(seen.sort()).toEqual(['bad#1', 'bad#2', 'good#1']);
    expect(await messagesLeft(queue.url)).toBe(0);
  });

  it('passes a FIFO queue\'s system attributes through', async () => {
    // Prepare
    const queue = await createQueue({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const records: SQSRecord[] = [];
    const consumer = source({ client: sqs, queueUrl: queue.url, handler: async (event) => void records.push(...event.Records) });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'first', MessageGroupId: 'g1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'second', MessageGroupId: 'g1' }));

    // Act
    await consumer.start();
    await within(consumer.idle(), 10000, 'the queue to drain');

    // Assess
    expect(records.map((record) => record.body)).toEqual(['first', 'second']);
    expect(records[0].attributes).toMatchObject({ MessageGroupId: 'g1', MessageDeduplicationId: expect.any(String), SequenceNumber: expect.any(String) });
    expect(records[0].eventSourceARN).toBe(queue.arn);
  });

  it('refuses options Lambda would refuse', () => {
    expect(() => new SqsEventSource({ client: sqs, queueUrl: 'http://x/1/q', handler: async () => undefined, batchSize: 11 })).toThrow(SqsEventSourceError);
    expect(() => new SqsEventSource({ client: sqs, queueUrl: 'http://x/1/q', handler: async () => undefined, concurrency: 0 })).toThrow(SqsEventSourceError);
  });
});
