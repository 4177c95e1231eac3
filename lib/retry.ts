/**
 * How a retried operation is paced: at most `maxAttempts` tries (the first included); before the nth retry a
 * wait drawn at random below its ceiling, baseDelayMs·2^(n-1) capped at maxDelayMs (full jitter, so that
 * callers failed by the same event do not come back in step).
 */
export interface RetryBudget {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The ceiling of the wait before the nth retry (1-based). */
export function backoffCeilingMs(budget: RetryBudget, retry: number): number {
  return Math.min(budget.maxDelayMs, budget.baseDelayMs * 2 ** (retry - 1));
}

/** The wait before the nth retry: `random` (0 ≤ r < 1) times its ceiling, whole milliseconds. */
export function backoffDelayMs(budget: RetryBudget, retry: number, random: number): number {
  return Math.round(random * backoffCeilingMs(budget, retry));
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'KmsThrottled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'ServiceQuotaExceededException',
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

const THROTTLING_NAMES = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'RequestThrottled', 'KmsThrottled', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  cause?: unknown;
}

/**
 * Throttling, quota, 5xx and network errors are worth another try later; validation and other 4xx are not.
 * This classifies the error a call ends with, after the SDK's own retries (lib/runtime/aws-call-policy.ts):
 * ingest leaves such a record for the work queue's next receive, the review tasks raise TransientError for
 * the state machine's Retry.
 */
export function isRetryable(error: unknown, seen = new Set<unknown>()): boolean {
  if (error === null || typeof error !== 'object' || seen.has(error)) return false;
  seen.add(error);
  const aws = error as AwsLikeError;
  if (aws.name && RETRYABLE_NAMES.has(aws.name)) return true;
  if (aws.code && NETWORK_CODES.has(aws.code)) return true;
  const status = aws.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (aws.$retryable) return true;
  return aws.cause !== undefined && isRetryable(aws.cause, seen);
}

export function isThrottling(error: unknown): boolean {
  const aws = error as AwsLikeError | null;
  return Boolean(aws && (THROTTLING_NAMES.has(aws.name ?? '') || aws.$metadata?.httpStatusCode === 429));
}

/** Stopping a loop that is already stopped, ended or gone is fine: A2I's StopHumanLoop says so with these errors. */
const LOOP_ALREADY_OVER = new Set(['ResourceNotFoundException', 'ValidationException', 'ConflictException']);

/** Whether a StopHumanLoop error only says the loop needs no stopping. */
export function isLoopAlreadyOver(error: unknown): boolean {
  return LOOP_ALREADY_OVER.has((error as Error)?.name);
}
