import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { setTimeout as delay } from 'node:timers/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readJsonLines } from './durable-logs';
import { lambdaContext } from './lambda-context';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /** The function name in the handler's context. */
  functionName?: string;
  /** Messages per invocation (ReceiveMessage's MaxNumberOfMessages): 1–10, default 10. */
  batchSize?: number;
  /** Batches handled at once (Lambda's maximum concurrency): default 1. */
  concurrency?: number;
  /** Long-poll wait per receive: 0 or 1 s (short, so that stop() is quick). Default 1. */
  waitTimeSeconds?: 0 | 1;
  /** The queue's ARN, for eventSourceARN; read with GetQueueAttributes when not given. */
  queueArn?: string;
  /** The handler's timeout, for context.getRemainingTimeInMillis. Default 30 s. */
  timeoutMs?: number;
  /** Backoff after empty receives that returned early, and after receive or delete errors. */
  backoff?: { baseMs: number; maxMs: number };
  /** A handler that threw, or a failed receive or delete (all messages then stay for redelivery). */
  onError?(error: unknown, stage: 'receive' | 'handler' | 'delete'): void;
  /**
   * Where the receipt handles of the batches in the handler's hands are journaled. At start, the messages an
   * earlier process had received and not finished (it was killed) are made visible again at once, instead of
   * after their visibility timeout: the local function that had them is gone.
   */
  inFlightLog?: string;
}

export class SqsEventSourceError extends Error {
  override readonly name = 'SqsEventSourceError';
}

const DEFAULT_BACKOFF = { baseMs: 50, maxMs: 2000 };

interface Poller {
  /** The batch epoch at which this poller's last receive started, when that receive came back empty; else -1. */
  emptyAt: number;
}

/**
 * What a Lambda SQS event source mapping does, in-process: long-polls the queue with the real SQS client,
 * invokes the handler with Lambda's SQSEvent, and deletes the messages that succeeded (the others, all of
 * them when the handler throws, come back after their visibility timeout, and go to the DLQ by the queue's
 * redrive policy). Invalid batchItemFailures fail the whole batch, as in Lambda.
 */
