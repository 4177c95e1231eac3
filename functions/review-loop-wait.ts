import type { WaitInput } from '../lib/review/loop-state';
import { parkTaskToken } from '../lib/review/wait-for-status';
import { withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { type ReviewRuntime, waitRuntime } from '../lib/runtime/review-wiring';

/** The review-loop machine's WaitForStatus task (invoked with .waitForTaskToken): parks the token. */
export function createHandler(deps: () => Pick<ReviewRuntime, 'wait'> = once(waitRuntime)) {
  return withPowertools(async (input: WaitInput): Promise<{ woken: boolean }> => {
    const result = await parkTaskToken(input, deps().wait);
    logger.info('waiting for the loop', { reviewId: input.reviewId, wokenAtOnce: result.woken });
    return result;
  });
}

export const handler = createHandler();
