import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { type RetryOptions, withRetry } from './retry';

/** SQS's limit for one message (body plus attributes) and for one SendMessageBatch call. */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
const SQS_MAX_BATCH_ENTRIES = 10;

export interface OutgoingEntry {
  entry: Omit<SendMessageBatchRequestEntry, 'Id'>;
  /** Body plus attributes, in bytes. */
  bytes: number;
  /** What the entry is about, for errors (a reviewId, a work item range). */
  label: string;
}

export class SendFailedError extends Error {
  override readonly name = 'SendFailedError';
  constructor(
    message: string,
    readonly labels: string[],
  ) {
    super(message);
  }
}

/** Entries that failed on SQS's side (not the sender's): worth sending again. */
class PartialBatchFailure extends Error {
  override readonly name = 'PartialBatchFailure';
  readonly $retryable = {};
}

/**
 * Sends entries to one queue with SendMessageBatch (10 entries and 256 KiB a call), retrying the whole call
 * on throttling, 5xx and network errors and the failed entries of a partly failed call, with backoff.
 * Entries SQS rejects as the sender's fault (SenderFault) are not retried: SendFailedError names them.
 */
export async function sendBatches(sqs: SQSClient, queueUrl: string, entries: OutgoingEntry[], retry?: RetryOptions, maxBytes = SQS_MAX_MESSAGE_BYTES): Promise<void> {
  for (const batch of packBatches(entries, maxBytes)) await sendBatch(sqs, queueUrl, batch, retry);
}

function packBatches(entries: OutgoingEntry[], maxBytes: number): OutgoingEntry[][] {
  const batches: OutgoingEntry[][] = [];
  let current: OutgoingEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === SQS_MAX_BATCH_ENTRIES || (current.length > 0 && bytes + entry.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function sendBatch(sqs: SQSClient, queueUrl: string, batch: OutgoingEntry[], retry?: RetryOptions): Promise<void> {
  let pending: SendMessageBatchRequestEntry[] = batch.map((outgoing, index) => ({ ...outgoing.entry, Id: `m${index}` }));
  const labelOf = new Map(pending.map((entry, index) => [entry.Id, batch[index].label]));
  const labels = (ids: (string | undefined)[]): string[] => ids.map((id) => labelOf.get(id) ?? String(id));
  try {
    await withRetry(async () => {
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      if (Failed.length === 0) return;
      const senderFaults = Failed.filter((failure) => failure.SenderFault);
      if (senderFaults.length > 0) {
        const reasons = senderFaults.map((failure) => `${labelOf.get(failure.Id)}: ${failure.Code} ${failure.Message ?? ''}`.trim());
        throw new SendFailedError(`SQS rejected messages: ${reasons.join('; ')}`, labels(senderFaults.map((failure) => failure.Id)));
      }
      const failedIds = new Set(Failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      throw new PartialBatchFailure(`${pending.length} entries of a SendMessageBatch failed on SQS's side`);
    }, retry);
  } catch (error) {
    if (error instanceof PartialBatchFailure) throw new SendFailedError(`${error.message}, still after retries`, labels(pending.map((entry) => entry.Id)));
    throw error;
  }
}

export function attributeBytes(attributes: Record<string, { DataType?: string; StringValue?: string }>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  return bytes;
}
