import { createHash, randomUUID } from 'node:crypto';
import { SQS_MAX_MESSAGE_BYTES } from '../../sqs-limits';
import { firstInvalidSqsCharacter, xmlCharName } from './characters';
import { TimeHeap } from './heap';
import type { JournalRecord } from './journal';

/**
 * An SQS error as the service reports it: `code` is the error's shape (the JSON protocol's `__type`),
 * `queryCode` the query-compatible code (x-amzn-query-error), which the SDK names the exception by.
 */
export class SqsError extends Error {
  override readonly name = 'SqsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly queryCode = code,
    readonly sender = true,
  ) {
    super(message);
  }
}

const queueDoesNotExist = () => new SqsError('QueueDoesNotExist', 'The specified queue does not exist.', 400, 'AWS.SimpleQueueService.NonExistentQueue');
const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', message);
const missingParameter = (name: string) => new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);

/** SQS's bounds (the service quotas an emulator must enforce as AWS does). */
export const SQS_LIMITS = {
  maxBatchEntries: 10,
  maxReceive: 10,
  maxWaitSeconds: 20,
  maxVisibilitySeconds: 43_200,
  maxDelaySeconds: 900,
  minRetentionSeconds: 60,
  maxRetentionSeconds: 1_209_600,
  maxAttributes: 10,
  maxReceiveCount: 1000,
  /** A FIFO queue drops a message whose deduplication id it accepted in the last 5 minutes. */
  dedupeWindowMs: 5 * 60_000,
  maxBatchEntryIdChars: 80,
  maxQueueNameChars: 80,
} as const;

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES),
  ReceiveMessageWaitTimeSeconds: '0',
};
/** Attributes CreateQueue and SetQueueAttributes take, beyond the numeric ones checked below. */
const OTHER_ATTRIBUTES = new Set(['RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication', 'Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'RedriveAllowPolicy', 'DeduplicationScope', 'FifoThroughputLimit']);
const NUMERIC_ATTRIBUTES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, SQS_LIMITS.maxVisibilitySeconds],
  MessageRetentionPeriod: [SQS_LIMITS.minRetentionSeconds, SQS_LIMITS.maxRetentionSeconds],
  DelaySeconds: [0, SQS_LIMITS.maxDelaySeconds],
  MaximumMessageSize: [1024, SQS_MAX_MESSAGE_BYTES],
  ReceiveMessageWaitTimeSeconds: [0, SQS_LIMITS.maxWaitSeconds],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};
const SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SequenceNumber', 'MessageDeduplicationId', 'MessageGroupId'] as const;

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64, as the JSON protocol carries it. */
  BinaryValue?: string;
}

interface Message {
  id: string;
  body: string;
  md5: string;
  attributes?: Record<string, MessageAttributeValue>;
  attributesMd5?: string;
  sentAt: number;
  /** When it may be received: after its delay, or after the visibility timeout of its last receive. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The token of the latest receive's receipt handle: only that handle deletes or changes the message, as in SQS. */
  receipt?: string;
  groupId?: string;
  dedupeId?: string;
  sequence?: string;
  /** Bumped at every change of visibleAt: a heap entry of an older generation is stale. */
  generation: number;
  state: 'ready' | 'waiting' | 'gone';
}

interface Queue {
  name: string;
  attributes: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  fifo: boolean;
  /** Every message the queue holds, in the order sent (for FIFO queues, sequence order). */
  messages: Map<string, Message>;
  /** Standard queues: the visible messages, oldest first. */
  ready: Map<string, Message>;
  /** Delayed and in-flight messages by when they become visible. */
  waiting: TimeHeap<{ message: Message; generation: number }>;
  /** Deduplication ids of the last 5 minutes (FIFO), with what the first send answered. */
  dedupe: Map<string, { at: number; id: string; sequence?: string }>;
  sequence: bigint;
  /** Receives waiting for a message (long polling), woken when one may have become visible. */
  waiters: Set<() => void>;
  redrive?: { target: string; maxReceiveCount: number };
}

export interface SqsStoreOptions {
  region: string;
  account: string;
  /** Persists state changes; called before the operation's answer is returned. */
  journal?: (records: JournalRecord[]) => void;
  now?: () => number;
}

type Input = Record<string, unknown>;

/**
 * The SQS queues of local mode, in memory, every change journaled before it is acknowledged. Operations take
 * and return the AWS JSON 1.0 protocol's shapes (what @aws-sdk/client-sqs sends and reads).
 */
