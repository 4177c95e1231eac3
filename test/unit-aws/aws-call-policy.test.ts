import type { RetryErrorType, RetryToken } from '@smithy/types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { backoffCeilingMs } from '../../lib/retry';
import { AWS_CALL_POLICY, type AwsCallPolicy, AwsCallRetryStrategy, maxRequestsPerCall, worstCaseCallMs } from '../../lib/runtime/aws-call-policy';

const SMALL: AwsCallPolicy = {
  throttling: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 350 },
  faults: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 15 },
  connectionTimeoutMs: 7,
  requestTimeoutMs: 11,
};

/** Randoms handed out in turn (the last one repeats). */
function randoms(...values: number[]): () => number {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)];
}

/**
 * Drives the strategy as the SDK's retry middleware does: a call whose requests fail with `errors` in turn.
 * Returns the waits it asked for, and whether it refused before the errors ran out.
 */
async function runCall(strategy: AwsCallRetryStrategy, errors: RetryErrorType[]): Promise<{ waits: number[]; requests: number; refused: boolean }> {
  let token: RetryToken = await strategy.acquireInitialRetryToken('');
  const waits: number[] = [];
  for (let index = 0; index < errors.length; index++) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, { errorType: errors[index] });
    } catch {
      return { waits, requests: index + 1, refused: true };
    }
    expect(token.getRetryCount()).toBe(index + 1);
    waits.push(token.getRetryDelay());
  }
  return { waits, requests: errors.length + 1, refused: false };
}

const repeat = (errorType: RetryErrorType, times: number): RetryErrorType[] => Array.from({ length: times }, () => errorType);

describe('AwsCallRetryStrategy', () => {
  it('starts a call with no retry and no wait', async () => {
    // Act
    const token = await new AwsCallRetryStrategy(SMALL).acquireInitialRetryToken('');

    // Assess
    expect([token.getRetryCount(), token.getRetryDelay()]).toEqual([0, 0]);
  });

  it('retries throttling until the throttling budget is spent, waits doubling up to their cap', async () => {
    // Prepare
    const strategy = new AwsCallRetryStrategy(SMALL, () => 0.9999);

    // Act
    const call = await runCall(strategy, repeat('THROTTLING', 10));

    // Assess
    expect(call.refused).toBe(true);
    expect(call.requests).toBe(SMALL.throttling.maxAttempts);
    expect(call.waits).toEqual([100, 200, 350, 350]);
  });

  it('draws each wait at random below its ceiling (full jitter)', async () => {
    // Prepare
    const draws = [0, 0.25, 0.5, 0.123];
    const strategy = new AwsCallRetryStrategy(SMALL, randoms(...draws));

    // Act
    const call = await runCall(strategy, repeat('THROTTLING', 4));

    // Assess
    expect(call.waits).toEqual(draws.map((draw, index) => Math.round(draw * backoffCeilingMs(SMALL.throttling, index + 1))));
  });

  it('retries transient faults (5xx, timeouts, resets) within the smaller faults budget and its shorter waits', async () => {
    // Prepare
    const strategy = new AwsCallRetryStrategy(SMALL, () => 0.9999);

    // Act
    const call = await runCall(strategy, repeat('TRANSIENT', 10));

    // Assess
    expect(call.requests).toBe(SMALL.faults.maxAttempts);
    expect(call.waits).toEqual([10, 15]);
  });

  it.each(['CLIENT_ERROR', 'SERVER_ERROR'] as const)('never retries a %s', async (errorType) => {
    // Act
    const call = await runCall(new AwsCallRetryStrategy(SMALL), [errorType]);

    // Assess
    expect(call).toEqual({ waits: [], requests: 1, refused: true });
  });

  it('judges each failure by its own budget: a fault after throttles ends the call once the faults budget is reached', async () => {
    // Prepare
    const strategy = new AwsCallRetryStrategy(SMALL, () => 0.5);

    // Act
    const faultThird = await runCall(strategy, ['THROTTLING', 'THROTTLING', 'TRANSIENT']);
    const throttleThird = await runCall(strategy, ['THROTTLING', 'THROTTLING', 'THROTTLING']);

    // Assess
    expect(faultThird).toMatchObject({ requests: 3, refused: true });
    expect(throttleThird).toMatchObject({ requests: 4, refused: false });
  });

  it('shares no retry quota between calls: after many calls spent their budgets, the next still gets all of its own', async () => {
    // Prepare
    const strategy = new AwsCallRetryStrategy(SMALL);
    for (let call = 0; call < 200; call++) await runCall(strategy, repeat('TRANSIENT', 10));

    // Act
    const next = await runCall(strategy, repeat('TRANSIENT', 10));

    // Assess
    expect(next.requests).toBe(SMALL.faults.maxAttempts);
  });
});

describe('worstCaseCallMs', () => {
  /** Every sequence of failures (throttling or fault, each request running into both timeouts), by brute force. */
  async function longestCallBySearch(policy: AwsCallPolicy): Promise<number> {
    const perRequest = policy.connectionTimeoutMs + policy.requestTimeoutMs;
    let longest = 0;
    const explore = async (errors: RetryErrorType[]): Promise<void> => {
      const call = await runCall(new AwsCallRetryStrategy(policy, () => 1), errors);
      longest = Math.max(longest, call.requests * perRequest + call.waits.reduce((sum, wait) => sum + wait, 0));
      if (call.refused) return;
      await explore([...errors, 'THROTTLING']);
      await explore([...errors, 'TRANSIENT']);
    };
    await explore([]);
    return longest;
  }

  it.each([
    ['a small policy', SMALL],
    ['faults more patient than throttling', { ...SMALL, throttling: SMALL.faults, faults: SMALL.throttling }],
    ['the production policy', AWS_CALL_POLICY],
  ])('is the longest any sequence of failures can make one call take: %s', async (_name, policy) => {
    // Act
    const bound = worstCaseCallMs(policy);

    // Assess
    expect(bound).toBe(await longestCallBySearch(policy));
  });

  it('counts the most requests any failure allows', () => {
    // Act
    const requests = maxRequestsPerCall(SMALL);

    // Assess
    expect(requests).toBe(SMALL.throttling.maxAttempts);
  });
});

describe('the production policy against the functions timeouts (serverless.yml)', () => {
  interface ServerlessFile {
    provider: { timeout: number };
    functions: Record<string, { timeout?: number }>;
  }
  const serverless = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as ServerlessFile;
  const timeouts = Object.entries(serverless.functions).map(([name, settings]) => [name, (settings.timeout ?? serverless.provider.timeout) * 1000] as const);

  it('reads every function, with the provider default for those that set none', () => {
    // Assess
    expect(timeouts.length).toBeGreaterThanOrEqual(10);
    expect(new Set(timeouts.map(([, timeoutMs]) => timeoutMs))).toEqual(new Set([30_000, 300_000, 900_000]));
  });

  // A hung or failing call must end inside the function, with time left for the function to answer with the
  // error (a TransientError the state machine retries, a record left for the next receive): at most two thirds.
  it.each(timeouts)('%s (%i ms): one call at its slowest takes at most two thirds of it', (_name, timeoutMs) => {
    // Act
    const worst = worstCaseCallMs(AWS_CALL_POLICY);

    // Assess
    expect(worst).toBeLessThanOrEqual((timeoutMs * 2) / 3);
  });
});
