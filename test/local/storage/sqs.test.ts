import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_BYTES } from '../../../lib/sqs-batch';
import { startTestStorage } from './support';

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let sqs: SQSClient;
let queues = 0;

beforeAll(async () => {
  storage = await startTestStorage();
  sqs = new SQSClient({ endpoint: storage.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterAll(async () => {
  sqs?.destroy();
  await storage?.stop();
});

async function queue(attributes: Record<string, string> = {}, suffix = attributes.FifoQueue === 'true' ? '.fifo' : ''): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `q-${++queues}${suffix}`, Attributes: attributes }));
  return QueueUrl as string;
}

async function arn(url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}

async function receiveAll(url: string, options: { visibility?: number } = {}): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: options.visibility ?? 30, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

/** What the SDK raised, or undefined. */
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error & { $metadata?: { httpStatusCode?: number } }) => error);

describe('the characters SQS accepts', () => {
  const valid = ['emoji 😀 and 𝄞 (U+10000 and above)', '\t\n\r', '\u{10FFFF}\u{10000}', '\uE000\uFFFD\uD7FF', 'ascii'];

  it.each(valid)('a body and String attribute of %j go through unchanged (the SDK checks both MD5s)', async (text) => {
    const url = await queue();
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: text, MessageAttributes: { note: { DataType: 'String', StringValue: text } } }));
    const [message] = await receiveAll(url);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: text, MessageAttributes: { note: { DataType: 'String', StringValue: text } } });
  });

  it.each([
    ['a lone high surrogate', 'sur-\ud800'],
    ['a lone low surrogate', 'sur-\udc00'],
    ['U+FFFE', 'x\uFFFE'],
    ['U+FFFF', 'x\uFFFF'],
    ['a control character', 'x\u0001'],
    ['NUL', 'x\u0000'],
  ])('%s is refused as InvalidMessageContents, in SendMessage and per entry of a batch', async (_what, text) => {
    const url = await queue();
    const error = await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: text })));
    expect(error?.name).toBe('InvalidMessageContents');
    const { Successful = [], Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'good', MessageBody: 'fine 😀' }, { Id: 'bad', MessageBody: text }] }));
    expect(Successful.map((entry) => entry.Id)).toEqual(['good']);
    expect(Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'InvalidMessageContents', SenderFault: true })]);
    expect((await receiveAll(url)).map((message) => message.Body)).toEqual(['fine 😀']);
  });
});

describe('limits SQS enforces', () => {
  it('a message of exactly the limit (body plus attributes) is accepted, one byte more is refused', async () => {
    const url = await queue();
    const attributes = { kind: { DataType: 'String', StringValue: 'é' } };
    const attributeBytes = 'kind'.length + 'String'.length + 2;
    // Four-byte characters count as four bytes.
    const body = '😀'.repeat(1000) + 'x'.repeat(SQS_MAX_MESSAGE_BYTES - attributeBytes - 4000);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
    const error = await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `${body}x`, MessageAttributes: attributes })));
    expect(error?.name).toBe('InvalidParameterValue');
    expect((await receiveAll(url)).map((message) => message.Body?.length)).toEqual([body.length]);
  });

  it('a batch whose entries together pass the limit is refused whole (BatchRequestTooLong)', async () => {
    const url = await queue();
    const half = 'x'.repeat(SQS_MAX_MESSAGE_BYTES / 2);
    const error = await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: half }, { Id: 'b', MessageBody: `${half}x` }] })));
    expect(error?.name).toBe('BatchRequestTooLong');
    expect(await receiveAll(url)).toEqual([]);
  });

  it.each([
    ['eleven entries', Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })), 'TooManyEntriesInBatchRequest'],
    ['no entries', [], 'EmptyBatchRequest'],
    ['two entries with one id', [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }], 'BatchEntryIdsNotDistinct'],
    ['an id with a dot', [{ Id: 'a.b', MessageBody: 'x' }], 'InvalidBatchEntryId'],
    ['an id of 81 characters', [{ Id: 'a'.repeat(81), MessageBody: 'x' }], 'InvalidBatchEntryId'],
  ])('a batch of %s is refused whole (%s) and sends nothing', async (_what, entries, name) => {
    const url = await queue();
    const error = await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
    expect(error?.name).toBe(name);
    expect(await receiveAll(url)).toEqual([]);
  });

  it('MaxNumberOfMessages above 10 is refused', async () => {
    const url = await queue();
    expect((await failure(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 }))))?.name).toBe('InvalidParameterValue');
  });
});