export class SqsStore {
  private readonly queues = new Map<string, Queue>();
  private readonly now: () => number;
  private closed = false;
  private receiveSerial = 0;

  constructor(private readonly options: SqsStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.account}:${name}`;
  }

  /** Ends waiting receives (they answer with no messages) and refuses new ones to wait. */
  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) for (const wake of [...queue.waiters]) wake();
  }

  // ---------------------------------------------------------------- journal

  replay(record: JournalRecord): void {
    switch (record.t) {
      case 'sq': {
        const attributes = record.attributes as Record<string, string>;
        const existing = this.queues.get(record.name as string);
        if (existing) {
          existing.attributes = attributes;
          existing.modifiedAt = record.at as number;
          this.applyRedrive(existing);
        } else this.addQueue(record.name as string, attributes, record.at as number);
        if (typeof record.sequence === 'string') this.queues.get(record.name as string)!.sequence = BigInt(record.sequence);
        return;
      }
      case 'sm': {
        const queue = this.queues.get(record.q as string);
        if (!queue) return;
        const message: Message = {
          id: record.id as string,
          body: record.body as string,
          md5: md5Hex(record.body as string),
          ...(record.ma ? { attributes: record.ma as Record<string, MessageAttributeValue>, attributesMd5: attributesMd5(record.ma as Record<string, MessageAttributeValue>) } : {}),
          sentAt: record.sent as number,
          visibleAt: record.vis as number,
          receiveCount: (record.rc as number | undefined) ?? 0,
          ...(record.fr !== undefined ? { firstReceiveAt: record.fr as number } : {}),
          ...(record.g !== undefined ? { groupId: record.g as string } : {}),
          ...(record.d !== undefined ? { dedupeId: record.d as string } : {}),
          ...(record.s !== undefined ? { sequence: record.s as string } : {}),
          generation: 0,
          state: 'waiting',
        };
        if (message.sequence !== undefined && BigInt(message.sequence) > queue.sequence) queue.sequence = BigInt(message.sequence);
        if (message.dedupeId !== undefined) queue.dedupe.set(message.dedupeId, { at: message.sentAt, id: message.id, ...(message.sequence ? { sequence: message.sequence } : {}) });
        this.enqueue(queue, message);
        return;
      }
      case 'sd': {
        const queue = this.queues.get(record.q as string);
        if (queue) queue.dedupe.set(record.d as string, { at: record.at as number, id: record.id as string, ...(record.s ? { sequence: record.s as string } : {}) });
        return;
      }
      case 'sv': {
        const message = this.queues.get(record.q as string)?.messages.get(record.id as string);
        if (!message) return;
        message.receiveCount = record.rc as number;
        if (record.fr !== undefined) message.firstReceiveAt = record.fr as number;
        if (record.h !== undefined) message.receipt = record.h as string;
        this.setVisibleAt(this.queues.get(record.q as string)!, message, record.vis as number);
        return;
      }
      case 'sx': {
        const queue = this.queues.get(record.q as string);
        const message = queue?.messages.get(record.id as string);
        if (queue && message) this.remove(queue, message);
        return;
      }
      case 'smv': {
        const from = this.queues.get(record.q as string);
        const to = this.queues.get(record.to as string);
        const message = from?.messages.get(record.id as string);
        if (from && to && message) this.moveToDeadLetter(from, to, message, record.at as number);
        return;
      }
      case 'sp': {
        const queue = this.queues.get(record.q as string);
        if (queue) for (const message of [...queue.messages.values()]) this.remove(queue, message);
        return;
      }
      case 'sqd':
        this.queues.delete(record.name as string);
        return;
      default:
    }
  }

  /** The state as journal records: queues, live messages, deduplication ids still in their window. */
  *snapshot(): Iterable<JournalRecord> {
    const now = this.now();
    for (const queue of this.queues.values()) {
      yield { t: 'sq', name: queue.name, attributes: queue.attributes, at: queue.createdAt, sequence: String(queue.sequence) };
    }
    for (const queue of this.queues.values()) {
      const live = new Set<string>();
      for (const message of queue.messages.values()) {
        if (this.expired(queue, message, now)) continue;
        live.add(message.id);
        yield this.messageRecord(queue, message);
      }
      for (const [dedupeId, entry] of queue.dedupe) {
        if (now - entry.at >= SQS_LIMITS.dedupeWindowMs || live.has(entry.id)) continue;
        yield { t: 'sd', q: queue.name, d: dedupeId, id: entry.id, at: entry.at, ...(entry.sequence ? { s: entry.sequence } : {}) };
      }
    }
  }

  private messageRecord(queue: Queue, message: Message): JournalRecord {
    return {
      t: 'sm',
      q: queue.name,
      id: message.id,
      body: message.body,
      ...(message.attributes ? { ma: message.attributes } : {}),
      sent: message.sentAt,
      vis: message.visibleAt,
      ...(message.receiveCount > 0 ? { rc: message.receiveCount } : {}),
      ...(message.firstReceiveAt !== undefined ? { fr: message.firstReceiveAt } : {}),
      ...(message.receipt !== undefined ? { h: message.receipt } : {}),
      ...(message.groupId !== undefined ? { g: message.groupId } : {}),
      ...(message.dedupeId !== undefined ? { d: message.dedupeId } : {}),
      ...(message.sequence !== undefined ? { s: message.sequence } : {}),
    };
  }

  private journal(records: JournalRecord[]): void {
    if (records.length > 0) this.options.journal?.(records);
  }

  // ---------------------------------------------------------------- queues

  createQueue(input: Input, host: string): Input {
    const name = requireString(input, 'QueueName');
    const attributes = stringMap(input.Attributes, 'Attributes');
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name) || name.length > SQS_LIMITS.maxQueueNameChars) {
      throw invalidParameter('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const fifo = attributes.FifoQueue === 'true';
    if (fifo !== name.endsWith('.fifo')) throw invalidParameter(fifo ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.' : 'Only FIFO queues may have a name ending in .fifo');
    if (attributes.FifoQueue === 'false') delete attributes.FifoQueue;
    this.checkAttributes(attributes, fifo);
    const existing = this.queues.get(name);
    if (existing) {
      const differs = Object.entries({ ...DEFAULT_ATTRIBUTES, ...attributes }).some(([key, value]) => (existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key]) !== value);
      if (differs) throw new SqsError('QueueNameExists', 'A queue already exists with the same name and a different value for attribute(s)', 400, 'QueueAlreadyExists');
      return { QueueUrl: this.queueUrl(host, name) };
    }
    const at = this.now();
    const queue = this.addQueue(name, { ...DEFAULT_ATTRIBUTES, ...attributes }, at);
    this.journal([{ t: 'sq', name, attributes: queue.attributes, at }]);
    return { QueueUrl: this.queueUrl(host, name) };
  }

  getQueueUrl(input: Input, host: string): Input {
    const name = requireString(input, 'QueueName');
    if (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== this.options.account) throw queueDoesNotExist();
    if (!this.queues.has(name)) throw queueDoesNotExist();
    return { QueueUrl: this.queueUrl(host, name) };
  }

  listQueues(input: Input, host: string): Input {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const names = [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
    const max = typeof input.MaxResults === 'number' ? input.MaxResults : 1000;
    return names.length > 0 ? { QueueUrls: names.slice(0, max).map((name) => this.queueUrl(host, name)) } : {};
  }

  deleteQueue(input: Input): Input {
    const queue = this.queueOf(input);
    this.journal([{ t: 'sqd', name: queue.name }]);
    this.queues.delete(queue.name);
    for (const wake of [...queue.waiters]) wake();
    return {};
  }

  getQueueAttributes(input: Input): Input {
    const queue = this.queueOf(input);
    const names = (input.AttributeNames as string[] | undefined) ?? [];
    const now = this.now();
    this.promote(queue, now);
    const counts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of queue.messages.values()) {
      if (message.state === 'ready') counts.visible++;
      else if (message.receiveCount > 0) counts.inFlight++;
      else counts.delayed++;
    }
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: this.queueArn(queue.name),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
    };
    if (names.length === 0) return {};
    const known = new Set([...Object.keys(all), ...Object.keys(NUMERIC_ATTRIBUTES), ...OTHER_ATTRIBUTES]);
    for (const name of names) if (name !== 'All' && !known.has(name)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    const picked = names.includes('All') ? all : Object.fromEntries(names.filter((name) => all[name] !== undefined).map((name) => [name, all[name]]));
    return { Attributes: picked };
  }

  setQueueAttributes(input: Input): Input {
    const queue = this.queueOf(input);
    const attributes = stringMap(input.Attributes, 'Attributes');
    if (attributes.FifoQueue !== undefined || attributes.ContentBasedDeduplication !== undefined) {
      if (!queue.fifo && (attributes.FifoQueue === 'true' || attributes.ContentBasedDeduplication !== undefined)) throw new SqsError('InvalidAttributeName', 'Unknown Attribute FifoQueue.');
    }
    this.checkAttributes(attributes, queue.fifo);
    const at = this.now();
    queue.attributes = { ...queue.attributes, ...attributes };
    queue.modifiedAt = at;
    this.applyRedrive(queue);
    this.journal([{ t: 'sq', name: queue.name, attributes: queue.attributes, at }]);
    return {};
  }

  purgeQueue(input: Input): Input {
    const queue = this.queueOf(input);
    this.journal([{ t: 'sp', q: queue.name }]);
    for (const message of [...queue.messages.values()]) this.remove(queue, message);
    return {};
  }

  private addQueue(name: string, attributes: Record<string, string>, at: number): Queue {
    const queue: Queue = {
      name,
      attributes,
      createdAt: at,
      modifiedAt: at,
      fifo: attributes.FifoQueue === 'true',
      messages: new Map(),
      ready: new Map(),
      waiting: new TimeHeap(),
      dedupe: new Map(),
      sequence: 0n,
      waiters: new Set(),
    };
    this.applyRedrive(queue);
    this.queues.set(name, queue);
    return queue;
  }

  private applyRedrive(queue: Queue): void {
    const policy = queue.attributes.RedrivePolicy;
    if (!policy) {
      delete queue.redrive;
      return;
    }
    const { deadLetterTargetArn, maxReceiveCount } = JSON.parse(policy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    queue.redrive = { target: deadLetterTargetArn.split(':').pop() as string, maxReceiveCount: Number(maxReceiveCount) };
  }

  private checkAttributes(attributes: Record<string, string>, fifo: boolean): void {
    for (const [name, value] of Object.entries(attributes)) {
      const range = NUMERIC_ATTRIBUTES[name];
      if (range) {
        const number = Number(value);
        if (!/^\d+$/.test(value) || number < range[0] || number > range[1]) throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
        continue;
      }
      if (!OTHER_ATTRIBUTES.has(name)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      if ((name === 'ContentBasedDeduplication' || name === 'FifoQueue') && !fifo) {
        if (name === 'ContentBasedDeduplication') throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      if ((name === 'ContentBasedDeduplication' || name === 'FifoQueue') && value !== 'true' && value !== 'false') throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      if (name === 'RedrivePolicy' && value !== '') this.checkRedrive(value, fifo);
    }
  }

  private checkRedrive(value: string, fifo: boolean): void {
    let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    try {
      policy = JSON.parse(value) as typeof policy;
    } catch {
      throw new SqsError('InvalidAttributeValue', 'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
    }
    const count = Number(policy.maxReceiveCount);
    if (!Number.isInteger(count) || count < 1 || count > SQS_LIMITS.maxReceiveCount) throw new SqsError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
    const target = typeof policy.deadLetterTargetArn === 'string' ? policy.deadLetterTargetArn : '';
    const [, , service, region, account, name] = target.split(':');
    const dlq = this.queues.get(name ?? '');
    if (service !== 'sqs' || region !== this.options.region || account !== this.options.account || !dlq) throw new SqsError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.');
    if (dlq.fifo !== fifo) throw new SqsError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.');
  }

  private queueUrl(host: string, name: string): string {
    return `http://${host}/${this.options.account}/${name}`;
  }

  private queueOf(input: Input): Queue {
    const url = requireString(input, 'QueueUrl');
    const parts = url.split('?')[0].split('/').filter(Boolean);
    const [account, name] = parts.slice(-2);
    const queue = account === this.options.account ? this.queues.get(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  // ---------------------------------------------------------------- messages

  sendMessage(input: Input): Input {
    const queue = this.queueOf(input);
    const now = this.now();
    const records: JournalRecord[] = [];
    const result = this.send(queue, input, now, records);
    this.journal(records);
    this.wake(queue);
    return result;
  }

  sendMessageBatch(input: Input): Input {
    const queue = this.queueOf(input);
    const entries = batchEntries(input);
    const total = entries.reduce((sum, entry) => sum + messageBytes(entry), 0);
    if (total > Number(queue.attributes.MaximumMessageSize ?? SQS_MAX_MESSAGE_BYTES)) {
      throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`, 400, 'AWS.SimpleQueueService.BatchRequestTooLong');
    }
    const now = this.now();
    const records: JournalRecord[] = [];
    const result = perEntry(entries, (entry) => this.send(queue, entry, now, records));
    this.journal(records);
    this.wake(queue);
    return result;
  }

  private send(queue: Queue, input: Input, now: number, records: JournalRecord[]): Input {
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) throw missingParameter('MessageBody');
    const invalid = firstInvalidSqsCharacter(body);
    if (invalid !== undefined) {
      throw new SqsError('InvalidMessageContents', `Invalid binary character '${xmlCharName(invalid)}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`);
    }
    const attributes = messageAttributes(input.MessageAttributes);
    const bytes = messageBytes(input);
    const limit = Number(queue.attributes.MaximumMessageSize ?? SQS_MAX_MESSAGE_BYTES);
    if (bytes > limit) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    let delay = Number(queue.attributes.DelaySeconds ?? 0);
    if (input.DelaySeconds !== undefined && input.DelaySeconds !== null) {
      if (queue.fifo) throw invalidParameter(`Value ${String(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      delay = Number(input.DelaySeconds);
      if (!Number.isInteger(delay) || delay < 0 || delay > SQS_LIMITS.maxDelaySeconds) throw invalidParameter(`Value ${String(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`);
    }
    let groupId: string | undefined;
    let dedupeId: string | undefined;
    if (queue.fifo) {
      groupId = typeof input.MessageGroupId === 'string' ? input.MessageGroupId : undefined;
      if (!groupId) throw missingParameter('MessageGroupId');
      checkFifoId(groupId, 'MessageGroupId');
      dedupeId = typeof input.MessageDeduplicationId === 'string' ? input.MessageDeduplicationId : undefined;
      if (dedupeId === undefined) {
        if (queue.attributes.ContentBasedDeduplication !== 'true') {
          throw invalidParameter('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        }
        dedupeId = createHash('sha256').update(body, 'utf8').digest('hex');
      }
      checkFifoId(dedupeId, 'MessageDeduplicationId');
      const seen = queue.dedupe.get(dedupeId);
      if (seen && now - seen.at < SQS_LIMITS.dedupeWindowMs) {
        // Accepted, not enqueued again: the answer of the first send.
        return { MessageId: seen.id, MD5OfMessageBody: md5Hex(body), ...(attributes ? { MD5OfMessageAttributes: attributesMd5(attributes) } : {}), ...(seen.sequence ? { SequenceNumber: seen.sequence } : {}) };
      }
    } else if (input.MessageGroupId !== undefined && typeof input.MessageGroupId === 'string') {
      // Standard queues accept a group id (fair queues) and otherwise ignore it.
      groupId = input.MessageGroupId;
    }
    const message: Message = {
      id: randomUUID(),
      body,
      md5: md5Hex(body),
      ...(attributes ? { attributes, attributesMd5: attributesMd5(attributes) } : {}),
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      ...(groupId !== undefined ? { groupId } : {}),
      ...(dedupeId !== undefined ? { dedupeId } : {}),
      generation: 0,
      state: 'waiting',
    };
    if (queue.fifo) {
      queue.sequence += 1n;
      message.sequence = String(queue.sequence).padStart(20, '0');
      queue.dedupe.set(dedupeId as string, { at: now, id: message.id, sequence: message.sequence });
    }
    records.push(this.messageRecord(queue, message));
    this.enqueue(queue, message);
    return {
      MessageId: message.id,
      MD5OfMessageBody: message.md5,
      ...(message.attributesMd5 ? { MD5OfMessageAttributes: message.attributesMd5 } : {}),
      ...(message.sequence ? { SequenceNumber: message.sequence } : {}),
    };
  }

  async receiveMessage(input: Input, gone: () => boolean = () => false): Promise<Input> {
    const queue = this.queueOf(input);
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > SQS_LIMITS.maxReceive) throw invalidParameter(`Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const wait = input.WaitTimeSeconds === undefined ? Number(queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0) : Number(input.WaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > SQS_LIMITS.maxWaitSeconds) throw invalidParameter(`Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    const visibility = input.VisibilityTimeout === undefined ? Number(queue.attributes.VisibilityTimeout) : Number(input.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > SQS_LIMITS.maxVisibilitySeconds) throw invalidParameter(`Value ${String(input.VisibilityTimeout)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
    const systemNames = new Set([...((input.AttributeNames as string[] | undefined) ?? []), ...((input.MessageSystemAttributeNames as string[] | undefined) ?? [])]);
    const attributeNames = (input.MessageAttributeNames as string[] | undefined) ?? [];
    const deadline = this.now() + wait * 1000;
    for (;;) {
      if (gone()) return {};
      const taken = this.take(queue, max, visibility);
      if (taken.length > 0) return { Messages: taken.map(({ message, handle }) => present(message, handle, systemNames, attributeNames, this.options.account)) };
      if (this.closed || this.now() >= deadline || !this.queues.has(queue.name)) return {};
      await this.changed(queue, deadline);
    }
  }

  /** Resolves when a message of the queue may have become visible, or at the deadline. */
  private changed(queue: Queue, deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const next = queue.waiting.peek()?.at ?? Infinity;
      const wake = () => {
        clearTimeout(timer);
        queue.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, Math.min(deadline, next) - this.now()));
      queue.waiters.add(wake);
    });
  }

  private wake(queue: Queue): void {
    for (const wake of [...queue.waiters]) wake();
  }

  private take(queue: Queue, max: number, visibility: number): { message: Message; handle: string }[] {
    const now = this.now();
    this.promote(queue, now);
    const candidates: Message[] = [];
    if (queue.fifo) {
      const blocked = new Set<string>();
      for (const message of queue.messages.values()) {
        if (candidates.length >= max) break;
        const group = message.groupId as string;
        if (blocked.has(group)) continue;
        if (message.state !== 'ready') {
          blocked.add(group);
          continue;
        }
        candidates.push(message);
      }
    } else {
      for (const message of queue.ready.values()) {
        if (candidates.length >= max) break;
        candidates.push(message);
      }
    }
    const records: JournalRecord[] = [];
    const taken: { message: Message; handle: string }[] = [];
    const deadLetter = queue.redrive ? this.queues.get(queue.redrive.target) : undefined;
    for (const message of candidates) {
      if (this.expired(queue, message, now)) {
        this.remove(queue, message);
        continue;
      }
      if (queue.redrive && deadLetter && message.receiveCount >= queue.redrive.maxReceiveCount) {
        records.push({ t: 'smv', q: queue.name, id: message.id, to: deadLetter.name, at: now });
        this.moveToDeadLetter(queue, deadLetter, message, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveAt ??= now;
      message.receipt = `${++this.receiveSerial}-${randomUUID()}`;
      this.setVisibleAt(queue, message, now + visibility * 1000);
      records.push({ t: 'sv', q: queue.name, id: message.id, rc: message.receiveCount, vis: message.visibleAt, fr: message.firstReceiveAt, h: message.receipt });
      taken.push({ message, handle: receiptHandle(queue.name, message.id, message.receipt) });
    }
    this.journal(records);
    if (deadLetter && records.some((record) => record.t === 'smv')) this.wake(deadLetter);
    return taken;
  }

  deleteMessage(input: Input): Input {
    const queue = this.queueOf(input);
    const records: JournalRecord[] = [];
    this.deleteOne(queue, requireString(input, 'ReceiptHandle'), records);
    this.journal(records);
    return {};
  }

  deleteMessageBatch(input: Input): Input {
    const queue = this.queueOf(input);
    const entries = batchEntries(input);
    const records: JournalRecord[] = [];
    const result = perEntry(entries, (entry) => this.deleteOne(queue, typeof entry.ReceiptHandle === 'string' ? entry.ReceiptHandle : '', records));
    this.journal(records);
    return result;
  }

  private deleteOne(queue: Queue, handle: string, records: JournalRecord[]): void {
    const parsed = parseReceiptHandle(handle, queue.name);
    const message = queue.messages.get(parsed.id);
    // A handle of a message already deleted is accepted, as SQS does; so is an older receive's handle of a
    // message received again since, which SQS documents as succeeding without deleting it.
    if (!message || message.receipt !== parsed.receipt) return;
    records.push({ t: 'sx', q: queue.name, id: message.id });
    this.remove(queue, message);
  }

  changeMessageVisibility(input: Input): Input {
    const queue = this.queueOf(input);
    const records: JournalRecord[] = [];
    this.changeOne(queue, requireString(input, 'ReceiptHandle'), input.VisibilityTimeout, records);
    this.journal(records);
    this.wake(queue);
    return {};
  }

  changeMessageVisibilityBatch(input: Input): Input {
    const queue = this.queueOf(input);
    const entries = batchEntries(input);
    const records: JournalRecord[] = [];
    const result = perEntry(entries, (entry) => this.changeOne(queue, typeof entry.ReceiptHandle === 'string' ? entry.ReceiptHandle : '', entry.VisibilityTimeout, records));
    this.journal(records);
    this.wake(queue);
    return result;
  }

  private changeOne(queue: Queue, handle: string, timeout: unknown, records: JournalRecord[]): void {
    const seconds = Number(timeout);
    if (timeout === undefined || !Number.isInteger(seconds) || seconds < 0 || seconds > SQS_LIMITS.maxVisibilitySeconds) {
      throw invalidParameter(`Value ${String(timeout)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    }
    const parsed = parseReceiptHandle(handle, queue.name);
    const now = this.now();
    this.promote(queue, now);
    const message = queue.messages.get(parsed.id);
    if (!message || message.receipt !== parsed.receipt) throw invalidParameter(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    if (message.state !== 'waiting' || message.receiveCount === 0) throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.', 400, 'AWS.SimpleQueueService.MessageNotInflight');
    this.setVisibleAt(queue, message, now + seconds * 1000);
    records.push({ t: 'sv', q: queue.name, id: message.id, rc: message.receiveCount, vis: message.visibleAt, ...(message.firstReceiveAt !== undefined ? { fr: message.firstReceiveAt } : {}), h: message.receipt });
  }

  // ---------------------------------------------------------------- internals

  private enqueue(queue: Queue, message: Message): void {
    queue.messages.set(message.id, message);
    message.state = 'waiting';
    this.setVisibleAt(queue, message, message.visibleAt);
  }

  private setVisibleAt(queue: Queue, message: Message, at: number): void {
    message.visibleAt = at;
    message.generation++;
    if (at <= this.now()) {
      message.state = 'ready';
      if (!queue.fifo) {
        queue.ready.delete(message.id);
        queue.ready.set(message.id, message);
      }
      return;
    }
    message.state = 'waiting';
    queue.ready.delete(message.id);
    queue.waiting.push(at, { message, generation: message.generation });
  }

  /** Makes the messages whose delay or visibility timeout has ended visible. */
  private promote(queue: Queue, now: number): void {
    for (let top = queue.waiting.peek(); top && top.at <= now; top = queue.waiting.peek()) {
      queue.waiting.pop();
      const { message, generation } = top.value;
      if (message.generation !== generation || message.state !== 'waiting') continue;
      message.state = 'ready';
      if (!queue.fifo) queue.ready.set(message.id, message);
    }
  }

  private remove(queue: Queue, message: Message): void {
    message.state = 'gone';
    message.generation++;
    queue.messages.delete(message.id);
    queue.ready.delete(message.id);
  }

  private moveToDeadLetter(from: Queue, to: Queue, message: Message, now: number): void {
    this.remove(from, message);
    // The message keeps its id, body, attributes and receive count; it is visible in the DLQ at once.
    const moved: Message = { ...message, generation: 0, state: 'waiting', visibleAt: now };
    if (to.fifo) {
      to.sequence += 1n;
      moved.sequence = String(to.sequence).padStart(20, '0');
    }
    this.enqueue(to, moved);
  }

  private expired(queue: Queue, message: Message, now: number): boolean {
    return now - message.sentAt >= Number(queue.attributes.MessageRetentionPeriod) * 1000;
  }
}

// ---------------------------------------------------------------- helpers

function requireString(input: Input, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') throw missingParameter(name);
  return value;
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(`${name} must be a map`);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, String(item)]));
}

/**
 * A batch call's answer, entry by entry as SQS gives it: what `take` returns (with the entry's Id) is
 * Successful; an SqsError it throws is that entry's Failed (the sender's fault), and the others go on.
 */
function perEntry(entries: Input[], take: (entry: Input) => Input | void): { Successful: Input[]; Failed: Input[] } {
  const Successful: Input[] = [];
  const Failed: Input[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...(take(entry) ?? {}) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
    }
  }
  return { Successful, Failed };
}

function batchEntries(input: Input): (Input & { Id: string })[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.', 400, 'AWS.SimpleQueueService.EmptyBatchRequest');
  if (entries.length > SQS_LIMITS.maxBatchEntries) {
    throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${SQS_LIMITS.maxBatchEntries}. You have sent ${entries.length}.`, 400, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
  }
  const ids = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(id) || id.length > SQS_LIMITS.maxBatchEntryIdChars) {
      throw new SqsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.', 400, 'AWS.SimpleQueueService.InvalidBatchEntryId');
    }
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, 400, 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct');
    ids.add(id);
  }
  return entries as (Input & { Id: string })[];
}

function checkFifoId(value: string, name: string): void {
  // 1–128 characters: alphanumerics and punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) throw invalidParameter(`Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
}

/** A message's size as SQS counts it: the body, and each attribute's name, type and value. */
function messageBytes(input: Input): number {
  let bytes = typeof input.MessageBody === 'string' ? Buffer.byteLength(input.MessageBody, 'utf8') : 0;
  const attributes = input.MessageAttributes;
  if (attributes && typeof attributes === 'object') {
    for (const [name, value] of Object.entries(attributes as Record<string, MessageAttributeValue>)) {
      bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(String(value?.DataType ?? ''), 'utf8');
      if (typeof value?.StringValue === 'string') bytes += Buffer.byteLength(value.StringValue, 'utf8');
      if (typeof value?.BinaryValue === 'string') bytes += Buffer.from(value.BinaryValue, 'base64').length;
    }
  }
  return bytes;
}

function messageAttributes(value: unknown): Record<string, MessageAttributeValue> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter('MessageAttributes must be a map');
  const entries = Object.entries(value as Record<string, MessageAttributeValue>);
  if (entries.length === 0) return undefined;
  if (entries.length > SQS_LIMITS.maxAttributes) throw invalidParameter(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${SQS_LIMITS.maxAttributes}].`);
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, attribute] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    const type = attribute?.DataType;
    if (typeof type !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(type) || type.length > 256) throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type.`);
    if (type.startsWith('Binary')) {
      if (typeof attribute.BinaryValue !== 'string' || attribute.BinaryValue === '') throw invalidParameter(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      attributes[name] = { DataType: type, BinaryValue: attribute.BinaryValue };
      continue;
    }
    const text = attribute.StringValue;
    if (typeof text !== 'string' || text === '') throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type.split('.')[0]}'.`);
    const invalid = firstInvalidSqsCharacter(text);
    if (invalid !== undefined) throw new SqsError('InvalidMessageContents', `Invalid binary character '${xmlCharName(invalid)}' was found in the message attribute '${name}'.`);
    if (type.startsWith('Number') && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    attributes[name] = { DataType: type, StringValue: text };
  }
  return attributes;
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** MD5OfMessageAttributes as SQS computes it: length-prefixed name, type, transport byte and value, by name. */
export function attributesMd5(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(DataType, 'utf8'));
    if (BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      field(Buffer.from(StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function receiptHandle(queue: string, id: string, receipt: string): string {
  return Buffer.from(`${queue} ${id} ${receipt}`, 'utf8').toString('base64url');
}

function parseReceiptHandle(handle: string, queue: string): { id: string; receipt: string } {
  const parts = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (parts.length !== 3 || parts[0] !== queue || !/^[0-9a-f-]{36}$/.test(parts[1])) {
    throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404, 'ReceiptHandleIsInvalid');
  }
  return { id: parts[1], receipt: parts[2] };
}

/** A received message as ReceiveMessage answers it, with the system and message attributes asked for. */
function present(message: Message, handle: string, systemNames: Set<string>, attributeNames: string[], account: string): Input {
  const all = systemNames.has('All');
  const system: Record<string, string> = {};
  const values: Record<string, string | undefined> = {
    SenderId: account,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: message.firstReceiveAt !== undefined ? String(message.firstReceiveAt) : undefined,
    SequenceNumber: message.sequence,
    MessageDeduplicationId: message.dedupeId,
    MessageGroupId: message.groupId,
  };
  for (const name of SYSTEM_ATTRIBUTES) if ((all || systemNames.has(name)) && values[name] !== undefined) system[name] = values[name] as string;
  let attributes: Record<string, MessageAttributeValue> | undefined;
  if (message.attributes && attributeNames.length > 0) {
    const wanted = (name: string) => attributeNames.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))));
    const picked = Object.entries(message.attributes).filter(([name]) => wanted(name));
    if (picked.length > 0) attributes = Object.fromEntries(picked);
  }
  return {
    MessageId: message.id,
    ReceiptHandle: handle,
    MD5OfBody: message.md5,
    Body: message.body,
    ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
    ...(attributes ? { MessageAttributes: attributes, MD5OfMessageAttributes: attributesMd5(attributes) } : {}),
  };
}
