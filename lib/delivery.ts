import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { jsonOf, type ReviewMessage, serialiseMessage } from './messages';
import { type OutgoingEntry, type ResendOptions, SendFailedError, sendBatches } from './sqs-batch';
import { attributeBytes, SQS_MAX_MESSAGE_BYTES } from './sqs-limits';
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
  /** The workflow's queue for `invalid` messages, where an undeliverable message's stand-in goes (else the message's own queue). */
  invalidQueue?(workflow: string): QueueAddress;
}

/** The failure code of the `invalid` stand-in for a message that does not fit SQS even by reference. */
export const UNDELIVERABLE_CODE = 'MessageTooLarge';

/** The fields that may travel by reference, each as the JSON text of its value in the payload store. */
type Movable = 'record' | 'answers' | 'decision' | 'recordId';
const PAYLOAD_FILE: Record<Movable, string> = { record: 'record.json', answers: 'answers.json', decision: 'decision.json', recordId: 'record-id.json' };

/**
 * Sends review messages to their queues (message attributes `workflow` and `outcome`; on FIFO queues
 * `MessageDeduplicationId` = reviewId). Every message is held to SQS's limit (lib/sqs-limits.ts, counted as
 * AWS counts: body plus attributes). A message over it moves its largest parts to the payload store, one at a
 * time until it fits, and carries s3:// URIs instead, never truncated: the record (`recordRef`), the raw
 * answers (`review.answersRef`), the decision (`decisionRef`), the recordId (`recordIdRef`). A message that
 * still does not fit (a huge consolidated answer or reason) is stored whole and replaced by an `invalid`
 * message of its own record, code MessageTooLarge, whose reason names where the whole message is: one record
 * never fails the delivery of the others.
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

  /**
   * Resolves when every message is accepted by its queue; otherwise throws (SendFailedError or the SDK's error)
   * once every queue's sends have ended. `onSent` hears the reviewIds SQS accepted as they are accepted, so a
   * caller can tell what was sent before the failure.
   */
  async deliver(envelopes: Envelope[], onSent?: (reviewIds: string[]) => void): Promise<void> {
    const byQueue = new Map<string, OutgoingEntry[]>();
    for (const envelope of envelopes) {
      const { queue, entry } = this.#entryFor(envelope) ?? (await this.#entryByReference(envelope));
      const entries = byQueue.get(queue.url);
      if (entries) entries.push(entry);
      else byQueue.set(queue.url, [entry]);
    }
    // Settled, not Promise.all: no queue is still sending when a failure is reported.
    const results = await Promise.allSettled([...byQueue].map(([url, entries]) => sendBatches(this.sqs, url, entries, this.options.resend, this.#maxBytes, onSent)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** The entry for a message that fits as it is; undefined when it must go by reference. */
  #entryFor({ queue, message }: Envelope): { queue: QueueAddress; entry: OutgoingEntry } | undefined {
    const fitted = this.#fitted(message, sqsSafeJson(serialiseMessage(message)));
    return fitted && { queue, entry: this.#entry(queue, message, fitted) };
  }

  async #entryByReference({ queue, message }: Envelope): Promise<{ queue: QueueAddress; entry: OutgoingEntry }> {
    const { payloads } = this.options;
    if (!payloads) throw new SendFailedError(`message ${message.reviewId} is over ${this.#maxBytes} bytes and no payload store is configured`, [message.reviewId]);
    const slim = await this.#byReference(message, payloads);
    const fitted = this.#fitted(slim, sqsSafeJson(serialiseMessage(slim)));
    if (fitted) return { queue, entry: this.#entry(queue, slim, fitted) };
    const standIn = await this.#byReference(await this.#undeliverable(message, slim, payloads), payloads);
    const standInBody = this.#fitted(standIn, sqsSafeJson(serialiseMessage(standIn)));
    if (!standInBody) {
      // Only a source too large for SQS gets here (S3 keys and event fields are far smaller in AWS).
      throw new SendFailedError(`message ${message.reviewId} is over ${this.#maxBytes} bytes even as its MessageTooLarge stand-in`, [message.reviewId]);
    }
    const target = this.options.invalidQueue?.(message.workflow) ?? queue;
    return { queue: target, entry: this.#entry(target, standIn, standInBody) };
  }

  /** The body and its size as SQS counts it, when they fit. */
  #fitted(message: ReviewMessage, body: string): { body: string; bytes: number } | undefined {
    const bytes = Buffer.byteLength(body) + this.#attributesFor(message).overhead;
    return bytes <= this.#maxBytes ? { body, bytes } : undefined;
  }

  #entry(queue: QueueAddress, message: ReviewMessage, { body, bytes }: { body: string; bytes: number }): OutgoingEntry {
    const { attributes } = this.#attributesFor(message);
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

  /**
   * The message with its largest movable parts in the payload store, largest first, until it fits (or
   * nothing is left to move): what fits stays inline, so consumers read most messages without S3.
   */
  async #byReference(message: ReviewMessage, payloads: PayloadStore): Promise<ReviewMessage> {
    const texts = new Map<Movable, string>();
    if (message.record !== undefined) texts.set('record', jsonOf(message.record));
    if (message.review?.answers !== undefined) texts.set('answers', JSON.stringify(message.review.answers));
    if (message.decision !== undefined) texts.set('decision', jsonOf(message.decision));
    if (message.recordId !== undefined) texts.set('recordId', JSON.stringify(message.recordId));
    const order = [...texts.keys()].sort((a, b) => Buffer.byteLength(texts.get(b) as string) - Buffer.byteLength(texts.get(a) as string));
    const prefix = payloadPrefix(message);
    let slim: ReviewMessage = message;
    for (const field of order) {
      const uri = await payloads.put(`${prefix}/${PAYLOAD_FILE[field]}`, texts.get(field) as string);
      slim = withReference(slim, field, uri);
      if (this.#fitted(slim, sqsSafeJson(serialiseMessage(slim)))) break;
    }
    return slim;
  }

  /**
   * The `invalid` MessageTooLarge stand-in: the record's identity, record, id and decision (moved by
   * reference as they need to be), without the review or failure that made it too large; the whole message
   * is stored, and the reason says where.
   */
  async #undeliverable(message: ReviewMessage, slim: ReviewMessage, payloads: PayloadStore): Promise<ReviewMessage> {
    const bytes = Buffer.byteLength(sqsSafeJson(serialiseMessage(slim))) + this.#attributesFor(slim).overhead;
    const whole = await payloads.put(`${payloadPrefix(message)}/message.json`, serialiseMessage(message));
    const { review: _review, failure, ...rest } = message;
    const was = failure ? `${message.outcome} (${failure.code})` : message.outcome;
    const reason = `the ${was} message is ${bytes} bytes even with its record, answers, decision and recordId by reference, over SQS's limit of ${this.#maxBytes}; the whole message is at ${whole}`;
    return { ...rest, outcome: 'invalid', failure: { code: UNDELIVERABLE_CODE, reason } };
  }
}

const payloadPrefix = (message: ReviewMessage): string => `payloads/${message.workflow}/${message.reviewId}`;

/** The message with one field replaced by its s3:// URI (key order of the contract kept for the rest). */
function withReference(message: ReviewMessage, field: Movable, uri: string): ReviewMessage {
  const slim: ReviewMessage = { ...message };
  switch (field) {
    case 'record':
      delete slim.record;
      slim.recordRef = uri;
      break;
    case 'answers': {
      const { answers: _answers, ...review } = slim.review as NonNullable<ReviewMessage['review']>;
      slim.review = { ...review, answersRef: uri };
      break;
    }
    case 'decision':
      delete slim.decision;
      slim.decisionRef = uri;
      break;
    case 'recordId':
      delete slim.recordId;
      slim.recordIdRef = uri;
      break;
  }
  return slim;
}
