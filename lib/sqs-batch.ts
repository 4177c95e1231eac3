import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { type Clock, systemClock } from './clock';
import { backoffDelayMs, type RetryBudget } from './retry';
import { attributeBytes, SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES, sqsMessageBytes } from './sqs-limits';

export { attributeBytes, SQS_MAX_MESSAGE_BYTES };

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

/**
 * How often the entries of a SendMessageBatch that SQS failed on its side (a partial failure, not SenderFault)
 * are sent, the first send included. The SDK cannot retry them: the call itself succeeded.
 */
export const PARTIAL_FAILURE_SENDS: RetryBudget = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };

export interface ResendOptions {
  budget?: RetryBudget;
  clock?: Clock;
}

/**
 * Sends entries to one queue with SendMessageBatch (10 entries and 256 KiB a call: lib/sqs-limits.ts). A call
 * that fails is thrown as the SDK raised it after its own retries (lib/runtime/aws-call-policy.ts); the
 * entries SQS failed on its side are sent again, within PARTIAL_FAILURE_SENDS. Entries SQS rejects as the
 * sender's fault (SenderFault) are not sent again: SendFailedError names them. An entry over SQS's limit for
 * one message (counted as AWS counts it) is a bug of its sender: nothing is sent, SendFailedError names it.
 */
export async function sendBatches(
  sqs: SQSClient,
  queueUrl: string,
  entries: OutgoingEntry[],
  resend: ResendOptions = {},
  maxBytes = SQS_MAX_BATCH_BYTES,
  onSent: (labels: string[]) => void = () => undefined,
): Promise<void> {
  const tooLarge = entries.filter((outgoing) => sqsMessageBytes(outgoing.entry.MessageBody ?? '', outgoing.entry.MessageAttributes) > SQS_MAX_MESSAGE_BYTES);
  if (tooLarge.length > 0) {
    throw new SendFailedError(`messages over SQS's limit of ${SQS_MAX_MESSAGE_BYTES} bytes, not sent: ${tooLarge.map((outgoing) => outgoing.label).join(', ')}`, tooLarge.map((outgoing) => outgoing.label));
  }
  for (const batch of packBatches(entries, maxBytes)) await sendBatch(sqs, queueUrl, batch, resend, onSent);
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

/** `onSent` hears the labels of the entries SQS accepted, after each call: what a later failure must not send again. */
async function sendBatch(sqs: SQSClient, queueUrl: string, batch: OutgoingEntry[], resend: ResendOptions, onSent: (labels: string[]) => void): Promise<void> {
  const budget = resend.budget ?? PARTIAL_FAILURE_SENDS;
  const clock = resend.clock ?? systemClock;
  let pending: SendMessageBatchRequestEntry[] = batch.map((outgoing, index) => ({ ...outgoing.entry, Id: `m${index}` }));
  const labelOf = new Map(pending.map((entry, index) => [entry.Id, batch[index].label]));
  const labels = (ids: (string | undefined)[]): string[] => ids.map((id) => labelOf.get(id) ?? String(id));
  for (let send = 1; ; send++) {
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failedIds = new Set(Failed.map((failure) => failure.Id));
    onSent(labels(pending.filter((entry) => !failedIds.has(entry.Id)).map((entry) => entry.Id)));
    if (Failed.length === 0) return;
    const senderFaults = Failed.filter((failure) => failure.SenderFault);
    if (senderFaults.length > 0) {
      const reasons = senderFaults.map((failure) => `${labelOf.get(failure.Id)}: ${failure.Code} ${failure.Message ?? ''}`.trim());
      throw new SendFailedError(`SQS rejected messages: ${reasons.join('; ')}`, labels(senderFaults.map((failure) => failure.Id)));
    }
    pending = pending.filter((entry) => failedIds.has(entry.Id));
    if (send >= budget.maxAttempts) {
      throw new SendFailedError(`${pending.length} entries of a SendMessageBatch failed on SQS's side, still after ${send} sends`, labels(pending.map((entry) => entry.Id)));
    }
    await clock.sleep(backoffDelayMs(budget, send, clock.random()));
  }
}
