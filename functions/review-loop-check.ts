import { backOffAfterError, checkLoop, stateAfterCheck } from '../lib/review/check-loop';
import type { ReviewLoopState } from '../lib/review/loop-state';
import { withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { checkRuntime } from '../lib/runtime/check-wiring';
import type { ReviewRuntime } from '../lib/runtime/review-wiring';

/**
 * The review-loop machine's CheckLoop task: DescribeHumanLoop and the next step; returns the execution's next state.
 * After a task's transient failure (`error` set by the machine's Catch) it backs off instead, calling nothing.
 */
export function createHandler(deps: () => Pick<ReviewRuntime, 'check'> = once(checkRuntime)) {
  return withPowertools(async (state: ReviewLoopState): Promise<ReviewLoopState> => {
    if (state.error) {
      const next = backOffAfterError(state, deps().check);
      logger.warn('backing off after a tracking error', { reviewId: state.reviewId, error: state.error.Error, attempts: next.recovery?.attempts, next: next.check?.next, waitSeconds: next.check?.waitSeconds });
      return next;
    }
    const check = await checkLoop(state, deps().check);
    logger.info('loop checked', { reviewId: state.reviewId, status: check.status, next: check.next, waitSeconds: check.waitSeconds, checks: check.checks });
    return stateAfterCheck(state, check);
  });
}

export const handler = createHandler();
