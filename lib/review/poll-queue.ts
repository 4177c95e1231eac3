import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** One scheduled look at a loop, in case its status event is lost. */
export interface PollMessage {
  reviewId: string;
  humanLoopName: string;
  workflow: string;
  /** The interval that led here; the next one doubles it, up to the workflow's maximum. */
  intervalSeconds: number;
  /** Epoch ms: not before then. */
  dueAt: number;
}

export interface PollQueue {
  schedule(poll: PollMessage): Promise<void>;
  /** Keeps a received poll that is not due yet out of sight until it is. */
  postpone(receiptHandle: string, seconds: number): Promise<void>;
}

/** SQS delivers a message at most 15 minutes late by DelaySeconds, and hides one at most 12 hours by visibility. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * The poll queue: a poll is sent with the longest delay SQS allows; received early, it is hidden (visibility)
 * until due, so each poll costs one or two receives whatever its interval.
 */
export class SqsPollQueue implements PollQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(poll: PollMessage): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(poll.intervalSeconds)));
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(poll), DelaySeconds: delay }));
  }

  async postpone(receiptHandle: string, seconds: number): Promise<void> {
    const visibility = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(seconds)));
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: visibility }));
  }
}
