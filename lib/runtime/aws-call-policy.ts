import type { RetryErrorInfo, RetryErrorType, RetryStrategyV2, RetryToken } from '@smithy/types';
import { backoffCeilingMs, backoffDelayMs, type RetryBudget } from '../retry';

/**
 * The one retry policy of every AWS call the functions make: the SDK's retry middleware runs it (createAwsClients
 * gives each client an AwsCallRetryStrategy and these timeouts), and nothing around the calls retries them again.
 * What a call ends with is then a final answer for this invocation; the caller's next try is the work queue's
 * next receive (ingest) or the state machine's Retry (review tasks).
 */
export interface AwsCallPolicy {
  /**
   * Throttling (ThrottlingException, SQS RequestThrottled, S3 SlowDown, DynamoDB throughput, HTTP 429): the service
   * is up and asks us to slow down, so more tries and longer waits than for faults.
   */
  throttling: RetryBudget;
  /**
   * Transient faults (HTTP 500, 502, 503, 504, timeouts, connection resets): retried a little and soon, as the
   * next host usually answers; a longer outage is the outer retry's business. Client errors (validation, 4xx,
   * ServiceQuotaExceeded) and other 5xx (501, 505…) are never retried by the SDK.
   */
  faults: RetryBudget;
  /** To establish a socket: the SDK's own "in-region" defaults mode value (Lambda calls its region's endpoints). */
  connectionTimeoutMs: number;
  /** From the start of a request to its response's headers: a call that hangs fails as a TimeoutError (a fault). */
  requestTimeoutMs: number;
}

export const AWS_CALL_POLICY: AwsCallPolicy = {
  throttling: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 4_000 },
  faults: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
  connectionTimeoutMs: 1_100,
  requestTimeoutMs: 3_000,
};

/**
 * Local mode's policy: the same retries, with timeouts lifted. There the emulators answer in the process that
 * runs every function, and the A2I emulator makes its writes one at a time (one lock on its store), so a healthy
 * StartHumanLoop waits behind every other start and answer in flight: 3 s would fail calls that AWS answers at
 * once, and send their records to the work queue's next receive. A hung emulator still fails the call.
 */
export const LOCAL_AWS_CALL_POLICY: AwsCallPolicy = { ...AWS_CALL_POLICY, connectionTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/** The most requests one call can make, whatever its failures. */
export function maxRequestsPerCall(policy: AwsCallPolicy): number {
  return Math.max(policy.throttling.maxAttempts, policy.faults.maxAttempts);
}

/**
 * The longest one call can take: every request running into both timeouts, and before each retry the longest
 * wait any failure allowed at that point could draw.
 */
export function worstCaseCallMs(policy: AwsCallPolicy): number {
  const attempts = maxRequestsPerCall(policy);
  let waits = 0;
  for (let retry = 1; retry < attempts; retry++) {
    const allowed = [policy.throttling, policy.faults].filter((budget) => retry < budget.maxAttempts);
    waits += Math.max(...allowed.map((budget) => backoffCeilingMs(budget, retry)));
  }
  return attempts * (policy.connectionTimeoutMs + policy.requestTimeoutMs) + waits;
}

/** The strategy refuses another try: the SDK then throws the call's last error as it is. */
class NoRetry extends Error {
  override readonly name = 'NoRetry';
}

class CallToken implements RetryToken {
  constructor(
    private readonly retries: number,
    private readonly delayMs: number,
  ) {}

  getRetryCount(): number {
    return this.retries;
  }

  getRetryDelay(): number {
    return this.delayMs;
  }
}

/**
 * The SDK retry strategy (RetryStrategyV2) for AwsCallPolicy. After the nth request of a call failed, it retries
 * when n is below the budget of that failure's kind (as the SDK classifies it), after a full-jitter wait from that
 * budget; the SDK's retry middleware does the waiting. Unlike the SDK's standard strategy it keeps no retry quota
 * shared by the client's calls: a quota drained by throttling would make unrelated calls give up at their first
 * fault, sending their records to the outer retry, whose next try is minutes (review) or half an hour (ingest) away.
 * A server's retry-after hint is not followed: a longer wait than the budget's would break worstCaseCallMs.
 */
export class AwsCallRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly policy: AwsCallPolicy = AWS_CALL_POLICY,
    private readonly random: () => number = Math.random,
  ) {}

  /** The scope (partition, long-poll) does not matter: every call has its own budget. */
  async acquireInitialRetryToken(_retryTokenScope: string): Promise<RetryToken> {
    return new CallToken(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const budget = this.#budgetFor(errorInfo.errorType);
    const requests = token.getRetryCount() + 1;
    if (!budget || requests >= budget.maxAttempts) throw new NoRetry(`no retry after ${requests} request(s) ending in ${errorInfo.errorType}`);
    return new CallToken(requests, backoffDelayMs(budget, requests, this.random()));
  }

  recordSuccess(): void {
    // No quota to refill.
  }

  #budgetFor(errorType: RetryErrorType): RetryBudget | undefined {
    if (errorType === 'THROTTLING') return this.policy.throttling;
    if (errorType === 'TRANSIENT') return this.policy.faults;
    return undefined;
  }
}