describe('errors in the shapes the SDK classifies', () => {
  it('an unknown queue is QueueDoesNotExist (GetQueueUrl and a send to its URL)', async () => {
    expect((await failure(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' }))))?.name).toBe('QueueDoesNotExist');
    const url = (await queue()).replace(/q-\d+$/, 'missing');
    expect((await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))))?.name).toBe('QueueDoesNotExist');
  });

  it('a malformed receipt handle is ReceiptHandleIsInvalid', async () => {
    const url = await queue();
    expect((await failure(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' }))))?.name).toBe('ReceiptHandleIsInvalid');
  });

  it('CreateQueue of an existing name with other attributes is QueueNameExists; with the same, the same URL', async () => {
    const url = await queue({ VisibilityTimeout: '10' });
    const name = url.split('/').pop() as string;
    expect((await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '10' } }))).QueueUrl).toBe(url);
    expect((await failure(sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '11' } }))))?.name).toBe('QueueNameExists');
  });
});

describe('receiving', () => {
  it('queue URLs and ARNs name the stack account', async () => {
    const url = await queue();
    expect(url).toMatch(new RegExp(`^${storage.endpoint}/123456789012/q-\\d+$`));
    expect(await arn(url)).toBe(`arn:aws:sqs:us-east-1:123456789012:${url.split('/').pop()}`);
  });

  it('a long poll is answered by a message sent while it waits', async () => {
    const url = await queue();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'arrived' }));
    expect((await receiving).Messages?.map((message) => message.Body)).toEqual(['arrived']);
  });

  it('a received message is hidden, counts its receives, and is visible again when its visibility is set to 0', async () => {
    const url = await queue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'once' }));
    const [first] = await receiveAll(url);
    expect(first.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await receiveAll(url)).toEqual([]);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
    const [second] = await receiveAll(url);
    expect(second).toMatchObject({ MessageId: first.MessageId, Attributes: expect.objectContaining({ ApproximateReceiveCount: '2' }) });
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', ReceiptHandle: second.ReceiptHandle }] }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('only the handle of the latest receive deletes or hides a message: an older one succeeds without deleting (as SQS documents)', async () => {
    const url = await queue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'twice' }));
    const receive = async (visibility: number) => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: visibility }))).Messages?.[0] as Message;
    const first = await receive(0);
    const second = await receive(30);
    expect(second.MessageId).toBe(first.MessageId);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    expect((await failure(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }))))?.name).toBe('InvalidParameterValue');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    expect(Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '1' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    const { Attributes: after } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    expect(after).toEqual({ ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('a delayed message is counted as delayed and not received before its delay', async () => {
    const url = await queue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 900 }));
    expect(await receiveAll(url)).toEqual([]);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: '1' });
  });

  it('after maxReceiveCount receives the redrive policy moves the message to its DLQ, attributes and id kept', async () => {
    const dlq = await queue();
    const url = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arn(dlq), maxReceiveCount: 2 }) });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison', MessageAttributes: { reason: { DataType: 'String', StringValue: 'r' } } }));
    for (let receive = 0; receive < 2; receive++) {
      const messages = await receiveAll(url, { visibility: 0 });
      expect(messages.map((message) => message.Body)).toEqual(receive === 0 ? ['poison', 'poison'] : []);
    }
    expect(await receiveAll(dlq)).toEqual([expect.objectContaining({ MessageId: sent.MessageId, Body: 'poison', MessageAttributes: { reason: { DataType: 'String', StringValue: 'r' } } })]);
  });
});

describe('FIFO queues', () => {
  it('a deduplication id seen in the last 5 minutes is accepted and not enqueued again; content-based too', async () => {
    const url = await queue({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const first = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    const again = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a changed', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    expect(again.MessageId).toBe(first.MessageId);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'same body', MessageGroupId: 'g' }, { Id: '2', MessageBody: 'same body', MessageGroupId: 'g' }] }));
    // One receive takes a group's messages in order.
    expect((await receiveAll(url)).map((message) => message.Body)).toEqual(['a', 'same body']);
  });

  it('a group is received in order and held while one of its messages is in flight; other groups pass', async () => {
    const url = await queue({ FifoQueue: 'true' });
    const entries = ['a1', 'b1', 'a2', 'b2'].map((body) => ({ Id: body, MessageBody: body, MessageGroupId: body[0], MessageDeduplicationId: body }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    const { Messages: first = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    expect(first.map((message) => message.Body)).toEqual(['a1']);
    const { Messages: next = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(next.map((message) => message.Body)).toEqual(['b1', 'b2']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0].ReceiptHandle }));
    expect((await receiveAll(url)).map((message) => message.Body)).toEqual(['a2']);
  });

  it('a FIFO send without a deduplication id, on a queue without content-based deduplication, is refused', async () => {
    const url = await queue({ FifoQueue: 'true' });
    expect((await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }))))?.name).toBe('InvalidParameterValue');
  });
});
