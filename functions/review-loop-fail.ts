import { deliverFailure } from '../lib/review/deliver-failure';
import type { ReviewLoopState } from '../lib/review/loop-state';
import { withPowertools } from '../lib/runtime/handler';
import { logger, workflowMetrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { deliverFailureRuntime, type ReviewRuntime } from '../lib/runtime/review-wiring';

/** The review-loop machine's DeliverFailure task: stop the loop if it is open, deliver a failed message. */
export function createHandler(deps: () => Pick<ReviewRuntime, 'failure'> = once(deliverFailureRuntime)) {
  return withPowertools(async (state: ReviewLoopState) => {
    const result = await deliverFailure(state, deps().failure);
    logger.warn('loop failed', { reviewId: state.reviewId, code: result.code, queue: result.queue, sentNow: result.delivered });
    if (result.delivered) {
      workflowMetrics(state.workflow).addMetric('RecordsFailed', 'Count', 1);
    }
    return result;
  });
}

export const handler = createHandler();
