import type { MessageSource } from '../messages';
import type { CaughtError } from './failure-reason';

/** The review-loop state machine's execution input (StartExecution): pointers, never the record. */
export interface ReviewLoopInput {
  reviewId: string;
  workflow: string;
  humanLoopName: string;
  flowDefinitionArn: string;
  source: MessageSource;
  recordId?: string;
  /** s3:// URI of the record's text as written, kept at ingest for the loop's message (absent from executions started before it was). */
  recordTextRef?: string;
}

/** A2I's statuses, plus NotFound for a loop deleted underneath us. */
export type LoopStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopped' | 'Stopping' | 'NotFound';

/** What CheckLoop found and what the machine does next (`$.check`). */
export interface LoopCheck {
  status: LoopStatus;
  failureCode?: string;
  failureReason?: string;
  outputS3Uri?: string;
  humanLoopArn?: string;
  creationTime?: string;
  next: 'wait' | 'complete' | 'fail' | 'timeout';
  /** How long WaitForStatus may wait: until the workflow's timeout (TimeoutSecondsPath). */
  waitSeconds?: number;
  /** Epoch ms, taken before DescribeHumanLoop: a status event after it is news. */
  checkedAt: number;
  /** DescribeHumanLoop calls so far. */
  checks: number;
}

/** The execution's state as the tasks see it. */
export interface ReviewLoopState extends ReviewLoopInput {
  check?: LoopCheck;
  /** The next wait's timeout, where WaitForStatus's TimeoutSecondsPath finds it (see the ASL). */
  Payload?: { waitSeconds: number };
  /**
   * Set by a Catch: the error that sent the machine to DeliverFailure (a permanent one), or back to CheckLoop
   * (a transient one, after the task's retries), which then backs off instead of describing the loop.
   */
  error?: CaughtError;
  /** Transient failures the machine has backed off from (see backOffAfterError). */
  recovery?: Recovery;
}

/** How the execution has fared against transient failures so far. */
export interface Recovery {
  /** Backoffs so far: the next one waits initialPollSeconds·2^attempts, capped at maxPollSeconds. */
  attempts: number;
  /** Epoch ms of the first: the deadline's start when no check ever told the loop's creation time. */
  since: number;
  /** The latest error, for the failure reason should the workflow's timeout pass. */
  lastError: CaughtError;
}

/** What WaitForStatus hands its function (the task token is the one the status event sends back). */
export interface WaitInput {
  reviewId: string;
  humanLoopName: string;
  workflow: string;
  taskToken: string;
  checkedAt: number;
  /** The task's timeout: the time left before the workflow's timeout. */
  waitSeconds: number;
}
