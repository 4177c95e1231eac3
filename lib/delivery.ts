import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { jsonOf, type ReviewMessage, serialiseMessage } from './messages';
import { attributeBytes, type OutgoingEntry, type ResendOptions, SendFailedError, sendBatches, SQS_MAX_MESSAGE_BYTES } from './sqs-batch';
import { sqsSafeJson } from './sqs-text';

export interface QueueAddress {
  url: string;
  fifo: boolean;
}

export interface Envelope {
  queue: QueueAddress;
  message: ReviewMessage;
}

/** Where payloads too large for a message are kept; returns the s3:// URI the message carries instead. */
export interface PayloadStore {
  put(key: string, body: string): Promise<string>;
}

export interface DeliveryOptions {
  payloads?: PayloadStore;
  /** How the entries SQS failed on its side are sent again (sendBatches). */
  resend?: ResendOptions;
  maxMessageBytes?: number;
}

/**
 * Sends review messages to their queues (message attributes `workflow` and `outcome`; on FIFO queues
 * `MessageDeduplicationId` = reviewId). A message over the size limit moves its record (and, for reviewed
 * records, the raw answers) to the payload store and carries s3:// URIs instead: never truncated.
 */
export class SqsDelivery {
  readonly #maxBytes: number;
  readonly #attributes = new Map<string, { attributes: Record<string, MessageAttributeValue>; overhead: number }>();
  constructor(
    private readonly sqs: SQSClient,
    private readonly options: DeliveryOptions = {},
  ) {
    this.#maxBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
  }

  /** Resolves when every message is accepted by its queue; otherwise throws (SendFailedError or the SDK's error). */
  async deliver(envelopes: Envelope[]): Promise<void> {
    const byQueue = new Map<string, OutgoingEntry[]>();
    for (const envelope of envelopes) {
      const entry = this.#entryFor(envelope) ?? (await this.#entryByReference(envelope));
      const entries = byQueue.get(envelope.queue.url);
      if (entries) entries.push(entry);
      else byQueue.set(envelope.queue.url, [entry]);
    }
    await Promise.all([...byQueue].map(([url, entries]) => sendBatches(this.sqs, url, entries, this.options.resend, this.#maxBytes)));
  }

  /** The entry for a message that fits as it is; undefined when it must go by reference. */
  #entryFor({ queue, message }: Envelope): OutgoingEntry | undefined {
    const { attributes, overhead } = this.#attributesFor(message);
    const body = sqsSafeJson(serialiseMessage(message));
    const bytes = Buffer.byteLength(body) + overhead;
    return bytes > this.#maxBytes ? undefined : this.#entry(queue, message, body, attributes, bytes);
  }

  async #entryByReference({ queue, message }: Envelope): Promise<OutgoingEntry> {
    const { attributes, overhead } = this.#attributesFor(message);
    const body = sqsSafeJson(JSON.stringify(await this.#byReference(message)));
    const bytes = Buffer.byteLength(body) + overhead;
    if (bytes > this.#maxBytes) {
      throw new SendFailedError(`message ${message.reviewId} is over ${this.#maxBytes} bytes even with its record and answers by reference`, [message.reviewId]);
    }
    return this.#entry(queue, message, body, attributes, bytes);
  }

  #entry(queue: QueueAddress, message: ReviewMessage, body: string, attributes: Record<string, MessageAttributeValue>, bytes: number): OutgoingEntry {
    const entry = queue.fifo
      ? { MessageBody: body, MessageAttributes: attributes, MessageGroupId: message.reviewId, MessageDeduplicationId: message.reviewId }
      : { MessageBody: body, MessageAttributes: attributes };
    return { entry, bytes, label: message.reviewId };
  }

  /** The message attributes `workflow` and `outcome`: a few distinct pairs, so made once each. */
  #attributesFor(message: ReviewMessage): { attributes: Record<string, MessageAttributeValue>; overhead: number } {
    const key = `${message.workflow}\u0000${message.outcome}`;
    let made = this.#attributes.get(key);
    if (!made) {
      const attributes = {
        workflow: { DataType: 'String', StringValue: message.workflow },
        outcome: { DataType: 'String', StringValue: message.outcome },
      };
      this.#attributes.set(key, (made = { attributes, overhead: attributeBytes(attributes) }));
    }
    return made;
  }

  async #byReference(message: ReviewMessage): Promise<ReviewMessage> {
    const { payloads } = this.options;
    if (!payloads) throw new SendFailedError(`message ${message.reviewId} is over ${this.#maxBytes} bytes and no payload store is configured`, [message.reviewId]);
    const slim: ReviewMessage = { ...message };
    const prefix = `payloads/${message.workflow}/${message.reviewId}`;
    if (slim.record !== undefined) {
      slim.recordRef = await payloads.put(`${prefix}/record.json`, jsonOf(slim.record));
      delete slim.record;
    }
    if (slim.review?.answers !== undefined) {
      const { answers, ...review } = slim.review;
      slim.review = { ...review, answersRef: await payloads.put(`${prefix}/answers.json`, JSON.stringify(answers)) };
    }
    return slim;
  }
}
