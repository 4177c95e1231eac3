import { deliverReview } from '../lib/review/deliver-review';
import type { ReviewLoopState } from '../lib/review/loop-state';
import { withPowertools } from '../lib/runtime/handler';
import { logger, workflowMetrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { deliverReviewRuntime, type ReviewRuntime } from '../lib/runtime/review-wiring';

/** The review-loop machine's DeliverReview task: collect, consolidate, route, deliver. */
export function createHandler(deps: () => Pick<ReviewRuntime, 'review'> = once(deliverReviewRuntime)) {
  return withPowertools(async (state: ReviewLoopState) => {
    const result = await deliverReview(state, deps().review);
    logger.info('review delivered', { reviewId: state.reviewId, queue: result.queue, sentNow: result.delivered });
    if (result.delivered) {
      const single = workflowMetrics(state.workflow);
      single.addMetric('RecordsReviewed', 'Count', 1);
      const started = state.check?.creationTime ? Date.parse(state.check.creationTime) : undefined;
      if (started !== undefined) single.addMetric('SecondsInReview', 'Seconds', Math.max(0, (Date.now() - started) / 1000));
    }
    return result;
  });
}

export const handler = createHandler();