export class SqsEventSource {
  private readonly options: Required<Omit<SqsEventSourceOptions, 'queueArn' | 'onError' | 'inFlightLog'>> & Pick<SqsEventSourceOptions, 'onError' | 'inFlightLog'>;
  private logFd?: number;
  private queueArn?: string;
  private region = 'us-east-1';
  private running?: Promise<void>[];
  private stopping = false;
  private readonly wake = new AbortController();
  private pollers: Poller[] = [];
  private inFlight = 0;
  /** Counts finished batches: an empty receive proves idleness only if it started after the last one. */
  private epoch = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: SqsEventSourceOptions) {
    const batchSize = options.batchSize ?? 10;
    const concurrency = options.concurrency ?? 1;
    const waitTimeSeconds = options.waitTimeSeconds ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new SqsEventSourceError(`batchSize must be an integer from 1 to 10, not ${batchSize}`);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new SqsEventSourceError(`concurrency must be a positive integer, not ${concurrency}`);
    if (waitTimeSeconds !== 0 && waitTimeSeconds !== 1) throw new SqsEventSourceError(`waitTimeSeconds must be 0 or 1, not ${String(waitTimeSeconds)}`);
    this.options = {
      client: options.client,
      queueUrl: options.queueUrl,
      handler: options.handler,
      functionName: options.functionName ?? queueName(options.queueUrl),
      batchSize,
      concurrency,
      waitTimeSeconds,
      timeoutMs: options.timeoutMs ?? 30000,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      onError: options.onError,
      inFlightLog: options.inFlightLog,
    };
    this.queueArn = options.queueArn;
  }

  /** Starts polling (resolves once the queue's ARN is known). */
  async start(): Promise<void> {
    if (this.running) throw new SqsEventSourceError('already started');
    this.running = [];
    if (!this.queueArn) {
      const { Attributes } = await this.options.client.send(new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }));
      if (!Attributes?.QueueArn) throw new SqsEventSourceError(`no QueueArn for ${this.options.queueUrl}`);
      this.queueArn = Attributes.QueueArn;
    }
    this.region = this.queueArn.split(':')[3] || this.region;
    if (this.options.inFlightLog) await this.releaseOrphans(this.options.inFlightLog);
    this.pollers = Array.from({ length: this.options.concurrency }, () => ({ emptyAt: -1 }));
    this.running = this.pollers.map((poller) => this.poll(poller));
  }

  /** Stops receiving and resolves when every batch in flight has been handled (and its messages deleted). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await Promise.all(this.running ?? []);
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
    this.settleIdle();
  }

  /** Makes visible what the journal says a killed process had received and not finished; then starts a new journal. */
  private async releaseOrphans(path: string): Promise<void> {
    const open = new Set<string>();
    readJsonLines<{ in?: string[]; out?: string[] }>(path, (line) => {
      for (const handle of line.in ?? []) open.add(handle);
      for (const handle of line.out ?? []) open.delete(handle);
    });
    const handles = [...open];
    for (let start = 0; start < handles.length; start += 10) {
      const entries = handles.slice(start, start + 10).map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle, VisibilityTimeout: 0 }));
      // A message deleted or already visible again answers an error entry: nothing to do for it.
      await this.options.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries })).catch(() => undefined);
    }
    this.logFd = openSync(path, 'w');
  }

  private log(line: { in?: string[]; out?: string[] }): void {
    if (this.logFd !== undefined) writeSync(this.logFd, `${JSON.stringify(line)}\n`);
  }

  /** Resolves when no batch is in flight and every poller's last receive, started after the last batch ended, was empty. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.settleIdle();
    });
  }

  private isIdle(): boolean {
    if (this.inFlight > 0) return false;
    if (this.stopping) return true;
    return this.pollers.length > 0 && this.pollers.every((poller) => poller.emptyAt === this.epoch);
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async poll(poller: Poller): Promise<void> {
    let empties = 0;
    let errors = 0;
    while (!this.stopping) {
      const startedAt = Date.now();
      const startEpoch = this.epoch;
      let messages: Message[];
      try {
        messages = await this.receive();
        errors = 0;
      } catch (error) {
        this.options.onError?.(error, 'receive');
        await this.pause(++errors);
        continue;
      }
      if (messages.length === 0) {
        poller.emptyAt = startEpoch;
        this.settleIdle();
        // A long poll that waited its time is no spin; one answered early (or a short poll) is backed off.
        const returnedEarly = Date.now() - startedAt < (this.options.waitTimeSeconds * 1000) / 2;
        empties = returnedEarly ? empties + 1 : 0;
        if (returnedEarly) await this.pause(empties);
        continue;
      }
      empties = 0;
      poller.emptyAt = -1;
      this.inFlight++;
      const handles = messages.map((message) => message.ReceiptHandle ?? '');
      this.log({ in: handles });
      try {
        await this.runBatch(messages);
      } finally {
        this.log({ out: handles });
        this.inFlight--;
        this.epoch++;
        this.settleIdle();
      }
    }
  }

  private async receive(): Promise<Message[]> {
    const { Messages } = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: this.options.batchSize,
        WaitTimeSeconds: this.options.waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  }

  private async runBatch(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((message) => this.record(message)) };
    const context = lambdaContext({ functionName: this.options.functionName, timeoutMs: this.options.timeoutMs, region: this.region, accountId: this.queueArn?.split(':')[4] });
    let failed: Set<string>;
    try {
      failed = failedIds(await this.options.handler(event, context), event);
    } catch (error) {
      this.options.onError?.(error, 'handler');
      return;
    }
    const done = event.Records.filter((record) => !failed.has(record.messageId));
    if (done.length === 0) return;
    try {
      const { Failed } = await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      if (Failed && Failed.length > 0) {
        this.options.onError?.(new SqsEventSourceError(`could not delete ${Failed.length} message(s): ${Failed.map((entry) => `${entry.Code}: ${entry.Message}`).join('; ')}`), 'delete');
      }
    } catch (error) {
      this.options.onError?.(error, 'delete');
    }
  }

  /** One message as Lambda presents it. */
  private record(message: Message): SQSRecord {
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: (message.Attributes ?? {}) as unknown as SQSRecordAttributes,
      messageAttributes: lambdaMessageAttributes(message.MessageAttributes ?? {}),
      md5OfBody: message.MD5OfBody ?? '',
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn ?? '',
      awsRegion: this.region,
    };
  }

  /** Waits the attempt's backoff, or until stop(). */
  private async pause(attempt: number): Promise<void> {
    const { baseMs, maxMs } = this.options.backoff;
    const ms = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 20));
    await delay(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
  }
}

/** SQS's attribute values in Lambda's lowercase shape; binary values are base64. */
export function lambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(base64),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );
}

/** The batch's failed message ids; a response naming an unknown or empty id fails the whole batch, as Lambda does. */
function failedIds(response: SQSBatchResponse | void, event: SQSEvent): Set<string> {
  const all = new Set(event.Records.map((record) => record.messageId));
  const failures = response?.batchItemFailures ?? [];
  const named = failures.map((failure) => failure?.itemIdentifier);
  if (named.some((id) => typeof id !== 'string' || !all.has(id))) return all;
  return new Set(named);
}

function queueName(queueUrl: string): string {
  return queueUrl.split('/').pop() || 'sqs-consumer';
}
