/**
 * An event source that journals its batches in hand: after a kill, a new event source on the same journal
 * makes what the dead one had received visible again at once, instead of after the visibility timeout.
 */
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqsEventSource } from '../../lib/local/sqs-event-source';
import { type LocalStorage, startLocalStorage } from '../../lib/local/storage/server';

const DEADLINE_MS = 10_000;

describe('SqsEventSource across a kill', () => {
  let dir: string;
  let storage: LocalStorage;
  let client: SQSClient;
  const sources: SqsEventSource[] = [];
  const release: (() => void)[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-source-restart-'));
    storage = await startLocalStorage({ dir: join(dir, 'storage'), region: 'us-east-1', account: '123456789012' });
    client = new SQSClient({ endpoint: storage.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterEach(async () => {
    for (const done of release.splice(0)) done();
    for (const source of sources.splice(0)) await source.stop();
    client.destroy();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes at once what the dead process had received, despite the queue's ten-minute visibility timeout", async () => {
    // Prepare: the first source receives the message and never finishes it (its process is "killed")
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '600' } }));
    const queueUrl = QueueUrl as string;
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'record' }));
    const inFlightLog = join(dir, 'in-flight', 'work.jsonl');
    let received: () => void = () => undefined;
    const firstHasIt = new Promise<void>((resolve) => (received = resolve));
    const dead = new SqsEventSource({
      client,
      queueUrl,
      inFlightLog,
      handler: () => {
        received();
        return new Promise<void>((resolve) => release.push(resolve));
      },
    });
    sources.push(dead);
    await dead.start();
    await within(firstHasIt, 'the first source to receive the message');

    // Act: the restarted process's source, on the same journal
    const bodies: string[] = [];
    let taken: () => void = () => undefined;
    const secondHasIt = new Promise<void>((resolve) => (taken = resolve));
    const restarted = new SqsEventSource({
      client,
      queueUrl,
      inFlightLog,
      handler: async (event) => {
        bodies.push(...event.Records.map((record) => record.body));
        taken();
      },
    });
    sources.push(restarted);
    await restarted.start();
    await within(secondHasIt, 'the restarted source to receive the message');

    // Assess
    expect(bodies).toEqual(['record']);
  });
});

async function within(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), DEADLINE_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}
