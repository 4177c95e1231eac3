import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

const ROOT = join(__dirname, '..', '..', '..');
const ROUNDS = 5;
/** Visible again soon after a restart: the drain waits for the messages in flight at each kill. */
const VISIBILITY_SECONDS = 2;
const SENDERS = 3;
const RECEIVERS = 2;

interface Child {
  process: ChildProcess;
  endpoint: string;
  exited: Promise<void>;
}

async function startChild(dir: string): Promise<Child> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.js'), join(__dirname, 'storage-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then(() => reject(new Error('the storage child exited before listening')));
  });
  return { process: child, endpoint: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, exited };
}

function clients(endpoint: string) {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1, requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 16 }) } };
  return { sqs: new SQSClient(config), s3: new S3Client({ ...config, forcePathStyle: true }) };
}

describe('the local S3 and SQS killed with SIGKILL at random points under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-storage-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lose no acknowledged message or object, and bring back no deleted message', async () => {
    const acknowledgedSends = new Set<string>();
    /** Bodies whose delete was sent (answered or not): they may be gone. */
    const deleteAttempted = new Set<string>();
    const acknowledgedDeletes = new Set<string>();
    const acknowledgedPuts = new Map<string, string>();
    let counter = 0;
    let kills = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const child = await startChild(dir);
      const { sqs, s3 } = clients(child.endpoint);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'crash', Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) } }));
      await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
      let dead = false;
      void child.exited.then(() => (dead = true));
      const sender = async () => {
        while (!dead) {
          const bodies = Array.from({ length: 10 }, () => `m-${++counter} 😀`);
          try {
            const { Successful = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }));
            for (const entry of Successful) acknowledgedSends.add(bodies[Number(entry.Id)]);
          } catch {
            return;
          }
        }
      };
      const receiver = async () => {
        while (!dead) {
          try {
            const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
            if (Messages.length === 0) continue;
            for (const message of Messages) deleteAttempted.add(message.Body as string);
            const { Successful = [] } = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
            for (const entry of Successful) acknowledgedDeletes.add(Messages[Number(entry.Id)].Body as string);
          } catch {
            return;
          }
        }
      };
      const putter = async () => {
        while (!dead) {
          const key = `objects/${++counter}/ключ 😀.json`;
          const body = `{"n":${counter},"pad":"${'x'.repeat(counter % 5000)}"}`;
          try {
            await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body }));
            acknowledgedPuts.set(key, body);
          } catch {
            return;
          }
        }
      };
      const load = Promise.all([...Array.from({ length: SENDERS }, sender), ...Array.from({ length: RECEIVERS }, receiver), putter()]);
      // Somewhere in the middle of the load: a send, receive, delete or put is being answered, or journaled.
      await delay(150 + Math.floor(Math.random() * 500));
      child.process.kill('SIGKILL');
      kills++;
      await child.exited;
      await load;
      sqs.destroy();
      s3.destroy();
    }

    const child = await startChild(dir);
    const { sqs, s3 } = clients(child.endpoint);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'crash', Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) } }));
      const drained: string[] = [];
      // Until nothing is left, visible or in flight (messages received before a kill come back after their timeout).
      for (;;) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (Messages.length > 0) {
          drained.push(...Messages.map((message) => message.Body as string));
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
          continue;
        }
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
        if (Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) + Number(Attributes.ApproximateNumberOfMessagesDelayed) === 0) break;
      }
      expect(kills).toBe(ROUNDS);
      expect(acknowledgedSends.size).toBeGreaterThan(0);
      expect(acknowledgedPuts.size).toBeGreaterThan(0);
      const left = new Set(drained);
      // Nothing acknowledged is lost: each sent message was received and deleted, or is still there.
      expect([...acknowledgedSends].filter((body) => !deleteAttempted.has(body) && !left.has(body))).toEqual([]);
      // Nothing deleted comes back, and nothing comes twice.
      expect(drained.filter((body) => acknowledgedDeletes.has(body))).toEqual([]);
      expect(drained.length).toBe(left.size);
      for (const [key, body] of acknowledgedPuts) {
        expect(await (await s3.send(new GetObjectCommand({ Bucket: 'crash', Key: key }))).Body!.transformToString()).toBe(body);
      }
    } finally {
      sqs.destroy();
      s3.destroy();
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }, 120_000);
});
