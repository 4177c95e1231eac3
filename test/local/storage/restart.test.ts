import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestStorage } from './support';

const config = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

describe('the local S3 and SQS stopped and started again on the same folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-storage-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keep queues, messages (in flight ones come back with their receive count), deduplication ids and object versions', async () => {
    let storage = await startTestStorage(dir);
    let sqs = new SQSClient(config(storage.endpoint));
    let s3 = new S3Client({ ...config(storage.endpoint), forcePathStyle: true });
    const { QueueUrl: plain } = await sqs.send(new CreateQueueCommand({ QueueName: 'plain', Attributes: { VisibilityTimeout: '1' } }));
    const { QueueUrl: fifo } = await sqs.send(new CreateQueueCommand({ QueueName: 'ordered.fifo', Attributes: { FifoQueue: 'true' } }));
    for (const body of ['kept 😀', 'in flight', 'deleted']) await sqs.send(new SendMessageCommand({ QueueUrl: plain, MessageBody: body, MessageAttributes: { kind: { DataType: 'String', StringValue: body } } }));
    const first = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    const { Messages: received = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: plain, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }));
    expect(received.map((message) => message.Body)).toEqual(['kept 😀', 'in flight', 'deleted']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: plain, ReceiptHandle: received[2].ReceiptHandle }));
    await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k 😀', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k 😀', Body: 'two' }));
    sqs.destroy();
    s3.destroy();
    await storage.close();
    // A body whose put was killed before its journal line: nothing names it.
    const orphan = join(dir, 'objects', 'orphan');
    writeFileSync(orphan, 'no record names me');

    storage = await startTestStorage(dir);
    sqs = new SQSClient(config(storage.endpoint));
    s3 = new S3Client({ ...config(storage.endpoint), forcePathStyle: true });
    try {
      expect(existsSync(orphan)).toBe(false);
      // The compacted journal holds no deleted message.
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).not.toContain('"deleted"');
      const again = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
      expect(again.MessageId).toBe(first.MessageId);
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fifo, AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
      const back: { body?: string; count?: string; kind?: string }[] = [];
      while (back.length < 2) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: plain, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['All'] }));
        back.push(...Messages.map((message) => ({ body: message.Body, count: message.Attributes?.ApproximateReceiveCount, kind: message.MessageAttributes?.kind?.StringValue })));
      }
      expect(back.sort((a, b) => String(a.body).localeCompare(String(b.body)))).toEqual([
        { body: 'in flight', count: '2', kind: 'in flight' },
        { body: 'kept 😀', count: '2', kind: 'kept 😀' },
      ]);
      expect(await (await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k 😀', VersionId: v1.VersionId }))).Body!.transformToString()).toBe('one');
      expect(await (await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k 😀' }))).Body!.transformToString()).toBe('two');
    } finally {
      sqs.destroy();
      s3.destroy();
      await storage.close();
    }
  });
});

describe('a long session', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-storage-compact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compacts the journal while running: it stays near its live state, and a restart still has what is live', async () => {
    const limit = 64 * 1024;
    let storage = await startTestStorage(dir, { journalCompactBytes: limit });
    let sqs = new SQSClient(config(storage.endpoint));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'churn' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'survivor' }));
    const body = 'x'.repeat(2000);
    for (let round = 0; round < 200; round++) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `${round} ${body}`, DelaySeconds: 0 }));
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
      for (const message of Messages) if (message.Body !== 'survivor') await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    // 200 messages of 2 KB went through: without compaction the journal would hold them all (over 400 KB).
    expect(statSync(join(dir, 'journal.jsonl')).size).toBeLessThan(3 * limit);
    sqs.destroy();
    await storage.close();
    storage = await startTestStorage(dir);
    sqs = new SQSClient(config(storage.endpoint));
    try {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    } finally {
      sqs.destroy();
      await storage.close();
    }
  });
});
