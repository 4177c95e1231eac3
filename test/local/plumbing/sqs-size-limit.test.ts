import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { createLocalResources, type LocalResources } from '../../../lib/local/resources';
import { SQS_MAX_MESSAGE_BYTES, sqsMessageBytes } from '../../../lib/sqs-limits';
import { loadWorkflows } from '../../../lib/workflow';
import { INGEST_WORKFLOWS } from '../../support/ingest-harness';
import { startTestStorage } from '../storage/support';
import { sqsClient } from './support';

/**
 * The local stack's queues refuse what AWS refuses: SQS's limit (lib/sqs-limits.ts) counted on the body plus
 * each attribute's name, type and value. A message exactly at the limit is taken, one byte more is not.
 */

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let sqs: ReturnType<typeof sqsClient>;
let resources: LocalResources;

const attributes = { workflow: { DataType: 'String', StringValue: 'predictions' }, outcome: { DataType: 'String', StringValue: 'auto-accepted' } };
/** A body (with a 2-byte character in it, counted as 2) that makes the message exactly `bytes` with `attributes`. */
const bodyOf = (bytes: number): string => `é${'a'.repeat(bytes - 2 - sqsMessageBytes('', attributes))}`;

beforeAll(async () => {
  storage = await startTestStorage();
  sqs = sqsClient(storage.endpoint);
  const s3 = new S3Client({ endpoint: storage.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true });
  resources = await createLocalResources({ s3, sqs }, loadWorkflows([join(INGEST_WORKFLOWS, 'predictions.yaml')]));
  s3.destroy();
}, 30_000);
afterAll(async () => {
  sqs.destroy();
  await storage.stop();
});

describe('local SQS size limit', () => {
  it('every local queue takes a message of exactly 262,144 bytes and refuses 262,145', async () => {
    const destinations = [...resources.destinations.values()].flatMap((queues) => [...queues.values()].flatMap((queue) => [queue.url, queue.dlqUrl]));
    const queues = [resources.work.url, resources.work.dlqUrl, resources.poll.url, resources.eventsDlq.url, resources.triggerFailuresDlq.url, ...destinations];
    expect(queues.length).toBeGreaterThan(3);
    expect(sqsMessageBytes(bodyOf(SQS_MAX_MESSAGE_BYTES), attributes)).toBe(262_144);

    for (const url of queues) {
      const fifo = url.endsWith('.fifo') ? { MessageGroupId: 'g', MessageDeduplicationId: `d-${url.length}` } : {};
      await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: bodyOf(SQS_MAX_MESSAGE_BYTES), MessageAttributes: attributes, ...fifo }))).resolves.toHaveProperty('MessageId');
      await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: bodyOf(SQS_MAX_MESSAGE_BYTES + 1), MessageAttributes: attributes, ...fifo }))).rejects.toThrow(/shorter than/);
    }
  });

  it('refuses a whole batch whose messages add up to more than the limit, as SQS does (BatchRequestTooLong), and takes none of it', async () => {
    const url = resources.work.url;
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'small', MessageBody: 'small' },
            { Id: 'over', MessageBody: bodyOf(SQS_MAX_MESSAGE_BYTES + 1), MessageAttributes: attributes },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect((received.Messages ?? []).map((message) => message.Body)).not.toContain('small');
  });
});
