import { checkLoop, stateAfterCheck } from '../lib/review/check-loop';
import type { ReviewLoopState } from '../lib/review/loop-state';
import { withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { checkRuntime } from '../lib/runtime/check-wiring';
import type { ReviewRuntime } from '../lib/runtime/review-wiring';

/** The review-loop machine's CheckLoop task: DescribeHumanLoop and the next step; returns the execution's next state. */
export function createHandler(deps: () => Pick<ReviewRuntime, 'check'> = once(checkRuntime)) {
  return withPowertools(async (state: ReviewLoopState): Promise<ReviewLoopState> => {
    const check = await checkLoop(state, deps().check);
    logger.info('loop checked', { reviewId: state.reviewId, status: check.status, next: check.next, waitSeconds: check.waitSeconds, checks: check.checks });
    return stateAfterCheck(state, check);
  });
}

export const handler = createHandler();
