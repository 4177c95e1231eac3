import { DeleteMessageBatchCommand, CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAutoReview } from '../lib/local/auto-review';
import { replay } from '../lib/local/replay';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../lib/local/resources';
import { startLocalStorage } from '../lib/local/storage/server';
import { loadWorkflows } from '../lib/workflow';
import type { Figure } from './figures';

const ROUND_TRIP_SECONDS = 3;
/** Callers at once, as the local stack's consumers and senders are. */
const ROUND_TRIP_CONCURRENCY = 4;
const REPLAY_RECORDS = 2000;
const SOAK = join(__dirname, 'soak');

/**
 * SendMessageBatch (10) + ReceiveMessage (10) + DeleteMessageBatch (10) round trips a second through the
 * real SDK client against an S3/SQS endpoint (the local one, or another emulator for comparison).
 */
export async function sqsRoundTripsPerSecond(endpoint: string, seconds = ROUND_TRIP_SECONDS, concurrency = ROUND_TRIP_CONCURRENCY): Promise<number> {
  const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) } });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${Date.now()}` }));
    const body = JSON.stringify({ outcome: 'auto-accepted', record: { id: 'x'.repeat(40), fields: Array.from({ length: 8 }, (_, i) => ({ name: `f${i}`, confidence: 0.97 })) } });
    const entries = Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body }));
    let trips = 0;
    const deadline = Date.now() + seconds * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline) {
          await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
          if (Messages.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
          trips++;
        }
      }),
    );
    return trips / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    sqs.destroy();
  }
}

/** The soak workflow's invoices, every field confident: none activates, each record is one auto-accepted message. */
export function autoAcceptedInput(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(JSON.stringify({ documentId: `auto-${index}`, vendor: { name: `Vendor ${index % 97}` }, totalAmount: index / 100, fields: [{ name: 'invoice_number', value: `INV-${index}`, confidence: 0.97 }, { name: 'total_amount', value: '1.00', confidence: 0.99 }] }));
  }
  return `${lines.join('\n')}\n`;
}

/** Seconds for `replay` of `count` auto-accepted records, end to end (stack start included). */
export async function replayAutoAcceptedSeconds(count = REPLAY_RECORDS): Promise<{ seconds: number; cpuSeconds: number; delivered: number }> {
  const work = mkdtempSync(join(tmpdir(), 'a2i-bench-storage-'));
  try {
    const input = join(work, 'auto.jsonl');
    writeFileSync(input, autoAcceptedInput(count));
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const summary = await replay({ workflow: loadWorkflows([join(SOAK, 'soak.yaml')])[0], inputFile: input, stateDir: join(work, 'state'), autoReview: loadAutoReview(join(SOAK, 'auto-review.json')), timeoutMs: 1_800_000 });
    const used = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, delivered: summary.records - summary.lost };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The local S3 and SQS (lib/local/storage): SQS round trips, and a replay of auto-accepted records. */
export async function storageBenchmark(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-bench-storage-'));
  const storage = await startLocalStorage({ dir, region: LOCAL_REGION, account: LOCAL_ACCOUNT });
  let trips: number;
  try {
    trips = await sqsRoundTripsPerSecond(storage.endpoint);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const replayed = await replayAutoAcceptedSeconds();
  return [
    { name: 'storage.sqs_batch_round_trips_per_s', value: Math.round(trips), unit: 'round trips/s', detail: 'SendMessageBatch+ReceiveMessage+DeleteMessageBatch of 10, SDK client, 4 at once, journaled' },
    { name: 'storage.replay_auto_accepted_s', value: Number(replayed.seconds.toFixed(1)), unit: 's', records: REPLAY_RECORDS, delivered: replayed.delivered, recordsPerSecond: Math.round(REPLAY_RECORDS / replayed.seconds), cpuSeconds: Number(replayed.cpuSeconds.toFixed(1)) },
  ];
}
