import { type Clock, systemClock } from './clock';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 20000 };

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

/** Throttling, quota, 5xx and network errors are worth another try; validation and other 4xx are not. */
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

export interface RetryOptions {
  policy?: RetryPolicy;
  clock?: Clock;
  /** Called before each wait, e.g. to count throttles. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

/**
 * Runs `operation`, retrying retryable errors with full-jitter exponential backoff
 * (a random wait up to base·2^(attempt-1), capped). Other errors, and the last one, are thrown as they are.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.maxAttempts || !isRetryable(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(clock.random() * ceiling);
      options.onRetry?.(error, attempt, delayMs);
      await clock.sleep(delayMs);
    }
  }
}
